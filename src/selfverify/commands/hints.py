"""The command line's own hints: core and services say what is wrong and what to do in words any
front end can use (they name no flag); for the errors below the CLI says it with its options."""

from __future__ import annotations

from selfverify.errors import SelfverifyError
from selfverify.i18n import N_, _

RECORDING_SOURCES = N_("a video file, an image folder or a photo")
# error code -> the hint the CLI prints instead of the front-end-neutral one ({sources}: RECORDING_SOURCES)
CLI_HINTS = {
    "liveness_off_with_camera": N_("Turn liveness back on (drop --liveness off / SELFVERIFY_LIVENESS=off), "
                                   "or use --camera with {sources}."),
    "no_camera": N_("Use --camera with {sources}, or choose the interview path."),
    "replay_needs_recording": N_("Use --camera with {sources}."),
    "replay_needs_seed": N_("Use --seed N (shown by 'selfverify sessions show'), or 'selfverify sessions replay SESSION_ID'."),
    "seed_needs_replay": N_("Drop --seed / SELFVERIFY_SEED, or replay a recording with: {command}"),
}


def cli_hint(err: SelfverifyError) -> str | None:
    if err.code not in CLI_HINTS:
        return err.hint
    return _(CLI_HINTS[err.code]).format(sources=_(RECORDING_SOURCES),
                                         command="selfverify verify --replay --seed N --camera FILE --reference PHOTO")


def with_cli_hint(err: SelfverifyError) -> SelfverifyError:
    """``err`` with the CLI's hint, for the commands whose errors may carry one (verify, sessions replay)."""
    err.hint = cli_hint(err)
    return err
