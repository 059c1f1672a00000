"""My data: retained photos (delete selected / all), deletion receipts, the credential
(show, revoke, export), consent (withdraw), and delete everything."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, DataTable, Static

from selfverify.i18n import N_, _, format_number, ngettext, pgettext
from selfverify.tui.messages import MyDataChanged, MyDataLoaded, TokenReady
from selfverify.tui.screens.base import AppScreen
from selfverify.tui.widgets.confirm import ConfirmDialog, Words


def _day(dt, zone=None) -> str:  # noqa: ANN001
    """The one time format of every screen (the interview's): weekday, date, time and zone."""
    from selfverify.services.interview import format_when

    return format_when(dt, zone or dt.astimezone().tzinfo) if dt else "-"


def _short_day(dt, zone) -> str:  # noqa: ANN001
    """A table cell's time: short and in the current language's own order (the full form, with the
    zone, is in the lines below the tables); a table wider than 80 columns would hide its last ones."""
    from selfverify.i18n import format_datetime

    return format_datetime(dt, "short", tzinfo=zone) if dt else "-"


def _short_id(value: str) -> str:
    """An id in a table: its first 8 characters, as git shows a commit (the full one is in the
    messages and dialogs that act on it)."""
    return value if len(value) <= 9 else value[:8] + "…"


RECEIPT_WORDS = {
    "reference": N_("reference photo"), "selfie": N_("selfie photo"), "credential": N_("credential"),
    "consent_records": N_("consent records"), "attempt_counter": N_("selfie attempt count"),
    "appointments": N_("interview bookings"), "sessions": N_("check sessions"), "audit_events": N_("activity log"),
    "user": N_("you deleted it"), "expiry": N_("retention period ended"), "consent_withdrawn": N_("consent withdrawn"),
    "delete_all": N_("you deleted everything"), "interrupted": N_("unfinished, cleaned up"),
}
METHOD_WORDS = {"selfie": N_("selfie check"), "interview": N_("interview")}
CONSENT_CHOICES = {"declined": N_("declined"), "withdrawn": N_("withdrawn")}


def _words(code: str, words: dict = RECEIPT_WORDS) -> str:
    """A receipt's kind or reason (or a credential's method) in words, never the internal code."""
    return _(words[code]) if code in words else code.replace("_", " ")


def _size(n: int) -> str:
    if n < 1024 * 1024:
        return _("{size} KB").format(size=format_number(round(n / 1024)))
    return _("{size} MB").format(size=format_number(round(n / (1024 * 1024), 1)))


PHOTO_COLUMNS = (N_("Kind"), N_("Created"), N_("Expires"), N_("Size"), N_("ID"))
RECEIPT_COLUMNS = (N_("Deleted"), N_("Kind"), N_("Why"), N_("Receipt"))


def _fill_table(table: DataTable, labels: tuple[str, ...], rows: list[tuple[str, tuple[str, ...]]]) -> None:
    """Columns sized from the rows now: DataTable otherwise widens them later, on idle, and a header
    line drawn in between stays cached at the old widths (out of line with its rows)."""
    from rich.cells import cell_len

    table.clear(columns=True)
    for i, label in enumerate(_(label) for label in labels):
        table.add_column(label, width=max([cell_len(label), *(cell_len(cells[i]) for _key, cells in rows)]))
    for key, cells in rows:
        table.add_row(*cells, key=key)


PALETTE_BUTTONS = {
    "delete_all_photos": "delete-all-photos", "export": "credential-export", "revoke": "credential-revoke",
    "withdraw": "consent-withdraw", "delete_everything": "delete-everything",
}


class MyDataScreen(AppScreen):
    BINDINGS = [
        Binding("x", "delete_selected", N_("Delete")),
        Binding("r", "refresh", N_("Refresh")),
    ]

    def body(self) -> ComposeResult:
        with VerticalScroll(id="mydata"):
            yield Static(_("Retained photos (kept only if you chose to, encrypted)"), classes="section-title")
            yield DataTable(id="photos-table", cursor_type="row", zebra_stripes=True)
            with Horizontal(classes="row-buttons"):
                yield Button(_("Delete selected (x)"), id="delete-selected", variant="error", compact=True)
                yield Button(_("Delete all photos"), id="delete-all-photos", variant="error", compact=True)
            yield Static(_("Deletion receipts"), classes="section-title")
            yield DataTable(id="receipts-table", cursor_type="row", zebra_stripes=True)
            yield Static(_("Credential"), classes="section-title")
            yield Static(_("Loading…"), id="credential-info")
            with Horizontal(classes="row-buttons"):
                yield Button(_("Show"), id="credential-show", compact=True)
                yield Button(_("Export token"), id="credential-export", compact=True)
                yield Button(_("Revoke"), id="credential-revoke", variant="error", compact=True)
            yield Static(_("Consent to the selfie check"), classes="section-title")
            yield Static(_("Loading…"), id="consent-info")
            with Horizontal(classes="row-buttons"):
                yield Button(_("Withdraw consent"), id="consent-withdraw", variant="warning", compact=True)
                yield Button(_("Delete everything"), id="delete-everything", variant="error", compact=True)

    def on_mount(self) -> None:
        self._set_up()
        self.action_refresh()

    def _set_up(self) -> None:
        photos = self.query_one("#photos-table", DataTable)
        photos.add_columns(*(_(label) for label in PHOTO_COLUMNS))
        self.query_one("#receipts-table", DataTable).add_columns(*(_(label) for label in RECEIPT_COLUMNS))
        photos.focus()

    async def language_changed(self) -> None:
        """Every label again in the new language, and the data read again to lay it out in it."""
        await self.recompose()
        self._set_up()
        self.load(False)

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
            except SelfverifyError as exc:  # one part unreadable: shown in its place, the others still shown
                data[key] = exc
        if data["credential"] is None:  # none stored: say so only if the keyring could have held one
            from selfverify.store.secrets import backend_status

            status = backend_status(probe=True)
            data["keyring"] = None if status.usable else status
        self.post_message(MyDataLoaded(data, announce))

    def on_my_data_loaded(self, message: MyDataLoaded) -> None:
        consent = message.data["consent"]
        if not isinstance(consent, Exception) and not consent.accepted:  # withdrawn here or elsewhere
            self.app.forget_biometrics()
        focused = self.focused
        try:
            self._fill(message.data, message.announce)
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
            self.set_status(_("Photos: {problem}").format(problem=data["photos"].user_message))
        else:
            photo_rows = [(p.id, (_words(p.kind), _short_day(p.created_at, zone), _short_day(p.expires_at, zone),
                                  _size(p.size), _short_id(p.id)))
                          for p in data["photos"]]
        _fill_table(photos, PHOTO_COLUMNS, photo_rows)
        receipts = self.query_one("#receipts-table", DataTable)
        receipt_rows = []
        if not isinstance(data["receipts"], Exception):
            receipt_rows = [(r.id, (_short_day(r.deleted_at, zone), _words(r.kind), _words(r.reason), _short_id(r.id)))
                            for r in data["receipts"]]
        _fill_table(receipts, RECEIPT_COLUMNS, receipt_rows)
        n_photos = 0 if isinstance(data["photos"], Exception) else len(data["photos"])
        self.query_one("#delete-selected", Button).disabled = n_photos == 0
        self.query_one("#delete-all-photos", Button).disabled = n_photos == 0
        cred = data["credential"]
        info = self.query_one("#credential-info", Static)
        has_cred = cred is not None and not isinstance(cred, Exception)
        keyring = data.get("keyring")
        if isinstance(cred, Exception):
            info.update(_("Cannot read the credential: {problem}").format(problem=cred.user_message)
                        + (" " + _("Fix: {hint}").format(hint=cred.hint) if cred.hint else ""))
        elif keyring:
            info.update(_("No credential can be stored or read: the keyring is unavailable: {reason}. Fix: {fix}").format(
                reason=keyring.reason, fix=keyring.fix))
        elif cred is None:
            info.update(_("No credential. Complete a selfie check or an interview to get one."))
        else:
            info.update(_("Credential {id} ({method}), issued {issued}, valid until {expires}.").format(
                id=cred.id, method=_words(cred.method, METHOD_WORDS), issued=_day(cred.issued_at, zone),
                expires=_day(cred.expires_at, zone)))
        for bid in ("credential-show", "credential-export", "credential-revoke"):
            self.query_one(f"#{bid}", Button).disabled = not has_cred
        consent = data["consent"]
        cinfo = self.query_one("#consent-info", Static)
        if isinstance(consent, Exception):
            cinfo.update(_("Cannot read consent: {problem}").format(problem=consent.user_message))
        elif consent.accepted:
            cinfo.update(_("Given for notice {version} on {date}.").format(version=consent.version, date=_day(consent.at, zone)))
        else:
            choice = _words(consent.choice, CONSENT_CHOICES) if consent.choice else _("never asked")
            cinfo.update(_("Not given ({choice}).").format(choice=choice))
        self.query_one("#consent-withdraw", Button).disabled = isinstance(consent, Exception) or not consent.accepted
        if announce:
            if isinstance(cred, Exception) or keyring:
                cred_word = _("credential unreadable")
            else:
                cred_word = _("a credential") if has_cred else _("no credential")
            if isinstance(data["photos"], Exception):
                photos_word = _("photos unreadable")
            else:
                photos_word = ngettext("{count} retained photo", "{count} retained photos", n_photos).format(count=n_photos)
            self.set_status(_("My data: {photos}; {credential}.").format(photos=photos_word, credential=cred_word))

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
            self.set_status(_("{action}: not available now (nothing to act on).").format(action=button.label))
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
            self.set_status(_("No photo selected: there are no retained photos."))
            return
        self._ask(lambda: _("Delete photo {id}? Its key is destroyed first, so it can never be decrypted again.").format(id=photo_id),
                  "delete", [photo_id])

    def _confirm_delete_all_photos(self) -> None:
        self._ask(lambda: _("Delete ALL retained photos? This cannot be undone."), "delete_all_photos")

    def _confirm_revoke(self) -> None:
        self._ask(lambda: _("Revoke your credential? You will need to verify again to get a new one."), "revoke",
                  label=lambda: pgettext("button", "Revoke"))

    def _confirm_withdraw(self) -> None:
        self._ask(lambda: _("Withdraw consent? All retained photos are deleted too."), "withdraw",
                  label=lambda: pgettext("button", "Withdraw"))

    def _confirm_delete_everything(self) -> None:
        self._ask(
            lambda: _("Delete everything selfverify keeps about you: photos, credential and consent? "
                      "Only deletion receipts and the count of failed selfie tries remain (no photo or face data)."),
            "delete_everything",
            label=lambda: _("Delete everything"),
        )

    def _ask(self, question: Words, op: str, ids: list[str] | None = None, label: Words | None = None) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.run_service(op, ids or [])
            else:
                self.set_status(_("Nothing was changed."))

        self.app.push_screen(ConfirmDialog(question, label), answered)

    def on_token_ready(self, message: TokenReady) -> None:
        from pathlib import Path

        from selfverify.tui.widgets.token_dialog import TokenDialog

        self.app.push_screen(TokenDialog(message.token, Path.home() / "selfverify-credential.jwt"))

    @work(thread=True, exclusive=True, exit_on_error=False, group="mydata-action")
    def run_service(self, op: str, ids: list[str] | None = None) -> None:
        """One action; it raises on failure (``worker_failed`` says why and shows the data again)."""
        from selfverify.services.credentials import CredentialService
        from selfverify.services.vault import PhotoVault

        ctx = self.app.ctx
        forget = False
        if op == "delete":
            receipts = PhotoVault(ctx).delete(ids or [], reason="user")
            message = ngettext("Deleted {count} photo; receipt {receipts}.", "Deleted {count} photos; receipts {receipts}.",
                               len(receipts)).format(count=len(receipts), receipts=", ".join(r.id for r in receipts))
        elif op == "delete_all_photos":
            receipts = PhotoVault(ctx).delete_all(reason="user")
            message = ngettext("Deleted {count} photo.", "Deleted {count} photos.", len(receipts)).format(count=len(receipts))
        elif op == "show":
            cred = CredentialService(ctx).current()
            check = CredentialService(ctx).verify_token(cred.token) if cred else None
            message = (_("Credential {id}: signature and expiry {check}.").format(id=cred.id, check=check.message)
                       if cred and check else _("No credential."))
        elif op == "export":
            cred = CredentialService(ctx).current()
            if cred is None:
                message = _("No credential to export.")
            else:
                self.post_message(TokenReady(cred.token))
                message = _("Your token is shown: select it, or save it to a file (or run: selfverify credential export).")
        elif op == "revoke":
            cred = CredentialService(ctx).revoke()
            message = _("Credential {id} revoked and removed from the keyring.").format(id=cred.id)
        elif op == "withdraw":
            from selfverify.services.erasure import withdraw_consent

            withdraw_consent(ctx)
            message, forget = _("Consent withdrawn; retained photos deleted."), True
        elif op == "delete_everything":
            from selfverify.services.erasure import delete_all_user_data

            report = delete_all_user_data(ctx)
            message = _("Deleted {photos}, {credentials} and consent records. Kept: deletion receipts, the audit "
                        "log and the count of failed selfie tries (no photos, no face data).").format(
                photos=ngettext("{count} photo", "{count} photos", report.photos_deleted).format(count=report.photos_deleted),
                credentials=ngettext("{count} credential", "{count} credentials",
                                     report.credentials_deleted).format(count=report.credentials_deleted))
            forget = True
        else:  # pragma: no cover - every button names one of the above
            raise ValueError(f"unknown My data action {op!r}")
        self.post_message(MyDataChanged(message, forget_biometrics=forget))

    def on_my_data_changed(self, message: MyDataChanged) -> None:
        if message.forget_biometrics:
            self.app.forget_biometrics()
        self.set_status(message.text)
        self.load(False)

    def worker_failed(self, group: str, error: BaseException) -> None:
        super().worker_failed(group, error)
        if group == "mydata-action":  # what is stored now, whatever part of the action was done
            self.load(False)
