"""Unmarked user-facing strings: an AST walk over Python sources that finds text a person could
read written as a plain literal instead of being marked for translation with ``selfverify.i18n``
(``_``, ``N_``, ``ngettext``, ``pgettext``, ``npgettext``, ``lazy_gettext``, ``lazy_pgettext``).

Every string literal and f-string that reads as words is a finding, unless it is where text is
data or meant for developers:
- inside a marker call (but an f-string inside ``_()`` is a finding: Babel cannot extract it);
- docstrings, except a click command's or group's, which click shows as its help (give
  ``help=N_("...")`` instead; the CLI translates it when it shows it);
- log calls (``log``/``logger``/``logging``/``_log``... ``.debug``/``info``/...), ``warnings.warn``;
- exceptions meant for developers (``ValueError``, ``TypeError``, ``RuntimeError``,
  ``AssertionError``, ``KeyError``, ``NotImplementedError``, ...) and ``assert`` messages; a
  ``SelfverifyError`` and click's exceptions are for people and are checked;
- a literal compared with (``==``, ``in``, ...), a dict key, a subscript, a default of
  ``getenv``/``environ.get``, an annotation, ``__repr__``, ``__all__``;
- SQL (a literal starting with an upper-case SQL keyword), ``re``'s patterns, ``strftime`` formats.

Text is a literal with a word of two letters or more that reads as words: two words or more, or
one capitalised word (``Cancelled``), or one word ending in ``.``, ``!``, ``?`` or ``:``. Codes and
identifiers are not text (``no_face``, ``OK``, ``config.toml``, ``--json``, ``postgresql://``).

Opt-out, for the rare justified case (a command line example, a protocol string): a comment
``# i18n: ignore (why)`` on a line of the literal, or on the line that opens the call or statement
holding it.

Usage: ``python -m tests.i18n_lint PATH...`` prints ``file:line: text`` per finding and exits 1 if
there is any; ``unmarked(paths)`` returns ``[(file, line, text)]``.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path
from typing import Iterable

OPT_OUT = re.compile(r"#\s*i18n:\s*ignore\b")
MARKERS = frozenset({"_", "N_", "gettext", "ngettext", "pgettext", "npgettext", "lazy_gettext", "lazy_pgettext"})
DEVELOPER_ERRORS = frozenset({
    "ValueError", "TypeError", "RuntimeError", "AssertionError", "KeyError", "IndexError", "LookupError",
    "NotImplementedError", "AttributeError", "ImportError", "ModuleNotFoundError", "SystemError",
})
LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})
LOGGER = re.compile(r"^_*(log|logger|logging|LOG|LOGGER|audit_log)$")
# callees whose string arguments are data, not text: patterns, formats, environment, attributes
DATA_CALLS = frozenset({
    "compile", "match", "fullmatch", "search", "sub", "subn", "split", "findall", "finditer",  # re
    "strftime", "strptime", "getenv", "getattr", "setattr", "hasattr", "delattr", "warn",
    "execute", "exec_driver_sql", "text", "literal_column", "column", "table", "Field", "Column",
    "startswith", "endswith", "replace", "removeprefix", "removesuffix", "index", "find", "count", "TypeVar",
})
SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|WITH|GRANT|REVOKE|BEGIN|COMMIT|SET|"
                 r"PRAGMA|DO|LOCK|COMMENT ON|REFRESH|TRUNCATE|ANALYZE|VACUUM|SAVEPOINT|RELEASE|ROLLBACK)\b")
CLICK_DECORATOR = frozenset({"command", "group"})

WORD = re.compile(r"[^\W\d_]{2,}")
FIELD = re.compile(r"\{[^{}]*\}")
NOT_A_WORD = re.compile(r"[_/\\=<>@#$|`]|^-|^\.\w|^\w+\.\w+|:\w|^%")
# SQL outside a statement's start: an upper-case keyword beside SQL punctuation
SQL_FRAGMENT = re.compile(r"\b(IN|IS|NOT|NULL|AND|OR|LIKE|BETWEEN|EXISTS|FROM|WHERE|VALUES)\b.*[=<>(']|[=<>(']\s*.*\b(IN|IS|NULL|AND|OR)\b")


def is_text(value: str) -> bool:
    """Does this literal read as words a person reads (not a code, identifier, path or option)?"""
    if SQL.match(value) or SQL_FRAGMENT.search(value):
        return False
    tokens = FIELD.sub("\0", value).split()  # a placeholder is a token of its own
    wordy = [t for t in tokens if WORD.search(t) and not NOT_A_WORD.search(t) and not t.isupper()]
    if len(wordy) >= 2 or (wordy and any(t.strip("\0") in ("", *"().,:;!?") for t in tokens if "\0" in t)):
        return True  # words, or a word beside a placeholder ("{count} photos")
    tokens = [t for t in tokens if "\0" not in t and WORD.search(t)]  # "Start (s)": one word
    if len(tokens) == 1 and wordy:
        token = tokens[0].strip("\"'()[]")
        # Cancelled, Cancelled., done. (not OK/WARN codes, EdDSA, credential: prefixes, sv1.)
        letters = token.rstrip(".!?:")
        if not (letters.isalpha() and len(letters) >= 2 and letters[1:].islower()):
            return False
        return letters[0].isupper() or token[-1] in ".!?"
    return False


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _root(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def fstring_text(node: ast.JoinedStr) -> str:
    return "".join(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "{x}" for v in node.values)


def _is_docstring(node: ast.AST) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


class Checker:
    def __init__(self, source: str):
        self.lines = source.splitlines()
        self.findings: list[tuple[int, str]] = []
        self.exempt: set[int] = set()  # ids of nodes whose strings are data or for developers

    def _opted_out(self, node: ast.AST, holder_lines: Iterable[int] = ()) -> bool:
        lines = set(range(node.lineno, (getattr(node, "end_lineno", None) or node.lineno) + 1)) | set(holder_lines)
        return any(OPT_OUT.search(self.lines[i - 1]) for i in lines if 0 < i <= len(self.lines))

    def _exempt(self, node: ast.AST | None) -> None:
        if node is not None:
            self.exempt.update(id(sub) for sub in ast.walk(node))

    def run(self, tree: ast.Module) -> list[tuple[int, str]]:
        self._mark_exempt(tree)
        self._walk(tree, ())
        return sorted(set(self.findings))

    def _mark_exempt(self, tree: ast.Module) -> None:
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                if node.body and _is_docstring(node.body[0]) and not self._click_help(node):
                    self._exempt(node.body[0])
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    if node.name in ("__repr__",):
                        self._exempt(node)
                    self._exempt(node.returns)
                    for arg in [*node.args.args, *node.args.kwonlyargs, *node.args.posonlyargs, node.args.vararg, node.args.kwarg]:
                        if arg is not None:
                            self._exempt(arg.annotation)
            elif isinstance(node, ast.AnnAssign):
                self._exempt(node.annotation)
            elif isinstance(node, ast.Assert):
                self._exempt(node.msg)
            elif isinstance(node, ast.Compare):
                self._exempt(node.left)
                for comparator in node.comparators:
                    self._exempt(comparator)
            elif isinstance(node, ast.Subscript):
                self._exempt(node.slice)
            elif isinstance(node, ast.Dict):
                for key in node.keys:
                    self._exempt(key)
            elif isinstance(node, ast.Assign):
                if any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
                    self._exempt(node.value)
            elif isinstance(node, ast.Call):
                callee = _name(node.func)
                root = _root(node.func) if isinstance(node.func, ast.Attribute) else None
                if callee in MARKERS:
                    for arg in node.args:
                        if isinstance(arg, ast.JoinedStr):
                            self._report(arg, "f-string inside a marker (Babel cannot extract it): " + fstring_text(arg))
                    self._exempt(node)
                elif callee in DEVELOPER_ERRORS or callee in DATA_CALLS:
                    self._exempt(node)
                elif callee in LOG_METHODS and root is not None and LOGGER.match(root):
                    self._exempt(node)
                elif callee == "get" and root == "environ" or callee == "get" and len(node.args) >= 1:
                    self._exempt(node.args[0])  # a mapping's key

    def _click_help(self, node: ast.AST) -> bool:
        """Is this a click command or group whose docstring click shows as its help?"""
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return False
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            if _name(call.func if call else decorator) in CLICK_DECORATOR:
                return not (call and any(k.arg == "help" for k in call.keywords))
        return False

    def _report(self, node: ast.AST, text: str, holder_lines: Iterable[int] = ()) -> None:
        if not self._opted_out(node, holder_lines):
            self.findings.append((node.lineno, text))

    def _walk(self, node: ast.AST, holders: tuple[int, ...]) -> None:
        """Depth first; ``holders``: the first lines of the statements and calls around ``node`` (the
        innermost three), where an opt-out comment covers what they hold."""
        if id(node) in self.exempt:
            return
        if isinstance(node, ast.JoinedStr):
            text = fstring_text(node)
            if is_text(text):
                self._report(node, text, holders)
            for value in node.values:  # expressions inside the braces
                if isinstance(value, ast.FormattedValue):
                    self._walk(value.value, holders)
            return
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if is_text(node.value):
                self._report(node, node.value, holders)
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and self._click_help(node):
            doc = node.body[0] if node.body and _is_docstring(node.body[0]) else None
            if doc is not None and is_text(doc.value.value):
                self._report(doc.value, "docstring as click help: " + doc.value.value.strip().splitlines()[0], (node.lineno,))
                self.exempt.add(id(doc.value))
        if isinstance(node, (ast.stmt, ast.Call)):
            holders = (*holders[-2:], node.lineno)
        for child in ast.iter_child_nodes(node):
            self._walk(child, holders)


def python_files(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for path in map(Path, paths):
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return files


def unmarked_in_source(source: str, name: str = "<source>") -> list[tuple[int, str]]:
    """(line, text) for every unmarked user-facing string of one module given as text."""
    return Checker(source).run(ast.parse(source, filename=name))


def unmarked(paths: Iterable[str | Path]) -> list[tuple[str, int, str]]:
    """(file, line, text) for every unmarked user-facing string in these files or folders."""
    findings = []
    for file in python_files(paths):
        findings.extend((str(file), line, text) for line, text in unmarked_in_source(file.read_text(encoding="utf-8"), str(file)))
    return findings


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    findings = unmarked(args or ["src"])
    for file, line, text in findings:
        print(f"{file}:{line}: {text[:100]!r}")
    if findings:
        print(f"{len(findings)} unmarked user-facing string(s): mark them with _() / N_() from selfverify.i18n "
              "(README, Languages), or opt out with '# i18n: ignore (why)'.", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
