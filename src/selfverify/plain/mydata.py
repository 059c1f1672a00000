"""My data in the accessible mode: kept photos (list, delete), deletion receipts, the credential
(show, export, revoke), consent (withdraw) and delete everything. The services do the work."""

from __future__ import annotations

from selfverify.errors import SelfverifyError
from selfverify.plain.flow import Flow
from selfverify.plain.terminal import GoBack
from selfverify.wording.speech import plural

MENU = [
    ("photos", "List kept photos"),
    ("delete", "Delete one kept photo"),
    ("delete-all", "Delete all kept photos"),
    ("receipts", "List deletion receipts"),
    ("show", "Check my credential"),
    ("export", "Export my credential"),
    ("revoke", "Revoke my credential"),
    ("withdraw", "Withdraw my consent"),
    ("everything", "Delete everything about me"),
    ("menu", "Main menu"),
]
TOKEN_FILE = "selfverify-credential.txt"
EXPORT_HELP = ("Saving writes a new file that only your user can read (mode 600); give a new name, or confirm to "
               "replace an old file. The token also stays in your keyring.")
MENU_HELP = ("Kept photos exist only if you chose to keep them after a selfie check; they are encrypted. "
             "Deleting destroys the photo's key first, so it can never be read again, and leaves a receipt.")
REASON_WORDS = {"user": "you asked", "expiry": "its time ran out", "consent_withdrawn": "consent was withdrawn",
                "delete_all": "you deleted everything", "interrupted": "a check was interrupted"}
KIND_WORDS = {"reference": "reference photo", "selfie": "camera picture", "consent_records": "consent records",
              "attempt_counter": "count of failed tries", "audit_events": "event records"}


def _kind(kind: str) -> str:
    return KIND_WORDS.get(kind, kind)


def _describe(photo, on) -> str:  # noqa: ANN001
    return f"{_kind(photo.kind)}, kept since {on(photo.created_at)}"


def _assurance_words(key: str, value) -> str:  # noqa: ANN001
    value = {True: "yes", False: "no"}.get(value, value) if isinstance(value, bool) else value
    return f"{key.replace('_', ' ')}: {value}"


