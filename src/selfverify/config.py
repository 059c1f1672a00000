"""Typed settings with one documented precedence: flag > environment > config file > default.

Environment variables are ``SELFVERIFY_<NAME>`` (upper case). The config file is TOML at
``<config dir>/config.toml`` (or ``--config`` / ``SELFVERIFY_CONFIG``); keys may sit at the top
level or inside any table (``[matching] tolerance = 0.55``) — tables are only for readability.
"""

from __future__ import annotations

import dataclasses
import getpass
import json
import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

from selfverify.errors import ConfigError
from selfverify.i18n import N_, _
from selfverify.paths import Paths, ensure_private_dir, write_private_file

ENV_PREFIX = "SELFVERIFY_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _default_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "user"


def _doc(text: str, section: str) -> dict[str, str]:
    return {"doc": text, "section": section}


@dataclass(frozen=True)
class Settings:
    # general
    user: str = field(default_factory=_default_user, metadata=_doc(N_("Handle of the person being verified"), "general"))
    home: str | None = field(default=None, metadata=_doc(N_("Moves config, data, database and vault together"), "general"))
    database_url: str | None = field(default=None, metadata=_doc(N_("SQLAlchemy URL; default is SQLite in the data dir"), "general"))
    keyring_service: str = field(default="selfverify", metadata=_doc(N_("Service name used for keyring entries"), "general"))
    accessible: bool = field(default=False, metadata=_doc(N_("Start the plain, line-by-line accessible mode"), "general"))
    theme: str = field(default="textual-dark", metadata=_doc(N_("Textual theme (selfverify-high-contrast for 7:1 contrast)"), "general"))
    animations: bool = field(default=False, metadata=_doc(N_("Allow UI animations (off for accessibility)"), "general"))
    lang: str | None = field(default=None, metadata=_doc(N_("Language of the app, e.g. es or en (default: the system's LANGUAGE, LC_ALL, LC_MESSAGES or LANG; unknown: English)"), "general"))
    preview: str = field(default="auto", metadata=_doc(N_("Camera preview: auto (ask the terminal), blocks, sixel or kitty"), "general"))
    # camera and matching
    camera: str = field(default="0", metadata=_doc(N_("Camera spec: index, /dev/videoN, video file, image folder or still"), "camera"))
    tolerance: float = field(default=0.6, metadata=_doc(N_("Maximum face distance for a match (lower is stricter; README: how 0.6 was chosen)"), "matching"))
    decision_frames: int = field(default=3, metadata=_doc(N_("Good, near-frontal frames whose median distance decides a selfie run"), "matching"))
    analysis_width: int = field(default=640, metadata=_doc(N_("Frames are downscaled to this width for analysis"), "matching"))
    verify_timeout: float = field(default=60.0, metadata=_doc(N_("Seconds before a selfie run gives up (0 = never)"), "matching"))
    # quality guidance
    min_face_fraction: float = field(default=0.12, metadata=_doc(N_("Face width / frame width below which we say move closer"), "quality"))
    max_face_fraction: float = field(default=0.65, metadata=_doc(N_("Face width / frame width above which we say move back"), "quality"))
    centre_tolerance: float = field(default=0.25, metadata=_doc(N_("Allowed offset of the face centre, as a fraction of the frame"), "quality"))
    min_brightness: float = field(default=60.0, metadata=_doc(N_("Mean face brightness (0-255) below which it is too dark"), "quality"))
    max_brightness: float = field(default=220.0, metadata=_doc(N_("Mean face brightness above which it is too bright"), "quality"))
    min_sharpness: float = field(default=40.0, metadata=_doc(N_("Variance of Laplacian below which the face is too blurry"), "quality"))
    # liveness
    liveness: bool = field(default=True, metadata=_doc(N_("Run the liveness challenge (off only for replaying recordings)"), "liveness"))
    seed: int | None = field(default=None, metadata=_doc(N_("Seed for the challenge order (support replay)"), "liveness"))
    challenge_steps: int = field(default=2, metadata=_doc(N_("Number of challenge steps (2 or 3)"), "liveness"))
    challenge_timeout: float = field(default=10.0, metadata=_doc(N_("Seconds per challenge step (0 = no deadline)"), "liveness"))
    turn_degrees: float = field(default=15.0, metadata=_doc(N_("Head turn a turn step needs, in approximate degrees from the face's own neutral pose"), "liveness"))
    blink_drop: float = field(default=0.25, metadata=_doc(N_("Drop of eye openness, as a fraction of the open-eye level, that counts as a blink"), "liveness"))
    # attempts (NIST SP 800-63B-4 3.2.3)
    max_consecutive_failures: int = field(default=5, metadata=_doc(N_("Failures before each attempt must wait"), "attempts"))
    failure_wait_seconds: float = field(default=30.0, metadata=_doc(N_("Wait between attempts after too many failures"), "attempts"))
    max_total_failures: int = field(default=50, metadata=_doc(N_("Failures after which the selfie path is locked"), "attempts"))
    # credential and retention
    credential_days: int = field(default=365, metadata=_doc(N_("Lifetime of an issued credential, in days"), "credential"))
    retention_days: int = field(default=30, metadata=_doc(N_("Days an opted-in photo is kept for an appeal"), "retention"))
    # interview
    timezone: str | None = field(default=None, metadata=_doc(N_("Time zone for showing and entering interview times, e.g. Europe/Paris (default: this computer's)"), "interview"))
    interview_grace_hours: float = field(default=24.0, metadata=_doc(N_("Hours after a slot ends during which staff can still record the outcome"), "interview"))
    # how interviews happen (the desk's defaults; each slot may override them when it is added)
    interview_channel: str | None = field(default=None, metadata=_doc(N_("How interviews happen: video, phone or in_person (unset: the person is told the desk has not said)"), "interview"))
    interview_link: str | None = field(default=None, metadata=_doc(N_("Join link of a video interview (https://...)"), "interview"))
    interview_phone: str | None = field(default=None, metadata=_doc(N_("Phone number of a phone interview (the desk's, or the number the desk calls from)"), "interview"))
    interview_caller: str = field(default="agent", metadata=_doc(N_("Who calls whom on a phone interview: agent (the agent calls the person) or person (the person calls interview_phone)"), "interview"))
    interview_address: str | None = field(default=None, metadata=_doc(N_("Address of an in-person interview"), "interview"))
    interview_instructions: str | None = field(default=None, metadata=_doc(N_("What the person should know (e.g. what to do if nobody calls)"), "interview"))
    interview_documents: str = field(default="passport,id_card,driving_licence,residence_permit", metadata=_doc(N_("Accepted documents, comma-separated: passport, id_card, driving_licence, residence_permit, other_official"), "interview"))
    interview_not_accepted: str = field(default=N_("photocopies, photos or scans of a document, expired documents"), metadata=_doc(N_("What is not accepted, said to the person"), "interview"))
    interview_reminder_hours: float = field(default=24.0, metadata=_doc(N_("Hours before the interview when the e-mail reminder is sent"), "interview"))
    # e-mail notices (off while smtp_host is unset); the password comes from SELFVERIFY_SMTP_PASSWORD or the keyring
    smtp_host: str | None = field(default=None, metadata=_doc(N_("SMTP server for interview notices (unset: no e-mail is sent)"), "email"))
    smtp_port: int = field(default=587, metadata=_doc(N_("SMTP port (587 STARTTLS, 465 SSL)"), "email"))
    smtp_security: str = field(default="starttls", metadata=_doc(N_("starttls, ssl, or none (none only for a server on this machine)"), "email"))
    smtp_sender: str | None = field(default=None, metadata=_doc(N_("From address of the notices"), "email"))
    smtp_username: str | None = field(default=None, metadata=_doc(N_("SMTP login (password: SELFVERIFY_SMTP_PASSWORD or keyring entry smtp:<username>)"), "email"))
    smtp_timeout: float = field(default=20.0, metadata=_doc(N_("Seconds to wait for the SMTP server"), "email"))
    # accessible mode (selfverify --accessible)
    plain_color: bool = field(default=False, metadata=_doc(N_("Colour the labels of the accessible mode (never when NO_COLOR is set)"), "accessible"))
    plain_step_timeout: float = field(default=0.0, metadata=_doc(N_("Seconds per liveness step in the accessible mode (0 = each step waits for you)"), "accessible"))
    plain_run_timeout: float = field(default=300.0, metadata=_doc(N_("Seconds a selfie run may take in the accessible mode (10 to 3600; the user is told; steps themselves wait)"), "accessible"))

    @property
    def paths(self) -> Paths:
        return Paths.resolve(self.home)

    def replace(self, **changes: Any) -> "Settings":
        return dataclasses.replace(self, **changes)

    @staticmethod
    def remember(config_path: str | os.PathLike[str], name: str, value: Any) -> Path:
        """``remember_setting``, for code that holds settings and must not import this module (i18n)."""
        return remember_setting(config_path, name, value)

    def public_dict(self) -> dict[str, Any]:
        """Settings as plain data, safe for a support bundle (database passwords masked)."""
        data = dataclasses.asdict(self)
        if data.get("database_url"):
            data["database_url"] = mask_url(data["database_url"])
        return data


