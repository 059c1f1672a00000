"""My data in the accessible mode: kept photos (list, delete), deletion receipts, the credential
(show, export, revoke), consent (withdraw) and delete everything. The services do the work."""

from __future__ import annotations

from selfverify.errors import SelfverifyError
from selfverify.plain.flow import Flow
from selfverify.plain.terminal import GoBack
from selfverify.plain.wording import local_time

MENU = [
    ("photos", "List kept photos"),
    ("delete", "Delete one kept photo"),
    ("delete-all", "Delete all kept photos"),
    ("receipts", "List deletion receipts"),
    ("show", "Show and check my credential"),
    ("export", "Export my credential token"),
    ("revoke", "Revoke my credential"),
    ("withdraw", "Withdraw consent to the selfie check"),
    ("everything", "Delete everything selfverify keeps about me"),
    ("menu", "Main menu"),
]
MENU_HELP = ("Kept photos exist only if you chose to keep them after a selfie check; they are encrypted. "
             "Deleting destroys the photo's key first, so it can never be read again, and leaves a receipt.")
KIND_WORDS = {"reference": "reference photo", "selfie": "camera picture", "consent_records": "consent records",
              "attempt_counter": "count of failed tries"}


def _kind(kind: str) -> str:
    return KIND_WORDS.get(kind, kind)


def _describe(photo) -> str:  # noqa: ANN001
    return f"{_kind(photo.kind)}, kept since {local_time(photo.created_at)}, id {photo.id}"


class MyDataFlow(Flow):
    def run(self) -> None:
        self.summary()
        while True:
            choice = self.dialogue.choose("My data: what would you like to do?", MENU, MENU_HELP)
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
        self.out.status(f"{len(photos)} kept photo{'' if len(photos) == 1 else 's'}.")
        try:
            self.out.status(self._credential_sentence())
        except SelfverifyError as exc:
            self.out.problem(f"the credential cannot be read: {exc.user_message}", exc.hint)
        consent = ConsentService(self.ctx).status()
        if consent.accepted:
            self.out.status(f"consent to the selfie check given on {local_time(consent.at)} (notice {consent.version}).")
        else:
            self.out.status(f"consent to the selfie check not given ({consent.choice or 'never asked'}).")

    def _credential_sentence(self) -> str:
        from selfverify.services.credentials import CredentialService

        current = CredentialService(self.ctx).current()
        if current is None:
            return "no credential. Pass a selfie check or an interview to get one."
        return (f"credential {current.id} from the {current.method} path, issued {local_time(current.issued_at)}, "
                f"valid until {local_time(current.expires_at)}.")

    # photos

    def do_photos(self) -> None:
        for number, photo in enumerate(self._kept_photos(), 1):
            self.out.line(f"{number}. {_describe(photo)}, deleted automatically on {local_time(photo.expires_at)}.")

    def do_delete(self) -> None:
        from selfverify.services.vault import PhotoVault

        photos = self._kept_photos("no photos are kept: there is nothing to delete.")
        if not photos:
            return
        choices = [(p.id, _describe(p)) for p in photos]
        photo_id = self.dialogue.choose("Which photo should be deleted?", choices)
        if not self.dialogue.confirm("Delete it? Its key is destroyed first, so it can never be read again."):
            self.out.status("nothing was deleted.")
            return
        for receipt in PhotoVault(self.ctx).delete([photo_id], reason="user"):
            self.out.result(f"deleted {_kind(receipt.kind)} {receipt.item_id} (receipt {receipt.id}).")

    def do_delete_all(self) -> None:
        from selfverify.services.vault import PhotoVault

        count = len(self._kept_photos("no photos are kept: there is nothing to delete."))
        if not count:
            return
        if not self.dialogue.confirm(f"Delete all {count} kept photos? This cannot be undone."):
            self.out.status("nothing was deleted.")
            return
        receipts = PhotoVault(self.ctx).delete_all(reason="user")
        self.out.result(f"deleted {len(receipts)} photo{'' if len(receipts) == 1 else 's'}; a receipt was kept for each.")

    def do_receipts(self) -> None:
        from selfverify.services.vault import receipts_for

        receipts = receipts_for(self.ctx, self.ctx.user)
        if not receipts:
            self.out.status("no deletion receipts.")
            return
        for number, receipt in enumerate(receipts, 1):
            self.out.line(f"{number}. {_kind(receipt.kind)} {receipt.item_id} deleted on {local_time(receipt.deleted_at)}, "
                          f"reason {receipt.reason.replace('_', ' ')}, receipt {receipt.id}.")

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
        self.out.line(f"Credential {current.id}, for {current.subject}, from the {current.method} path.")
        self.out.line(f"Issued {local_time(current.issued_at)}, valid until {local_time(current.expires_at)}.")
        for key, value in sorted(current.assurance.items()):
            self.out.line(f"{key.replace('_', ' ')}: {value}")
        self.out.result(f"the credential's signature and expiry are {check.message}.")

    def do_export(self) -> None:
        from selfverify.services.credentials import CredentialService

        service = CredentialService(self.ctx)
        if service.current() is None:
            self.out.status("you have no credential to export.")
            return
        if not self.dialogue.confirm("The token is a secret, like a password. Print it on the screen?"):
            self.out.status("the token was not shown.")
            return
        self.out.line(service.export())
        self.out.status("token shown above; it stays in your keyring too.")

    def do_revoke(self) -> None:
        from selfverify.services.credentials import CredentialService

        if CredentialService(self.ctx).current() is None:
            self.out.status("you have no credential to revoke.")
            return
        if not self.dialogue.confirm("Revoke your credential? You will need to verify again to get a new one."):
            self.out.status("nothing was changed.")
            return
        revoked = CredentialService(self.ctx).revoke()
        self.out.result(f"credential {revoked.id} revoked and removed from your keyring.")

    # consent and everything

    def do_withdraw(self) -> None:
        from selfverify.services.consent import ConsentService

        service = ConsentService(self.ctx)
        if not service.status().accepted:
            self.out.status("you have not given consent, so there is nothing to withdraw.")
            return
        from selfverify.services.vault import PhotoVault

        count = len(PhotoVault(self.ctx).list())
        if not self.dialogue.confirm(f"Withdraw consent? The camera stays off and your {count} kept photo(s) are deleted."):
            self.out.status("nothing was changed.")
            return
        from selfverify.services.erasure import withdraw_consent

        withdraw_consent(self.ctx)
        self.out.result(f"consent withdrawn; {count} kept photo(s) deleted.")

    def do_everything(self) -> None:
        from selfverify.services.erasure import delete_all_user_data

        if not self.dialogue.confirm(
            f"Delete everything selfverify keeps about {self.ctx.user}: kept photos, credential, consent and "
            "failed tries? Only deletion receipts stay (they hold no photo or face data)."
        ):
            self.out.status("nothing was deleted.")
            return
        report = delete_all_user_data(self.ctx)
        self.out.result(
            f"deleted {report.photos_deleted} photo(s), {report.credentials_deleted} credential(s), "
            f"{report.consent_records_deleted} consent record(s) and "
            f"{'the' if report.attempt_counter_deleted else 'no'} count of failed tries. "
            f"{len(report.receipts)} deletion receipt(s) remain."
        )
