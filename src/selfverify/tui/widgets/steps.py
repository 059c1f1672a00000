"""Where the user is: Consent -> Reference -> Selfie -> Result, in words as well as colour."""

from __future__ import annotations

from textual.widgets import Static

from selfverify.i18n import _, pgettext

STEPS = ("consent", "reference", "selfie", "result")


def step_name(step: str) -> str:
    """A step's name as shown: a noun in a progress bar ("Selfie" the step, not the action)."""
    return {
        "consent": pgettext("progress step", "Consent"),
        "reference": pgettext("progress step", "Reference"),
        "selfie": pgettext("progress step", "Selfie"),
        "result": pgettext("progress step", "Result"),
    }[step]


class StepIndicator(Static):
    DEFAULT_CSS = """  # i18n: ignore (CSS)
    StepIndicator { height: auto; padding: 0 1; color: $text; }
    """

    def __init__(self, current: str, **kwargs):
        super().__init__(**kwargs)
        self.current = current
        self.consent_withdrawn = False  # set when consent was withdrawn after this screen opened

    def on_mount(self) -> None:
        self.set_step(self.current)

    def set_step(self, current: str) -> None:
        self.current = current
        index = STEPS.index(current)
        parts = []
        for i, name in enumerate(step_name(step) for step in STEPS):
            if i == 0 and i < index and self.consent_withdrawn:
                parts.append(_("✗ {step} withdrawn").format(step=name))
            elif i < index:
                parts.append(f"✓ {name}")
            elif i == index:
                parts.append(f"[b reverse]▶ {name}[/]")
            else:
                parts.append(f"· {name}")
        self.update(_("Step {number} of {total}: ").format(number=index + 1, total=len(STEPS)) + " → ".join(parts))

    def show_consent(self, accepted: bool) -> None:
        self.consent_withdrawn = not accepted
        self.set_step(self.current)