class MyDataFlow(Flow):
    def run(self) -> None:
        self.summary()
        heard = False
        while True:
            choice = self.dialogue.choose("My data: what would you like to do?", MENU, MENU_HELP,
                                          brief="My data" if heard else None)
            heard = True
            if choice == "menu":
                return
            try:
                getattr(self, "do_" + choice.replace("-", "_"))()
            except GoBack:
                continue
            except SelfverifyError as exc:
                self.out.problem(exc.user_message, exc.hint)

    def _kept_photos(self, when_none: str = "no photos are kept."):  # noqa: ANN202
        """The kept photos; says ``when_none`` if there are none."""
        from selfverify.services.vault import PhotoVault

        photos = PhotoVault(self.ctx).list()
        if not photos:
            self.out.status(when_none)
        return photos

    def summary(self) -> None:
        from selfverify.services.consent import ConsentService

        from selfverify.services.vault import PhotoVault

        photos = PhotoVault(self.ctx).list()
        self.out.status(f"{plural(len(photos), 'kept photo')}.")
        try:
            self.out.status(self._credential_sentence())
        except SelfverifyError as exc:
            self.out.problem(f"the credential cannot be read: {exc.user_message}", exc.hint)
        consent = ConsentService(self.ctx).status()
        if consent.accepted:
            self.out.status(f"consent to the selfie check given on {self.day(consent.at)}.")
        else:
            self.out.status(f"consent to the selfie check not given ({consent.choice or 'never asked'}).")

    def _credential_sentence(self) -> str:
        from selfverify.services.credentials import CredentialService

        current = CredentialService(self.ctx).current()
        if current is None:
            return "no credential. Pass a selfie check or an interview to get one."
        return f"a credential from the {current.method} path, valid until {self.day(current.expires_at)}."

    # photos

    def do_photos(self) -> None:
        for number, photo in enumerate(self._kept_photos(), 1):
            self.out.line(f"{number}. {_describe(photo, self.day)}, deleted automatically on {self.day(photo.expires_at)}.")

    def do_delete(self) -> None:
        from selfverify.services.vault import PhotoVault

        photos = self._kept_photos("no photos are kept: there is nothing to delete.")
        if not photos:
            return
        choices = [(p.id, _describe(p, self.day)) for p in photos]
        photo_id = self.dialogue.choose("Which photo should be deleted?", choices)
        if not self.dialogue.confirm("Delete it? It can never be read again."):
            self.out.status("nothing was deleted.")
            return
        for receipt in PhotoVault(self.ctx).delete([photo_id], reason="user"):
            self.out.result(f"deleted the {_kind(receipt.kind)}; a deletion receipt was kept.")

    def do_delete_all(self) -> None:
        from selfverify.services.vault import PhotoVault

        count = len(self._kept_photos("no photos are kept: there is nothing to delete."))
        if not count:
            return
        what = "the kept photo" if count == 1 else f"all {count} kept photos"
        if not self.dialogue.confirm(f"Delete {what}? This cannot be undone."):
            self.out.status("nothing was deleted.")
            return
        receipts = PhotoVault(self.ctx).delete_all(reason="user")
        self.out.result(f"deleted {plural(len(receipts), 'photo')}; "
                        + ("a receipt was kept." if len(receipts) == 1 else "a receipt was kept for each."))

    def do_receipts(self) -> None:
        from selfverify.services.vault import receipts_for

        receipts = receipts_for(self.ctx, self.ctx.user)
        if not receipts:
            self.out.status("no deletion receipts.")
            return
        for number, receipt in enumerate(receipts, 1):
            why = REASON_WORDS.get(receipt.reason, receipt.reason.replace("_", " "))
            self.out.line(f"{number}. {_kind(receipt.kind)}, deleted {self.day(receipt.deleted_at)}, because {why}.")

    # credential

    def do_show(self) -> None:
        from selfverify.services.credentials import CredentialService

        service = CredentialService(self.ctx)
        service.reconcile(full=True)  # a token that vanished from the keyring is noticed here
        current = service.current()
        if current is None:
            self.out.status("you have no credential. Pass a selfie check or an interview to get one.")
            return
        check = service.verify_token(current.token)
        self.out.line(f"Credential for {current.subject}, from the {current.method} path.")
        self.out.line(f"Issued {self.when(current.issued_at)}, {self.zone_name}; valid until {self.day(current.expires_at)}.")
        for key, value in sorted(current.assurance.items()):
            self.out.line(_assurance_words(key, value))
        self.out.result(f"the credential's signature and expiry are {check.message}.")

    def do_export(self) -> None:
        from selfverify.services.credentials import CredentialService

        service = CredentialService(self.ctx)
        if service.current() is None:
            self.out.status("you have no credential to export.")
            return
        while True:
            how = self.dialogue.ask("The token is a secret, like a password. Type save to save it to a file, show to "
                                    "print it, or press Enter for neither:", EXPORT_HELP).lower()
            if how in ("", "save", "show", "no", "n"):
                break
            self.out.problem("Please type save, show, or press Enter.")
        if how == "save":
            self.save_token(service.export())
        elif how == "show":
            self.out.verbatim(service.export())
            self.out.status("token shown above; it stays in your keyring too.")
        else:
            self.out.status("the token was not shown or saved.")

    def save_token(self, token: str) -> None:
        """Save the token through outfile.write_output (a new file, mode 0600); a file that exists is
        replaced only after a yes."""
        import os

        from selfverify.errors import InputError
        from selfverify.outfile import write_output

        default = os.path.join("~", TOKEN_FILE)
        while True:
            target = self.dialogue.ask(f"File name (Enter: {TOKEN_FILE} in your home folder):", EXPORT_HELP).strip()
            target = target.strip("'\"") or default
            if target == "-":
                self.out.problem("Type a file name.")
                continue
            try:
                where = write_output(target, (token + "\n").encode("ascii"))
            except InputError as exc:
                if exc.code != "output_exists":
                    self.out.problem(exc.user_message)
                    continue
                if not self.dialogue.confirm(f"{os.path.basename(target)} already exists. Replace it?"):
                    continue
                where = write_output(target, (token + "\n").encode("ascii"), force=True)
            self.out.result(f"token saved to {os.path.basename(where)}, readable only by you.")
            return

    def do_revoke(self) -> None:
        from selfverify.services.credentials import CredentialService

        if CredentialService(self.ctx).current() is None:
            self.out.status("you have no credential to revoke.")
            return
        if not self.dialogue.confirm("Revoke your credential? To get a new one, you verify again."):
            self.out.status("nothing was changed.")
            return
        CredentialService(self.ctx).revoke()
        self.out.result("credential revoked and removed from your keyring.")

    # consent and everything

    def do_withdraw(self) -> None:
        from selfverify.services.consent import ConsentService

        service = ConsentService(self.ctx)
        if not service.status().accepted:
            self.out.status("you have not given consent, so there is nothing to withdraw.")
            return
        from selfverify.services.vault import PhotoVault

        count = len(PhotoVault(self.ctx).list())
        photos = f" and your {plural(count, 'kept photo')} {'is' if count == 1 else 'are'} deleted" if count else ""
        if not self.dialogue.confirm(f"Withdraw consent? The camera stays off{photos}."):
            self.out.status("nothing was changed.")
            return
        from selfverify.services.erasure import withdraw_consent

        withdraw_consent(self.ctx)
        self.out.result("consent withdrawn" + (f"; {plural(count, 'kept photo')} deleted." if count else "."))

    def do_everything(self) -> None:
        from selfverify.services.erasure import delete_all_user_data

        if not self.dialogue.confirm(
            f"Delete everything selfverify keeps about {self.ctx.user}: kept photos, credential and consent? "
            "Only deletion receipts and the count of failed tries stay, with no photo or face data."
        ):
            self.out.status("nothing was deleted.")
            return
        report = delete_all_user_data(self.ctx)
        self.out.result(
            f"deleted {plural(report.photos_deleted, 'photo')}, {plural(report.credentials_deleted, 'credential')}, "
            f"{plural(report.consent_records_deleted, 'consent record')}; the count of failed tries is kept. "
            f"{plural(len(report.receipts), 'deletion receipt')} remain{'s' if len(report.receipts) == 1 else ''}."
        )
