"""Where the user is: Consent -> Reference -> Selfie -> Result, in words as well as colour."""

from __future__ import annotations

from textual.widgets import Static

STEPS = ("Consent", "Reference", "Selfie", "Result")


class StepIndicator(Static):
    DEFAULT_CSS = """
    StepIndicator { height: 1; padding: 0 1; color: $text; }
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
        for i, name in enumerate(STEPS):
            if i == 0 and i < index and self.consent_withdrawn:
                parts.append(f"✗ {name} withdrawn")
            elif i < index:
                parts.append(f"✓ {name}")
            elif i == index:
                parts.append(f"[b reverse]▶ {name}[/]")
            else:
                parts.append(f"· {name}")
        self.update(f"Step {index + 1} of {len(STEPS)}: " + " → ".join(parts))

    def show_consent(self, accepted: bool) -> None:
        self.consent_withdrawn = not accepted
        self.set_step(self.current)
