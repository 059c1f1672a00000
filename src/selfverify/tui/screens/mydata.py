"""My data: retained photos (delete selected / all), deletion receipts, the credential
(show, revoke, export), consent (withdraw), and delete everything."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, DataTable, Static

from selfverify.tui.screens.base import AppScreen
from selfverify.tui.widgets.confirm import ConfirmDialog


def _day(dt, zone=None) -> str:  # noqa: ANN001
    """The one time format of every screen (the interview's): weekday, date, time and zone."""
    from selfverify.services.interview import format_when

    return format_when(dt, zone or dt.astimezone().tzinfo) if dt else "-"


RECEIPT_WORDS = {
    "reference": "reference photo", "selfie": "selfie photo", "credential": "credential",
    "consent_records": "consent records", "attempt_counter": "selfie attempt count",
    "user": "you deleted it", "expiry": "retention period ended", "consent_withdrawn": "consent withdrawn",
    "delete_all": "you deleted everything", "interrupted": "unfinished, cleaned up",
}


def _words(code: str) -> str:
    """A receipt's kind or reason in words, never the internal code."""
    return RECEIPT_WORDS.get(code, code.replace("_", " "))


def _size(n: int) -> str:
    return f"{n / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / (1024 * 1024):.1f} MB"


PHOTO_COLUMNS = ("Kind", "Created", "Expires", "Size", "ID")
RECEIPT_COLUMNS = ("Deleted", "Kind", "Why", "Receipt")


def _fill_table(table: DataTable, labels: tuple[str, ...], rows: list[tuple[str, tuple[str, ...]]]) -> None:
    """Columns sized from the rows now: DataTable otherwise widens them later, on idle, and a header
    line drawn in between stays cached at the old widths (out of line with its rows)."""
    from rich.cells import cell_len

    table.clear(columns=True)
    for i, label in enumerate(labels):
        table.add_column(label, width=max([cell_len(label), *(cell_len(cells[i]) for _, cells in rows)]))
    for key, cells in rows:
        table.add_row(*cells, key=key)


PALETTE_BUTTONS = {
    "delete_all_photos": "delete-all-photos", "export": "credential-export", "revoke": "credential-revoke",
    "withdraw": "consent-withdraw", "delete_everything": "delete-everything",
}


class MyDataScreen(AppScreen):
    BINDINGS = [
        Binding("x", "delete_selected", "Delete"),
        Binding("r", "refresh", "Refresh"),
    ]

    def body(self) -> ComposeResult:
        with VerticalScroll(id="mydata"):
            yield Static("Retained photos (kept only if you chose to, encrypted)", classes="section-title")
            yield DataTable(id="photos-table", cursor_type="row", zebra_stripes=True)
            with Horizontal(classes="row-buttons"):
                yield Button("Delete selected (x)", id="delete-selected", variant="error", compact=True)
                yield Button("Delete all photos", id="delete-all-photos", variant="error", compact=True)
            yield Static("Deletion receipts", classes="section-title")
            yield DataTable(id="receipts-table", cursor_type="row", zebra_stripes=True)
            yield Static("Credential", classes="section-title")
            yield Static("Loading…", id="credential-info")
            with Horizontal(classes="row-buttons"):
                yield Button("Show", id="credential-show", compact=True)
                yield Button("Export token", id="credential-export", compact=True)
                yield Button("Revoke", id="credential-revoke", variant="error", compact=True)
            yield Static("Consent to the selfie check", classes="section-title")
            yield Static("Loading…", id="consent-info")
            with Horizontal(classes="row-buttons"):
                yield Button("Withdraw consent", id="consent-withdraw", variant="warning", compact=True)
                yield Button("Delete everything", id="delete-everything", variant="error", compact=True)

    def on_mount(self) -> None:
        photos = self.query_one("#photos-table", DataTable)
        photos.add_columns(*PHOTO_COLUMNS)
        receipts = self.query_one("#receipts-table", DataTable)
        receipts.add_columns(*RECEIPT_COLUMNS)
        self.action_refresh()
        photos.focus()

    def action_refresh(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="mydata-load")
    def load(self, announce: bool = True) -> None:
        from selfverify.errors import SelfverifyError
        from selfverify.services.consent import ConsentService
        from selfverify.services.credentials import CredentialService
        from selfverify.services.vault import PhotoVault, receipts_for

        ctx = self.app.ctx
        data: dict = {}
        for key, fn in (
            ("photos", lambda: PhotoVault(ctx).list()),
            ("receipts", lambda: receipts_for(ctx, ctx.user)),
            ("credential", lambda: CredentialService(ctx).current()),
            ("consent", lambda: ConsentService(ctx).status()),
        ):
            try:
                data[key] = fn()
            except SelfverifyError as exc:
                data[key] = exc
        if data["credential"] is None:  # none stored: say so only if the keyring could have held one
            from selfverify.store.secrets import backend_status

            status = backend_status(probe=True)
            data["keyring"] = None if status.usable else f"the keyring is unavailable: {status.reason}. Fix: {status.fix}"
        self.app.call_from_thread(self._show, data, announce)

    def _show(self, data: dict, announce: bool = True) -> None:
        focused = self.focused
        try:
            self._fill(data, announce)
        finally:
            # the button just used (Revoke, Withdraw) may now be disabled: focus goes back to the
            # top of the page, never on to the next button (which would be Delete everything)
            if isinstance(focused, Button) and focused.disabled:
                self.query_one("#photos-table", DataTable).focus()

    def _fill(self, data: dict, announce: bool = True) -> None:
        from selfverify.services.interview import resolve_zone

        zone = resolve_zone(self.app.ctx.settings.timezone)
        photos = self.query_one("#photos-table", DataTable)
        photo_rows = []
        if isinstance(data["photos"], Exception):
            self.set_status(f"Photos: {data['photos'].user_message}")
        else:
            photo_rows = [(p.id, (_words(p.kind), _day(p.created_at, zone), _day(p.expires_at, zone), _size(p.size), p.id))
                          for p in data["photos"]]
        _fill_table(photos, PHOTO_COLUMNS, photo_rows)
        receipts = self.query_one("#receipts-table", DataTable)
        receipt_rows = []
        if not isinstance(data["receipts"], Exception):
            receipt_rows = [(r.id, (_day(r.deleted_at, zone), _words(r.kind), _words(r.reason), r.id)) for r in data["receipts"]]
        _fill_table(receipts, RECEIPT_COLUMNS, receipt_rows)
        n_photos = 0 if isinstance(data["photos"], Exception) else len(data["photos"])
        self.query_one("#delete-selected", Button).disabled = n_photos == 0
        self.query_one("#delete-all-photos", Button).disabled = n_photos == 0
        cred = data["credential"]
        info = self.query_one("#credential-info", Static)
        has_cred = cred is not None and not isinstance(cred, Exception)
        if isinstance(cred, Exception):
            info.update(f"Cannot read the credential: {cred.user_message}" + (f" Fix: {cred.hint}" if cred.hint else ""))
        elif data.get("keyring"):
            info.update(f"No credential can be stored or read: {data['keyring']}")
        elif cred is None:
            info.update("No credential. Complete a selfie check or an interview to get one.")
        else:
            info.update(f"Credential {cred.id} ({cred.method}), issued {_day(cred.issued_at, zone)}, valid until {_day(cred.expires_at, zone)}.")
        for bid in ("credential-show", "credential-export", "credential-revoke"):
            self.query_one(f"#{bid}", Button).disabled = not has_cred
        consent = data["consent"]
        cinfo = self.query_one("#consent-info", Static)
        if isinstance(consent, Exception):
            cinfo.update(f"Cannot read consent: {consent.user_message}")
        elif consent.accepted:
            cinfo.update(f"Given for notice {consent.version} on {_day(consent.at, zone)}.")
        else:
            cinfo.update(f"Not given ({consent.choice or 'never asked'}).")
        self.query_one("#consent-withdraw", Button).disabled = isinstance(consent, Exception) or not consent.accepted
        if announce:
            unreadable = isinstance(cred, Exception) or data.get("keyring")
            cred_word = "credential unreadable" if unreadable else ("a credential" if has_cred else "no credential")
            photos_word = "photos unreadable" if isinstance(data["photos"], Exception) else f"{n_photos} retained photo(s)"
            self.set_status(f"My data: {photos_word}; {cred_word}.")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        handlers = {
            "delete-selected": self.action_delete_selected,
            "delete-all-photos": self._confirm_delete_all_photos,
            "credential-show": lambda: self.run_service("show"),
            "credential-export": lambda: self.run_service("export"),
            "credential-revoke": self._confirm_revoke,
            "consent-withdraw": self._confirm_withdraw,
            "delete-everything": self._confirm_delete_everything,
        }
        handler = handlers.get(event.button.id or "")
        if handler:
            handler()

    def run_palette_action(self, op: str) -> None:
        """The command palette's My data entries: the same path (and confirmation) as the buttons."""
        button = self.query_one(f"#{PALETTE_BUTTONS[op]}", Button)
        if button.disabled:
            self.set_status(f"{button.label}: not available now (nothing to act on).")
            return
        self.on_button_pressed(Button.Pressed(button))

    def _selected_photo(self) -> str | None:
        table = self.query_one("#photos-table", DataTable)
        if table.row_count == 0:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def action_delete_selected(self) -> None:
        photo_id = self._selected_photo()
        if photo_id is None:
            self.set_status("No photo selected: there are no retained photos.")
            return
        self._ask(f"Delete photo {photo_id}? Its key is destroyed first, so it can never be decrypted again.", "delete", [photo_id])

    def _confirm_delete_all_photos(self) -> None:
        self._ask("Delete ALL retained photos? This cannot be undone.", "delete_all_photos")

    def _confirm_revoke(self) -> None:
        self._ask("Revoke your credential? You will need to verify again to get a new one.", "revoke", label="Revoke")

    def _confirm_withdraw(self) -> None:
        self._ask("Withdraw consent? All retained photos are deleted too.", "withdraw", label="Withdraw")

    def _confirm_delete_everything(self) -> None:
        self._ask(
            "Delete everything selfverify keeps about you: photos, credential and consent? "
            "Only deletion receipts and the count of failed selfie tries remain (no photo or face data).",
            "delete_everything",
            label="Delete everything",
        )

    def _ask(self, question: str, op: str, ids: list[str] | None = None, label: str = "Delete") -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.run_service(op, ids or [])
            else:
                self.set_status("Nothing was changed.")

        self.app.push_screen(ConfirmDialog(question, label), answered)

    def _show_token(self, token: str) -> None:
        from pathlib import Path

        from selfverify.tui.widgets.token_dialog import TokenDialog

        self.app.push_screen(TokenDialog(token, Path.home() / "selfverify-credential.jwt"))

    @work(thread=True, exclusive=True, exit_on_error=False, group="mydata-action")
    def run_service(self, op: str, ids: list[str] | None = None) -> None:
        from selfverify.errors import SelfverifyError
        from selfverify.services.credentials import CredentialService
        from selfverify.services.vault import PhotoVault

        ctx = self.app.ctx
        try:
            if op == "delete":
                receipts = PhotoVault(ctx).delete(ids or [], reason="user")
                message = f"Deleted {len(receipts)} photo(s); receipt {', '.join(r.id for r in receipts)}."
            elif op == "delete_all_photos":
                receipts = PhotoVault(ctx).delete_all(reason="user")
                message = f"Deleted {len(receipts)} photo(s)."
            elif op == "show":
                cred = CredentialService(ctx).current()
                check = CredentialService(ctx).verify_token(cred.token) if cred else None
                message = f"Credential {cred.id}: signature and expiry {check.message}." if cred and check else "No credential."
            elif op == "export":
                cred = CredentialService(ctx).current()
                if cred is None:
                    message = "No credential to export."
                else:
                    self.app.call_from_thread(self._show_token, cred.token)
                    message = "Your token is shown: select it, or save it to a file (or run: selfverify credential export)."
            elif op == "revoke":
                cred = CredentialService(ctx).revoke()
                message = f"Credential {cred.id} revoked and removed from the keyring."
            elif op == "withdraw":
                from selfverify.services.erasure import withdraw_consent

                withdraw_consent(ctx)
                message = "Consent withdrawn; retained photos deleted."
            elif op == "delete_everything":
                from selfverify.services.erasure import delete_all_user_data

                report = delete_all_user_data(ctx)
                message = (
                    f"Deleted {report.photos_deleted} photo(s), {report.credentials_deleted} credential(s), "
                    f"consent records. Kept: deletion receipts, the audit log and the count of failed selfie tries "
                    f"(no photos, no face data)."
                )
            else:  # pragma: no cover
                message = f"Unknown action {op}."
        except SelfverifyError as exc:
            message = exc.user_message
        self.app.call_from_thread(self.set_status, message)
        self.app.call_from_thread(self.load, False)