MAX_PLAIN_RUN_SECONDS = 3600.0

_QUERY_SECRET = re.compile(r"(?i)([?&](?:password|passwd|pwd|sslpassword)=)[^&#\s\"]*")
_USERINFO_SECRET = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s\"]+):(?P<password>[^@\s\"]+)@")


def mask_url(url: str) -> str:
    """A database URL (or any text holding one) with its passwords replaced by ***:
    both ``user:password@host`` and ``?password=...`` query parameters."""
    masked = _USERINFO_SECRET.sub(lambda m: f"{m.group('head')}:***@", url)
    return _QUERY_SECRET.sub(lambda m: f"{m.group(1)}***", masked)


def _field_types() -> dict[str, str]:
    return {f.name: str(f.type) for f in fields(Settings)}


def coerce(name: str, raw: Any) -> Any:
    """Convert a raw value (env string or TOML value) to the field's type, or raise ConfigError."""
    types = _field_types()
    if name not in types:
        raise ConfigError(_("Unknown setting {name!r}.").format(name=name), hint=_("Run 'selfverify config' to list the settings."))
    kind = types[name]
    try:
        if raw is None:
            if "None" in kind:
                return None
            raise ValueError(_("a value is required"))
        if kind.startswith("bool"):
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ValueError(_("expected true or false"))
        if kind.startswith("int"):
            if isinstance(raw, str) and raw.strip() == "" and "None" in kind:
                return None
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError(_("expected a whole number"))
            return int(raw)
        if kind.startswith("float"):
            value = float(raw)
            if value != value:  # NaN
                raise ValueError(_("expected a number"))
            return value
        text = str(raw)
        if "None" in kind and text == "":
            return None
        return text
    except (TypeError, ValueError) as exc:
        raise ConfigError(_("Setting {name!r} has an invalid value {value!r}: {problem}.").format(name=name, value=raw, problem=exc)) from None


