"""Files a person names: one rule for every command that writes one, and one for reading one.

Reading (``read_input_file``): only a regular file, at most ``max_bytes``, checked before it is
opened (a FIFO blocks for ever, /dev/zero never ends), as UTF-8 text; a refusal is an InputError.

Writing (``--output``):

``-`` means standard output. Anything else is written atomically with mode 0600 (temp file in the
same folder, fsync, then a rename). An existing target is refused unless ``force``; something
that is not a regular file (a device such as /dev/null or /dev/full, a FIFO, a folder, a socket)
is never replaced, even with ``force``. A refusal is an ``InputError`` (exit 2) and writes nothing.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from pathlib import Path

from selfverify.errors import InputError, StorageError
from selfverify.i18n import N_, _
from selfverify.paths import write_synced

STDOUT = "-"
MAX_PATH_BYTES = 4096


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return _("a folder")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return _("a device")
    if stat.S_ISFIFO(mode):
        return _("a FIFO (named pipe)")
    if stat.S_ISSOCK(mode):
        return _("a socket")
    return _("not a regular file")


# what a file read by ``read_input_file`` is (its ``what``) -> the words that start a sentence about it
_INPUT_FILES = {
    "hours": N_("The hours file {name}"),
    "enrolment request": N_("The enrolment request file {name}"),
    "token": N_("The token file {name}"),
    "public key": N_("The public key file {name}"),
    "key set": N_("The key set file {name}"),
}


def _input_file(what: str, name: str) -> str:
    if what in _INPUT_FILES:
        return _(_INPUT_FILES[what]).format(name=name)
    return _("The file {name}").format(name=name)


def check_output_target(target: str | os.PathLike[str], *, force: bool = False) -> Path | None:
    """Where ``target`` would be written (None: standard output), or the InputError saying why not."""
    raw = os.fspath(target)
    if raw == STDOUT:
        return None
    if not raw or "\0" in raw:
        raise InputError(_("Give a file name to write to (or - for standard output)."), code="bad_output")
    if len(os.fsencode(raw)) > MAX_PATH_BYTES:
        raise InputError(_("The output path is too long (over {limit} bytes): nothing was written.").format(limit=MAX_PATH_BYTES),
                         code="bad_output")
    path = Path(os.path.expanduser(raw))  # "~nobody/x" stays as typed (Path.expanduser would raise)
    try:
        st = os.stat(path)  # follows a symlink: a link to /dev/null is a device too
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise InputError(_("Cannot write to {path}: {reason}. Nothing was written.").format(path=path, reason=exc.strerror),
                         code="bad_output") from None
    if st is not None:
        if not stat.S_ISREG(st.st_mode):
            raise InputError(_("{path} is {kind}, not a file: nothing was written.").format(path=path, kind=_kind(st.st_mode)),
                             code="bad_output", hint=_("Give the name of a new file, or - for standard output."))
        if not force:
            raise InputError(_("{path} already exists: nothing was written.").format(path=path), code="output_exists",
                             hint=_("Pass --force to replace it, or give another name."))
    if not path.parent.is_dir():
        raise InputError(_("The folder {folder} does not exist: nothing was written.").format(folder=path.parent),
                         code="bad_output")
    return path


def read_input_file(source: str | os.PathLike[str], what: str, *, max_bytes: int = 1_000_000) -> str:
    """The text of the file a person named, or an InputError (exit 2) saying why it cannot be read."""
    from selfverify.textcheck import shown_path

    path = Path(os.path.expanduser(os.fspath(source)))
    shown = shown_path(path)
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise InputError(_("{subject} does not exist.").format(subject=_input_file(what, shown)), code="file_not_found") from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or _("not a valid file name")
        raise InputError(_("{subject} cannot be read: {reason}.").format(subject=_input_file(what, shown), reason=reason),
                         code="bad_file") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(_("{subject} is {kind}, not a file: it was not read.").format(
            subject=_input_file(what, shown), kind=_kind(st.st_mode)), code="bad_file")
    if st.st_size > max_bytes:
        raise InputError(_("{subject} is too large ({size} bytes, at most {limit}).").format(
            subject=_input_file(what, shown), size=st.st_size, limit=max_bytes), code="bad_file")
    try:
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(_("{subject} cannot be read: {reason}.").format(subject=_input_file(what, shown), reason=exc.strerror),
                         code="bad_file") from None
    try:
        return data[:max_bytes].decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(_("{subject} is not UTF-8 text.").format(subject=_input_file(what, shown)), code="bad_file") from None


def write_output(target: str | os.PathLike[str], data: bytes, *, force: bool = False) -> str:
    """Write ``data`` to ``target`` under the rules above; returns where it went, for a message."""
    path = check_output_target(target, force=force)
    if path is None:
        out = getattr(sys.stdout, "buffer", None)
        if out is None:
            sys.stdout.write(data.decode("utf-8"))
        else:
            out.write(data)
        sys.stdout.flush()
        return "standard output"  # i18n: ignore (compared by callers, which word it)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{os.urandom(4).hex()}")
    try:
        try:
            write_synced(tmp, data)
            if force:
                check_output_target(target, force=True)  # still a regular file (or gone) just before the swap
                os.replace(tmp, path)
            else:
                os.link(tmp, path)  # atomic "create only": never replaces what appeared meanwhile
        finally:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
    except FileExistsError:
        raise InputError(_("{path} already exists: nothing was written.").format(path=path), code="output_exists",
                         hint=_("Pass --force to replace it, or give another name.")) from None
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise StorageError(_("The disk is full: {path} was not written.").format(path=path), code="disk_full") from None
        raise InputError(_("Cannot write {path}: {reason}. Nothing was written.").format(path=path, reason=exc.strerror),
                         code="bad_output") from None
    return str(path)
