"""One error hierarchy. Every error a user can meet carries a message written for them and an
exit code; front ends print ``user_message`` and never a traceback (unless ``--debug``).

Exit codes (documented in the README):
  0  success / verified / valid / same person
  1  negative decision: rejected, different person, credential invalid
  2  input problem: unreadable or unusable file, no face, bad option, camera cannot be opened
  3  environment problem: keyring missing or locked, face models missing
  4  storage problem: database locked or unreachable, disk full, vault damaged
  5  refused by policy: no consent, locked out, liveness skipped, nothing to act on
  70 internal error (a bug: run again with --debug and report it)
  130 interrupted (Ctrl+C)
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_NEGATIVE = 1
EXIT_INPUT = 2
EXIT_ENVIRONMENT = 3
EXIT_STORAGE = 4
EXIT_POLICY = 5
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130


class SelfverifyError(Exception):
    """Base class. ``code`` is a stable machine-readable identifier for JSON output."""

    exit_code: int = EXIT_INTERNAL
    code: str = "error"

    def __init__(self, user_message: str, *, code: str | None = None, hint: str | None = None):
        super().__init__(user_message)
        self.user_message = user_message
        self.hint = hint
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.user_message if not self.hint else f"{self.user_message}\n{self.hint}"

    def as_dict(self) -> dict[str, str]:
        data = {"code": self.code, "message": self.user_message}
        if self.hint:
            data["hint"] = self.hint
        return data


class InputError(SelfverifyError):
    exit_code = EXIT_INPUT
    code = "input"


class ImageError(InputError):
    code = "bad_image"


class NoFaceError(InputError):
    code = "no_face"


class TooManyFacesError(InputError):
    code = "too_many_faces"


class CameraError(InputError):
    code = "camera"


class ConfigError(InputError):
    code = "config"


class EnvironmentProblem(SelfverifyError):
    exit_code = EXIT_ENVIRONMENT
    code = "environment"


class FaceModelsMissing(EnvironmentProblem):
    code = "face_models_missing"


class KeyringUnavailable(EnvironmentProblem):
    code = "keyring_unavailable"


class StorageError(SelfverifyError):
    exit_code = EXIT_STORAGE
    code = "storage"


class DatabaseError(StorageError):
    code = "database"


class PolicyRefusal(SelfverifyError):
    exit_code = EXIT_POLICY
    code = "refused"


class ConsentRequired(PolicyRefusal):
    code = "consent_required"


class LockedOut(PolicyRefusal):
    code = "locked_out"


class NotFound(PolicyRefusal):
    code = "not_found"
