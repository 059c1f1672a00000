"""Words of the accessible mode: the notice without Markdown marks, results as sentences."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

from selfverify.core.events import Decision
from selfverify.plain.wording import markdown_lines, outcome_lines, spell_code


def test_the_real_notice_reads_without_markdown_marks(plain_settings):
    from selfverify.services.consent import load_notice

    lines = markdown_lines(load_notice(plain_settings).text)
    assert lines[0] == "Before your selfie check: what happens to your face"
    for line in lines:
        assert not line.startswith(("#", "- ", "* ")) and "`" not in line, line
    # a wrapped bullet is one line; sections are separated by one blank line
    assert any(line.startswith("The check compares the face") and line.endswith("not a photo.") for line in lines)
    assert "" in lines and "\n".join(lines).count("\n\n\n") == 0
    assert "What is captured" in lines


def test_markdown_lines_small_cases():
    assert markdown_lines("# Title #\ntext that\nwraps\n\n- **bold** item\n  continued\n- second\n\n\n") == [
        "Title", "text that wraps", "", "bold item continued", "second"]


def test_spell_code():
    assert spell_code("K7QX-M4PD") == "K 7 Q X, M 4 P D"


def _outcome(decision, credential=None, attempts=None, credential_error=None):
    return SimpleNamespace(decision=decision, credential=credential, attempts=attempts, credential_error=credential_error)


def test_outcome_sentences():
    expires = datetime(2027, 1, 1, 12, tzinfo=timezone.utc)
    cred = SimpleNamespace(id="4a7f9c2e0b1d4e5fa0b1c2d3e4f50617", expires_at=expires)
    done, sentence, rest = outcome_lines(_outcome(Decision(verified=True, liveness="passed", live_source=True), cred), timezone.utc)
    assert done and rest == []
    assert sentence == "verified. Your credential is stored in your keyring, valid until Friday 1 January 2027."  # no hex id

    done, sentence, rest = outcome_lines(_outcome(Decision(verified=True, liveness="skipped")))
    assert not done and "liveness was skipped" in sentence and "no credential was issued" in sentence

    # issue 12's drift: the TUI said "Verified, but no credential could be stored." and the plain mode
    # "your face matches, but no credential was issued: ..."; now both say the outcome's one sentence
    done, sentence, rest = outcome_lines(_outcome(Decision(verified=True, liveness="passed", live_source=True),
                                                  credential_error="no keyring"))
    assert not done and sentence == "verified, but no credential could be stored." and rest[0] == "no keyring"

    attempts = SimpleNamespace(message="4 tries left before you have to wait 30 s between tries.")
    done, sentence, rest = outcome_lines(_outcome(Decision(reason="no_match", distance=0.71, tolerance=0.5), attempts=attempts))
    assert not done
    assert sentence == "not verified: your face did not match the reference photo (distance 0.71, at most 0.50 needed)."
    assert rest[-1] == attempts.message
