"""The command line's own hints: core and services say what is wrong and what to do in words any
front end can use (they name no flag); for the errors below the CLI says it with its options."""

from __future__ import annotations

from selfverify.errors import SelfverifyError

RECORDING_SOURCES = "a video file, an image folder or a photo"
# error code -> the hint the CLI prints instead of the front-end-neutral one
CLI_HINTS = {
    "liveness_off_with_camera": "Turn liveness back on (drop --liveness off / SELFVERIFY_LIVENESS=off), "
                                f"or use --camera with {RECORDING_SOURCES}.",
    "no_camera": f"Use --camera with {RECORDING_SOURCES}, or choose the interview path.",
    "replay_needs_recording": f"Use --camera with {RECORDING_SOURCES}.",
    "replay_needs_seed": "Use --seed N (shown by 'selfverify sessions show'), or 'selfverify sessions replay SESSION_ID'.",
    "seed_needs_replay": "Drop --seed / SELFVERIFY_SEED, or replay a recording with: selfverify verify --replay --seed N "
                         "--camera FILE --reference PHOTO",
}


def cli_hint(err: SelfverifyError) -> str | None:
    return CLI_HINTS.get(err.code, err.hint)


def with_cli_hint(err: SelfverifyError) -> SelfverifyError:
    """``err`` with the CLI's hint, for the commands whose errors may carry one (verify, sessions replay)."""
    err.hint = cli_hint(err)
    return err
