"""Support bundles: one session's timeline with the settings in force, the app version and the
doctor report, as JSON a user can send to support staff.

No biometric data and no secrets, by construction: the timeline is the audit log (which refuses
images, encodings and landmarks when written), settings come from ``public_dict`` (database
password masked), tokens and keys never leave the keyring. As a last guard every
``scheme://user:password@`` in the text is masked before the file is written.
"""

from __future__ import annotations

import json
import platform
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from selfverify import __version__
from selfverify.config import mask_url
from selfverify.doctor import report_dict, run_checks
from selfverify.errors import InputError, NotFound, StorageError
from selfverify.i18n import _
from selfverify.outfile import check_output_target, write_output
from selfverify.paths import ensure_private_dir
from selfverify.services.audit import SessionSummary, session_settings, timeline
from selfverify.store.repositories.sessions import SessionRepository

BUNDLE_FORMAT = 1
MIN_PREFIX = 6


def resolve_session(ctx, session_id: str):  # -> services.audit.SessionSummary
    """The session with this id, or the only one whose id starts with it (at least 6 characters).
    The short support reference the plain mode spells out ("4 A 7 F, 9 C 2 E") is such a prefix:
    typed with its spaces, commas or dashes, it is found."""
    wanted = re.sub(r"[\s,\-]", "", str(session_id or "")).lower()
    if not re.fullmatch(r"[0-9a-f]+", wanted or "-"):
        raise InputError(_("{value!r} is not a session id (hexadecimal, from 'selfverify sessions list').").format(value=session_id),
                         code="bad_session_id")
    sessions = SessionRepository(ctx.db)
    row = sessions.get(wanted)
    if row is None:
        if len(wanted) < MIN_PREFIX:
            raise InputError(_("Give at least {count} characters of the session id.").format(count=MIN_PREFIX), code="bad_session_id")
        rows = sessions.with_prefix(wanted)
        if len(rows) > 1:
            raise InputError(_("More than one session id starts with {prefix}: give more characters.").format(prefix=wanted),
                             code="ambiguous_session_id")
        row = rows[0] if rows else None
    if row is None:
        raise NotFound(_("There is no session {id}.").format(id=wanted), code="session_not_found",
                       hint=_("List them: selfverify sessions list"))
    return SessionSummary.of(row)


def session_details(ctx, session_id: str) -> dict[str, Any]:
    """The session summary and its timeline (what ``sessions show --json`` prints)."""
    summary = resolve_session(ctx, session_id)
    return {"session": summary.as_dict(), "timeline": timeline(ctx, summary.id)}


_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")
_FREE_TEXT_KEYS = ("note", "notes", "reason", "contact")
WITHHELD = "(free text withheld)"  # i18n: ignore (the support bundle is data, in English for the maintainers)


def _no_free_text(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` without what someone typed: a reason is kept only when it is one of our codes."""
    out = {}
    for key, value in data.items():
        if key in _FREE_TEXT_KEYS and value is not None and not (isinstance(value, str) and _CODE.fullmatch(value)):
            value = WITHHELD
        out[key] = value
    return out


def build_bundle(ctx, session_id: str, *, face_models: bool = True) -> dict[str, Any]:
    """The bundle: never a free-text note (an agent's reason, a contact line), and the settings
    stored with the session when it ran (not this machine's settings now)."""
    details = session_details(ctx, session_id)
    details["session"] = _no_free_text(details["session"])
    for event in details["timeline"]:
        event["data"] = _no_free_text(event["data"])
    used = session_settings(ctx, details["session"]["id"])
    failed = details["session"]["outcome"] not in (None, "verified", "approved", "booked")
    return {
        "bundle_format": BUNDLE_FORMAT,
        "created_at": ctx.clock.now().isoformat(),
        "app": {
            "name": "selfverify",
            "version": __version__,
            "python": platform.python_version(),
            "platform": platform.platform(),
            "front_end": ctx.front_end,
        },
        "session": details["session"],
        "reason": details["session"]["reason"] if failed else None,
        "timeline": details["timeline"],
        "settings": used,
        "settings_note": ("the settings this run used, stored with the session" if used is not None  # i18n: ignore (bundle data)
                          else "not recorded: the session predates settings being stored with it"),  # i18n: ignore (bundle data)
        "doctor": report_dict(run_checks(ctx, face_models=face_models)),
        "privacy": "No image, face encoding, landmark, credential token or key is included.",  # i18n: ignore (bundle data)
    }


def bundle_text(bundle: dict[str, Any]) -> str:
    text = json.dumps(bundle, indent=2, sort_keys=False, default=str, ensure_ascii=False)
    return mask_url(text)


def write_bundle(ctx, session_id: str, output: str | Path | None = None, *, face_models: bool = True,
                 force: bool = False) -> str:
    """Write the bundle (mode 0600) to ``output`` (``-``: standard output; an existing file only
    with ``force``; never a device, FIFO or folder) or a new file in the bundles dir; returns where."""
    if output is not None:
        check_output_target(output, force=force)  # refuse before the (slow) doctor report runs
    bundle = build_bundle(ctx, session_id, face_models=face_models)
    if output is None:
        stamp = datetime.fromisoformat(bundle["created_at"]).strftime("%Y%m%dT%H%M%SZ")
        try:
            folder = ensure_private_dir(ctx.paths.bundles_dir)
        except OSError as exc:
            raise StorageError(_("Could not create {folder}: {reason}.").format(folder=ctx.paths.bundles_dir, reason=exc.strerror)) from None
        output = folder / f"selfverify-session-{bundle['session']['id'][:12]}-{stamp}.json"
    return write_output(output, bundle_text(bundle).encode("utf-8"), force=force)


def _describe_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return ",".join(_describe_value(v) for v in value) or "-"
    return str(value)


def describe_event(event: dict[str, Any]) -> str:
    """One timeline event as a line: ``kind key=value ...`` (``t`` is shown separately)."""
    data = {k: v for k, v in event.get("data", {}).items() if k != "t" and v is not None}
    details = " ".join(f"{k}={_describe_value(v)}" for k, v in data.items())
    return f"{event['kind']} {details}".rstrip()