MAX_CONFIG_DEPTH = 8  # tables are only for readability: deeper nesting is a damaged or hostile file


def _flatten_toml(data: Mapping[str, Any], depth: int = 0) -> dict[str, Any]:
    if depth > MAX_CONFIG_DEPTH:
        raise ConfigError(_("The config file nests tables more than {limit} deep.").format(limit=MAX_CONFIG_DEPTH),
                          hint=_("Put each setting at the top level or in one [section]."))
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update(_flatten_toml(value, depth + 1))
        else:
            flat[key.replace("-", "_")] = value
    return flat


MAX_CONFIG_BYTES = 1 << 20


def read_config_file(path: Path) -> dict[str, Any]:
    import stat

    try:
        st = os.stat(path)
    except FileNotFoundError:
        return {}
    except ValueError:  # a NUL in the path
        raise ConfigError(_("The config file path is not a valid file name.")) from None
    except OSError as exc:
        raise ConfigError(_("The config file {path} cannot be read: {reason}.").format(path=path, reason=exc.strerror)) from None
    if not stat.S_ISREG(st.st_mode):  # a FIFO would block for ever, a device never end
        raise ConfigError(_("The config file {path} is not a regular file: it was not read.").format(path=path))
    if st.st_size > MAX_CONFIG_BYTES:
        raise ConfigError(_("The config file {path} is {size} bytes: a config file is under 1 MB.").format(path=path, size=st.st_size))
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_("The config file {path} is not valid TOML: {problem}.").format(path=path, problem=exc)) from None
    except RecursionError:
        raise ConfigError(_("The config file {path} nests tables or arrays too deeply to read.").format(path=path)) from None
    except UnicodeDecodeError:
        raise ConfigError(_("The config file {path} is not valid TOML: it is not UTF-8 text.").format(path=path)) from None
    except OSError as exc:
        raise ConfigError(_("The config file {path} cannot be read: {reason}.").format(path=path, reason=exc.strerror)) from None
    return _flatten_toml(raw)


