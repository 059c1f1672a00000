"""Core speaks no CLI: no string in core/ names a command-line flag or an environment variable;
its errors carry a code, and the CLI adds its own hint for it (commands/hints.py)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import selfverify.core
from selfverify.cli import COMMANDS

CORE = Path(selfverify.core.__file__).parent
CLI_WORDS = re.compile(rf"(?<![\w-])--[a-z][a-z-]+|\bSELFVERIFY_[A-Z_]+|\bselfverify (?:{'|'.join(COMMANDS)})\b")


def _message_strings(path: Path) -> list[str]:
    """Every string literal of a module except docstrings (they describe, nobody is told them)."""
    tree = ast.parse(path.read_text())
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


@pytest.mark.parametrize("module", sorted(CORE.glob("*.py")), ids=lambda p: p.name)
def test_no_core_string_names_a_flag(module):
    named = [text for text in _message_strings(module) if CLI_WORDS.search(text)]
    assert named == [], f"{module.name} tells the user about CLI options: {named}"


def test_the_cli_hints_name_the_flags_for_the_codes_core_and_services_raise():
    from selfverify.commands.hints import CLI_HINTS, cli_hint
    from selfverify.core.flow import refuse_liveness_off_with_camera
    from selfverify.errors import InputError, SelfverifyError
    from selfverify.services import selfie

    raised = []
    for refuse, args in ((refuse_liveness_off_with_camera, ("/dev/video0",)), (selfie.refuse_chosen_seed, ()),
                         (selfie.refuse_replay_of_device, ("/dev/video0",)), (selfie.refuse_replay_without_seed, ())):
        with pytest.raises(InputError) as info:
            refuse(*args)
        raised.append(info.value)
        assert info.value.hint and not CLI_WORDS.search(info.value.hint)  # what the app and the plain mode say
        assert "--" in cli_hint(info.value)  # what the CLI says instead
    assert {err.code for err in raised} | {"no_camera"} == set(CLI_HINTS)
    assert cli_hint(SelfverifyError("other", hint="as it is")) == "as it is"
