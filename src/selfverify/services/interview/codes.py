"""Confirmation codes: drawn from the OS's CSPRNG, shown as XXXX-XXXX, typed back in any form."""

from __future__ import annotations

import random
import re
import secrets

from selfverify.errors import InputError
from selfverify.i18n import _

# no 0/O, 1/I/L: a code read aloud or copied by hand survives
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
_CODE_ATTEMPTS = 5
_SYSTEM_RANDOM = secrets.SystemRandom()


def new_code(rng: random.Random | None = None) -> str:
    """An unguessable code (the OS's CSPRNG unless a test injects a seeded ``rng``)."""
    pick = (rng or _SYSTEM_RANDOM).choice
    return "".join(pick(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """``K7QXM4PD`` -> ``K7QX-M4PD`` (how codes are shown)."""
    half = CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def normalise_code(typed: str) -> str:
    """Accept a code in any case, with or without the dash or spaces; raise InputError if malformed."""
    cleaned = re.sub(r"[\s\-]", "", str(typed or "")).upper()
    shape = _("8 letters and digits, like K7QX-M4PD")
    if not cleaned:
        raise InputError(_("Type the confirmation code ({shape}).").format(shape=shape), code="bad_code")
    if len(cleaned) != CODE_LENGTH:
        raise InputError(_("{value!r} is not a confirmation code: it should be {shape}.").format(value=typed.strip(), shape=shape),
                         code="bad_code")
    wrong = sorted({ch for ch in cleaned if ch not in CODE_ALPHABET})
    if wrong:
        raise InputError(
            _("{value!r} is not a confirmation code: codes never contain {characters} "
              "(they use 2-9 and A-Z without 0, 1, I, L and O).").format(value=typed.strip(), characters=", ".join(wrong)),
            code="bad_code",
        )
    return cleaned