def env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    names = _field_types()
    for name in names:
        key = ENV_PREFIX + name.upper()
        if key in environ:
            out[name] = environ[key]
    # the common cross-tool convention for screen-reader users
    if "accessible" not in out and environ.get("ACCESSIBLE", "").strip().lower() in _TRUE:
        out["accessible"] = "1"
    return out


def load_settings(
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    config_file: str | os.PathLike[str] | None = None,
) -> Settings:
    """Build settings: ``flags`` (non-None values) > environment > config file > defaults."""
    environ = os.environ if environ is None else environ
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    env = env_overrides(environ)
    home = flags.get("home") or env.get("home") or None
    paths = Paths.resolve(home) if home else _paths_from_env(environ)
    named = environ.get("SELFVERIFY_CONFIG")
    cfg_path = Path(config_file) if config_file else Path(named) if named else paths.config_file
    if named and not config_file:
        require_config_file(cfg_path)
    from_file = read_config_file(cfg_path)
    if "home" in from_file:
        raise ConfigError(
            _("'home' cannot be set in the config file {path} (the file lives inside it).").format(path=cfg_path),
            hint=_("Use --home or SELFVERIFY_HOME."),
        )
    merged: dict[str, Any] = {}
    for source in (from_file, env, flags):
        for name, raw in source.items():
            merged[name] = coerce(name, raw)
    settings = Settings(**merged)
    validate(settings)
    return settings


def require_config_file(path: Path) -> None:
    """A config file the user named explicitly must exist (a typo must not silently mean defaults)."""
    import stat

    from selfverify.textcheck import shown_path

    try:
        regular = stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):  # missing, unreadable, a NUL or a name too long
        regular = False
    if not regular:
        raise ConfigError(_("The config file {path} does not exist or is not a regular file.").format(path=shown_path(path)),
                          hint=_("Check the path given with --config or SELFVERIFY_CONFIG."))


def _paths_from_env(environ: Mapping[str, str]) -> Paths:
    return Paths.resolve(environ.get("SELFVERIFY_HOME") or None)


# Bounds that keep a credential meaningful: a looser tolerance accepts different people
# (measured O vs B 0.80-0.87), and NIST SP 800-63B-4 caps failed attempts at 100.
MAX_TOLERANCE = 0.6
MAX_TOTAL_FAILURES = 100
MAX_CREDENTIAL_DAYS = 5 * 366


# every number a setting may hold, inclusive: a value outside is refused with the range, so no
# setting can overflow a date, a timer or the database (e.g. interview_grace_hours=1e300)
NUMERIC_BOUNDS: dict[str, tuple[float, float]] = {
    "tolerance": (0.0, MAX_TOLERANCE), "decision_frames": (1, 100), "analysis_width": (160, 8192),
    "verify_timeout": (0, 86_400), "min_face_fraction": (0.0, 1.0), "max_face_fraction": (0.0, 1.0),
    "centre_tolerance": (0.0, 1.0), "min_brightness": (0.0, 255.0), "max_brightness": (0.0, 255.0),
    "min_sharpness": (0.0, 1e6), "seed": (0, 2**63 - 1), "challenge_steps": (2, 3), "challenge_timeout": (0, 3600),
    "turn_degrees": (5.0, 45.0), "blink_drop": (0.1, 0.8), "max_consecutive_failures": (1, MAX_TOTAL_FAILURES),
    "failure_wait_seconds": (0, 86_400), "max_total_failures": (1, MAX_TOTAL_FAILURES),
    "credential_days": (1, MAX_CREDENTIAL_DAYS), "retention_days": (1, 3660), "interview_grace_hours": (0, 24 * 31), "interview_reminder_hours": (0, 24 * 31),
    "smtp_port": (1, 65535), "smtp_timeout": (1, 300),
    "plain_step_timeout": (0, 3600), "plain_run_timeout": (0, 86_400),
}
MAX_TEXT_SETTING = 4096  # characters: a database URL or a camera path, never a megabyte


