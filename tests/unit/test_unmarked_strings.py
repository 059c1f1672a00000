"""Every user-facing string in src/ is marked for translation (issue 15): tests/i18n_lint.py walks the
sources and reports text a person reads that is not inside ``_()``/``N_()``/... . One test per
top-level folder or module of the package, so each part can be seen passing on its own; then the
checker's own rules, and a mutation over the real sources: unmarking marked strings must be caught.
Fixing a failure: README, "Languages" (mark it, or ``# i18n: ignore (why)`` when it truly is not text)."""

from __future__ import annotations

import ast
import textwrap
from collections import Counter

import pytest

from tests.conftest import ROOT
from tests.i18n_lint import is_text, unmarked, unmarked_in_source

PACKAGE = ROOT / "src" / "selfverify"
PARTS = sorted(p.name for p in PACKAGE.iterdir() if (p.is_dir() and any(p.rglob("*.py"))) or p.suffix == ".py")


def test_the_parts_cover_the_package():
    covered = {f for part in PARTS for f in ([PACKAGE / part] if (PACKAGE / part).is_file() else (PACKAGE / part).rglob("*.py"))}
    assert covered == set(PACKAGE.rglob("*.py"))
    assert {"cli.py", "commands", "tui", "plain", "services", "core", "store", "wording"} <= set(PARTS)


@pytest.mark.parametrize("part", PARTS)
def test_every_user_facing_string_is_marked(part):
    findings = unmarked([PACKAGE / part])
    shown = "\n".join(f"{file}:{line}: {text[:90]!r}" for file, line, text in findings)
    assert not findings, (f"{len(findings)} unmarked user-facing string(s) in src/selfverify/{part} "
                          f"(mark with _() / N_(), or '# i18n: ignore (why)'; README, Languages):\n{shown}")


def findings_of(source: str) -> list[str]:
    return [text for _, text in unmarked_in_source(textwrap.dedent(source))]


@pytest.mark.parametrize("source", [
    'import click\nclick.echo("Nothing was deleted.")',
    'print("Same person")',
    'print(f"Deleted {n} photos.")',
    'out.status("comparing, 2 of 3 good pictures.")',
    'yield Label("Reference photo")',
    'yield Button("Save", id="save")',
    'self.notify("Saved to the file.")',
    'BINDINGS = [("q", "quit", "Quit")]',
    'BINDINGS = [Binding("ctrl+b", "book", "Book a slot")]',
    'TITLE = "selfverify agent console"',
    'raise InputError("The photo cannot be read.", hint="Use a JPEG or PNG file.")',
    'raise InputError(_("The photo cannot be read."), hint="Use a JPEG or PNG file.")',
    'raise click.UsageError("Give a slot number.")',
    'err = LockedOut("Locked for 15 minutes.")',
    'import click\n@click.option("--json", is_flag=True, help="Print as JSON.")\ndef f(): pass',
    'def message(ok):\n    return "Verified" if ok else "Not verified"',
    'def status():\n    text = "Not verified yet."\n    return text',
    'WAITING = "waiting for the camera."',
    'LABELS = {"photo": "Kept photo", "receipt": "Deletion receipt"}',
    'rows.append(("Status", status))',
    'lines = ["No appointments.", ""]',
    'print(_(f"Deleted {n} photos."))',
    'click.echo("Done. " + _("Saved."))',
    'check = Check("python", FAIL, "Python is too old", "Use Python 3.11 or newer.")',
    'click.echo(", ".join(["Kept photos", "receipts"]))',
    'import click\n@click.command()\ndef show():\n    """Show your verification status."""\n',
    'import click\n@cli.group()\ndef photos():\n    """Kept photos."""\n',
])
def test_unmarked_text_is_found(source):
    assert findings_of(source), source