def _check_text_lengths(s: Settings) -> None:
    for f in fields(Settings):
        value = getattr(s, f.name)
        if isinstance(value, str) and (len(value) > MAX_TEXT_SETTING or "\0" in value):
            problem = (_("it holds a NUL character.") if "\0" in value else
                       _("{count} characters, at most {limit}.").format(count=len(value), limit=MAX_TEXT_SETTING))
            raise ConfigError(_("Setting {name!r} is not usable: {problem}").format(name=f.name, problem=problem))


def _check_bounds(s: Settings) -> None:
    import math

    for name, (low, high) in NUMERIC_BOUNDS.items():
        value = getattr(s, name)
        if value is None:
            continue
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(_("{name} must be a finite number, not {value}.").format(name=name, value=value))
        if not low <= value <= high:
            shown = f"{value:.6g}" if isinstance(value, float) else (str(value) if len(str(value)) <= 30 else f"{str(value)[:27]}...")
            raise ConfigError(_("{name} must be between {low:g} and {high:g}, not {shown}.").format(name=name, low=low, high=high, shown=shown))


def _check_interview_choices(s: Settings) -> None:
    choices = {"interview_channel": (None, "video", "phone", "in_person"), "interview_caller": ("agent", "person"),
               "smtp_security": ("starttls", "ssl", "none")}
    for name, allowed in choices.items():
        if getattr(s, name) not in allowed:
            names = [a for a in allowed if a]
            raise ConfigError(_("{name} must be {choices} or {last}, not {value!r}.").format(name=name, choices=", ".join(names[:-1]), last=names[-1], value=str(getattr(s, name))[:40]))
    if s.smtp_host and s.smtp_security == "none" and s.smtp_host not in ("localhost", "127.0.0.1", "::1"):
        raise ConfigError(_("smtp_security = none sends notices (and the SMTP password) in the clear to {smtp_host}.").format(smtp_host=s.smtp_host[:60]),
                          hint=_("Use starttls or ssl; none is only for a mail server on this computer."))


def validate(s: Settings) -> None:
    _check_text_lengths(s)
    if not s.user.strip():
        raise ConfigError(_("The user handle cannot be empty."), hint=_("Pass --user NAME or set SELFVERIFY_USER."))
    from selfverify.errors import InputError
    from selfverify.textcheck import check_handle

    try:
        check_handle(s.user, _("user handle"))
    except InputError as exc:
        raise ConfigError(exc.user_message, hint=exc.hint) from None
    if not 0.0 < s.tolerance <= MAX_TOLERANCE:
        raise ConfigError(
            _("tolerance must be above 0 and at most {limit} (stricter is lower), not {tolerance}.").format(limit=MAX_TOLERANCE, tolerance=s.tolerance),
            hint=_("Above 0.6 the face matcher starts accepting different people."),
        )
    _check_interview_choices(s)
    if s.preview not in ("auto", "blocks", "sixel", "kitty"):
        raise ConfigError(_("preview must be auto, blocks, sixel or kitty, not {preview!r}.").format(preview=s.preview))
    if s.challenge_steps not in (2, 3):
        raise ConfigError(_("challenge_steps must be 2 or 3, not {challenge_steps}.").format(challenge_steps=s.challenge_steps))
    if s.max_total_failures > MAX_TOTAL_FAILURES:
        raise ConfigError(_("max_total_failures can be at most {limit}, not {max_total_failures}.").format(limit=MAX_TOTAL_FAILURES, max_total_failures=s.max_total_failures))
    if s.max_consecutive_failures > s.max_total_failures:
        raise ConfigError(_("max_consecutive_failures cannot exceed max_total_failures."))
    if s.credential_days > MAX_CREDENTIAL_DAYS:
        raise ConfigError(_("credential_days can be at most {limit}, not {credential_days}.").format(limit=MAX_CREDENTIAL_DAYS, credential_days=s.credential_days))
    if s.decision_frames < 1:
        raise ConfigError(_("decision_frames must be at least 1."))
    if not 5.0 <= s.turn_degrees <= 45.0:
        raise ConfigError(_("turn_degrees must be between 5 and 45, not {turn_degrees}.").format(turn_degrees=s.turn_degrees))
    if not 0.1 <= s.blink_drop <= 0.8:
        raise ConfigError(_("blink_drop must be between 0.1 and 0.8, not {blink_drop}.").format(blink_drop=s.blink_drop))
    for name in ("verify_timeout", "challenge_timeout", "failure_wait_seconds", "plain_step_timeout", "plain_run_timeout"):
        if getattr(s, name) < 0:
            raise ConfigError(_("{name} cannot be negative.").format(name=name))
    if s.verify_timeout == 0 and s.challenge_timeout == 0:  # one try would have no end
        raise ConfigError(_("verify_timeout and challenge_timeout cannot both be 0: a selfie run needs a time limit."))
    if not 10.0 <= s.plain_run_timeout <= MAX_PLAIN_RUN_SECONDS:  # no step deadline there, so the run needs one
        raise ConfigError(_("plain_run_timeout must be between 10 and {limit:g} seconds, not {plain_run_timeout:g}.").format(limit=MAX_PLAIN_RUN_SECONDS, plain_run_timeout=s.plain_run_timeout))
    for name in ("max_consecutive_failures", "max_total_failures", "credential_days", "retention_days"):
        if getattr(s, name) < 1:
            raise ConfigError(_("{name} must be at least 1.").format(name=name))
    if s.analysis_width < 160:
        raise ConfigError(_("analysis_width must be at least 160 pixels."))
    if s.interview_grace_hours < 0:
        raise ConfigError(_("interview_grace_hours cannot be negative."))
    if s.timezone:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(s.timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError, UnicodeError):
            from selfverify.textcheck import shown

            raise ConfigError(_("Unknown time zone {zone!r}.").format(zone=shown(s.timezone)), hint=_("Use a name like Europe/Paris, America/New_York or UTC.")) from None
    _check_bounds(s)


def describe_settings() -> list[tuple[str, str, str, str]]:
    """(name, section, env var, doc) for every setting: used by ``selfverify config`` and the README."""
    return [(f.name, f.metadata["section"], ENV_PREFIX + f.name.upper(), f.metadata["doc"]) for f in fields(Settings)]


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value))  # a JSON string is a valid TOML basic string


def remember_setting(config_path: str | os.PathLike[str], name: str, value: Any) -> Path:
    """Set ``name = value`` in the TOML config file, keeping every other line (comments too).

    An existing ``name`` line is rewritten where it is (in any table); otherwise the key goes on
    top, before the first table. The file is written atomically with mode 0600, and a file that is
    not valid TOML is left alone (ConfigError)."""
    value = coerce(name, value)
    path = Path(config_path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(_("The config file {path} cannot be read: {reason}.").format(path=path, reason=exc)) from None
    read_config_file(path)  # refuses to touch a broken file
    line = f"{name} = {_toml_value(value)}"
    spellings = "|".join(re.escape(n) for n in {name, name.replace("_", "-")})
    existing = re.compile(rf"^([ \t]*)(?:{spellings})[ \t]*=.*$", re.MULTILINE)
    if existing.search(text):
        updated = existing.sub(lambda m: m.group(1) + line, text)
    else:
        updated = f"{line}\n{text}"
    try:
        written = _flatten_toml(tomllib.loads(updated))
    except tomllib.TOMLDecodeError:
        written = {}
    if written.get(name) != value:
        raise ConfigError(_("Could not set {name} in {path} without disturbing it: add '{line}' by hand.").format(name=name, path=path, line=line))
    ensure_private_dir(path.parent)
    write_private_file(path, updated.encode("utf-8"))
    return path