@pytest.mark.parametrize("source", [
    'print(_("Same person"))',
    'click.echo(_("Deleted {count} photos.").format(count=n))',
    'click.echo(ngettext("{n} photo", "{n} photos", n).format(n=n))',
    'label = pgettext("progress step", "Selfie")',
    'HELP = N_("Print as JSON.")',
    'TITLE = lazy_gettext("selfverify")',
    'import click\n@click.command(help=N_("Show your verification status."))\ndef show():\n    """Show your verification status."""\n',
    'def helper():\n    """Return the current state, for developers reading this."""\n',
    '"""A module docstring that reads as words."""',
    'class A:\n    """A class docstring that reads as words."""\n',
    'log.info("Loaded the face models in %s s", t)',
    'logger.debug("starting the encoder process")',
    'raise ValueError("not a slot number")',
    'assert ok, "the list must be sorted"',
    'if reason == "no usable face": pass',
    'data = {"Same person": 1}',
    'x = row["Full name"]',
    'x = os.environ.get("SOME VARIABLE")',
    'rows = conn.execute("SELECT id FROM slot WHERE status = \'open\'")',
    'CHECK = "status IN (\'open\', \'removed\')"',
    'pattern = re.compile("[A-Z]+ words")',
    'stamp = when.strftime("%Y-%m-%d %H:%M")',
    'print(json.dumps({"error": {"code": "no_face"}}))',
    'print("no_face", "--json", "config.toml", "OK", "WARN", "EdDSA", "sv1.", "credential:")',
    'x: "Literal[\'some words\']" = None',
    'def __repr__(self):\n    return f"Slot {self.id} at {self.when}"',
    'print("Same person")  # i18n: ignore (a test fixture name)',
    'click.echo(  # i18n: ignore (the command line, the same in every language)\n    "  selfverify desk init --admin YOU"\n)',
    '__all__ = ["Some name"]',
    'print(f"{code}: {value}")',
])
def test_data_and_marked_text_are_not_findings(source):
    assert not findings_of(source), source


@pytest.mark.parametrize("text,expected", [
    ("Same person", True), ("Cancelled", True), ("done.", True), ("Needs:", True), ("{count} photos", True), ("Start (s)", True),
    ("no_face", False), ("OK", False), ("interview", False), ("credential:", False), ("--lang", False),
    ("config.toml", False), ("postgresql://user@host/db", False), ("{a} ({b})", False), ("sv1.", False),
    ("SELECT id FROM slot", False), ("a", False),
])
def test_what_reads_as_text(text, expected):
    assert is_text(text) is expected


def _unmark(source: str) -> tuple[str, Counter[int]]:
    """``source`` with every ``_("...")``/``N_("...")``/``lazy_gettext("...")`` call made a bare
    literal (where a bare literal would be a finding: not a dict key, compared, a subscript, or on an
    opted-out line), and how many literals were so unmarked on each line."""
    tree = ast.parse(source)
    parents = {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    lines = source.splitlines(keepends=True)
    calls = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "N_", "gettext", "lazy_gettext")
                and len(node.args) == 1 and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
                and is_text(node.args[0].value) and "i18n: ignore" not in lines[node.lineno - 1]):
            parent = parents.get(id(node))
            if isinstance(parent, (ast.Compare, ast.Subscript)) or (isinstance(parent, ast.Dict) and node in parent.keys):
                continue
            calls.append(node)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line.encode("utf-8")))
    data = source.encode("utf-8")
    for call in sorted(calls, key=lambda c: (c.lineno, c.col_offset), reverse=True):
        name = call.func  # N_("...") -> ("..."): every line stays where it was
        data = data[:offsets[name.lineno - 1] + name.col_offset] + data[offsets[name.end_lineno - 1] + name.end_col_offset:]
    return data.decode("utf-8"), Counter(c.args[0].lineno for c in calls)


def test_unmarking_the_marked_strings_of_src_is_caught():
    """The mutation, over the real sources: every marked string, unmarked, is reported on its line
    (one more finding per unmarked literal than the line had before)."""
    total, missed = 0, []
    for file in sorted(PACKAGE.rglob("*.py")):
        source = file.read_text(encoding="utf-8")
        mutated, unmarked_lines = _unmark(source)
        if not unmarked_lines:
            continue
        total += sum(unmarked_lines.values())
        before = Counter(line for line, _ in unmarked_in_source(source, str(file)))
        after = Counter(line for line, _ in unmarked_in_source(mutated, str(file)))
        missed.extend(f"{file.relative_to(ROOT)}:{line}" for line, count in unmarked_lines.items()
                      if after[line] - before[line] < count)
    assert total > 50, "the package should hold marked strings to unmark"
    assert not missed, f"unmarked again but not reported ({len(missed)} lines, {total} strings):\n" + "\n".join(missed[:40])
