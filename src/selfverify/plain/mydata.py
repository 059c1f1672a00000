"""My data in the accessible mode: kept photos (list, delete), deletion receipts, the credential
(show, export, revoke), consent (withdraw) and delete everything. The services do the work."""

from __future__ import annotations

from selfverify.errors import SelfverifyError
from selfverify.i18n import N_, _, ngettext, pgettext
from selfverify.plain.flow import Flow
from selfverify.plain.terminal import GoBack, typed

MENU = [
    ("photos", N_("List kept photos")),
    ("delete", N_("Delete one kept photo")),
    ("delete-all", N_("Delete all kept photos")),
    ("receipts", N_("List deletion receipts")),
    ("show", N_("Check my credential")),
    ("export", N_("Export my credential")),
    ("revoke", N_("Revoke my credential")),
    ("withdraw", N_("Withdraw my consent")),
    ("everything", N_("Delete everything about me")),
    ("menu", N_("Main menu")),
]
TOKEN_FILE = "selfverify-credential.txt"
EXPORT_HELP = N_("Saving writes a new file that only your user can read (mode 600); give a new name, or confirm to "
                 "replace an old file. The token also stays in your keyring.")
MENU_HELP = N_("Kept photos exist only if you chose to keep them after a selfie check; they are encrypted. "
               "Deleting destroys the photo's key first, so it can never be read again, and leaves a receipt.")
REASON_WORDS = {"user": N_("you asked"), "expiry": N_("its time ran out"), "consent_withdrawn": N_("consent was withdrawn"),
                "delete_all": N_("you deleted everything"), "interrupted": N_("a check was interrupted")}
KIND_WORDS = {"reference": N_("reference photo"), "selfie": N_("camera picture"), "consent_records": N_("consent records"),
              "attempt_counter": N_("count of failed tries"), "audit_events": N_("event records")}
METHOD_WORDS = {"selfie": N_("selfie"), "interview": N_("interview")}
NOTHING_CHANGED = N_("nothing was changed.")
NOTHING_DELETED = N_("nothing was deleted.")
NOTHING_TO_DELETE = N_("no photos are kept: there is nothing to delete.")
NO_CREDENTIAL = N_("you have no credential. Pass a selfie check or an interview to get one.")


def _kind(kind: str) -> str:
    return _(KIND_WORDS[kind]) if kind in KIND_WORDS else kind


def _method(method: str) -> str:
    return _(METHOD_WORDS[method]) if method in METHOD_WORDS else method


def _describe(photo, on) -> str:  # noqa: ANN001
    return _("{kind}, kept since {day}").format(kind=_kind(photo.kind), day=on(photo.created_at))


def _assurance_words(key: str, value) -> str:  # noqa: ANN001
    value = (_("yes") if value else _("no")) if isinstance(value, bool) else value
    return f"{key.replace('_', ' ')}: {value}"


class MyDataFlow(Flow):
    def run(self) -> None:
        self.summary()
        heard = False
        while True:
            choice = self.dialogue.choose(_("My data: what would you like to do?"), [(key, _(text)) for key, text in MENU],
                                          _(MENU_HELP), brief=pgettext("menu name", "My data") if heard else None)
            heard = True
            if choice == "menu":
                return
            try:
                getattr(self, "do_" + choice.replace("-", "_"))()
            except GoBack:
                continue
            except SelfverifyError as exc:
                self.out.problem(exc.user_message, exc.hint)

    def _kept_photos(self, when_none: str = N_("no photos are kept.")):  # noqa: ANN202
        """The kept photos; says ``when_none`` (a marked string) if there are none."""
        from selfverify.services.vault import PhotoVault

        photos = PhotoVault(self.ctx).list()
        if not photos:
            self.out.status(_(when_none))
        return photos

    def summary(self) -> None:
        from selfverify.services.consent import ConsentService

        from selfverify.services.vault import PhotoVault

        photos = PhotoVault(self.ctx).list()
        self.out.status(ngettext("{count} kept photo.", "{count} kept photos.", len(photos)).format(count=len(photos)))
        try:
            self.out.status(self._credential_sentence())
        except SelfverifyError as exc:
            self.out.problem(_("the credential cannot be read: {problem}").format(problem=exc.user_message), exc.hint)
        consent = ConsentService(self.ctx).status()
        if consent.accepted:
            self.out.status(_("consent to the selfie check given on {day}.").format(day=self.day(consent.at)))
        elif consent.choice == "declined":
            self.out.status(_("consent to the selfie check not given (declined)."))
        elif consent.choice == "withdrawn":
            self.out.status(_("consent to the selfie check not given (withdrawn)."))
        elif consent.choice:
            self.out.status(_("consent to the selfie check not given ({choice}).").format(choice=consent.choice))
        else:
            self.out.status(_("consent to the selfie check not given (never asked)."))

    def _credential_sentence(self) -> str:
        from selfverify.services.credentials import CredentialService

        current = CredentialService(self.ctx).current()
        if current is None:
            return _("no credential. Pass a selfie check or an interview to get one.")
        return _("a credential from the {method} path, valid until {day}.").format(
            method=_method(current.method), day=self.day(current.expires_at))

    # photos

    def do_photos(self) -> None:
        for number, photo in enumerate(self._kept_photos(), 1):
            self.out.line(_("{number}. {photo}, deleted automatically on {day}.").format(
                number=number, photo=_describe(photo, self.day), day=self.day(photo.expires_at)))

    def do_delete(self) -> None:
        from selfverify.services.vault import PhotoVault

        photos = self._kept_photos(NOTHING_TO_DELETE)
        if not photos:
            return
        choices = [(p.id, _describe(p, self.day)) for p in photos]
        photo_id = self.dialogue.choose(_("Which photo should be deleted?"), choices)
        if not self.dialogue.confirm(_("Delete it? It can never be read again.")):
            self.out.status(_(NOTHING_DELETED))
            return
        for receipt in PhotoVault(self.ctx).delete([photo_id], reason="user"):
            self.out.result(_("deleted the {kind}; a deletion receipt was kept.").format(kind=_kind(receipt.kind)))

    def do_delete_all(self) -> None:
        from selfverify.services.vault import PhotoVault

        count = len(self._kept_photos(NOTHING_TO_DELETE))
        if not count:
            return
        if not self.dialogue.confirm(ngettext("Delete the kept photo? This cannot be undone.", "Delete all {count} kept photos? This cannot be undone.", count).format(count=count)):
            self.out.status(_(NOTHING_DELETED))
            return
        receipts = PhotoVault(self.ctx).delete_all(reason="user")
        self.out.result(ngettext("deleted {count} photo; a receipt was kept.", "deleted {count} photos; a receipt was kept for each.", len(receipts)).format(count=len(receipts)))

    def do_receipts(self) -> None:
        from selfverify.services.vault import receipts_for

        receipts = receipts_for(self.ctx, self.ctx.user)
        if not receipts:
            self.out.status(_("no deletion receipts."))
            return
        for number, receipt in enumerate(receipts, 1):
            why = _(REASON_WORDS[receipt.reason]) if receipt.reason in REASON_WORDS else receipt.reason.replace("_", " ")
            self.out.line(_("{number}. {kind}, deleted {day}, because {why}.").format(
                number=number, kind=_kind(receipt.kind), day=self.day(receipt.deleted_at), why=why))

    # credential

    def do_show(self) -> None:
        from selfverify.services.credentials import CredentialService

        service = CredentialService(self.ctx)
        service.reconcile(full=True)  # a token that vanished from the keyring is noticed here
        current = service.current()
        if current is None:
            self.out.status(_(NO_CREDENTIAL))
            return
        check = service.verify_token(current.token)
        self.out.line(_("Credential for {subject}, from the {method} path.").format(subject=current.subject, method=_method(current.method)))
        self.out.line(_("Issued {time}, {zone}; valid until {day}.").format(
            time=self.when(current.issued_at), zone=self.zone_name, day=self.day(current.expires_at)))
        for key, value in sorted(current.assurance.items()):
            self.out.line(_assurance_words(key, value))
        self.out.result(_("the credential's signature and expiry are {verdict}.").format(verdict=_(check.message)))

    def do_export(self) -> None:
        from selfverify.services.credentials import CredentialService

        service = CredentialService(self.ctx)
        if service.current() is None:
            self.out.status(_("you have no credential to export."))
            return
        save, show = _("save"), _("show")
        while True:
            how = self.dialogue.ask(_("The token is a secret, like a password. Type {save} to save it to a file, {show} to "
                                      "print it, or press Enter for neither:").format(save=save, show=show), _(EXPORT_HELP)).lower()
            if how in ("save", save.lower()):
                how = "save"
            elif how in ("show", show.lower()):
                how = "show"
            if how in ("", "save", "show", "no", "n") or typed("no", how):
                break
            self.out.problem(_("Please type {save}, {show}, or press Enter.").format(save=save, show=show))
        if how == "save":
            self.save_token(service.export())
        elif how == "show":
            self.out.verbatim(service.export())
            self.out.status(_("token shown above; it stays in your keyring too."))
        else:
            self.out.status(_("the token was not shown or saved."))

    def save_token(self, token: str) -> None:
        """Save the token through outfile.write_output (a new file, mode 0600); a file that exists is
        replaced only after a yes."""
        import os

        from selfverify.errors import InputError
        from selfverify.outfile import write_output

        default = os.path.join("~", TOKEN_FILE)
        while True:
            target = self.dialogue.ask(_("File name (Enter: {file} in your home folder):").format(file=TOKEN_FILE),
                                       _(EXPORT_HELP)).strip()
            target = target.strip("'\"") or default
            if target == "-":
                self.out.problem(_("Type a file name."))
                continue
            try:
                where = write_output(target, (token + "\n").encode("ascii"))
            except InputError as exc:
                if exc.code != "output_exists":
                    self.out.problem(exc.user_message)
                    continue
                if not self.dialogue.confirm(_("{file} already exists. Replace it?").format(file=os.path.basename(target))):
                    continue
                where = write_output(target, (token + "\n").encode("ascii"), force=True)
            self.out.result(_("token saved to {file}, readable only by you.").format(file=os.path.basename(where)))
            return

    def do_revoke(self) -> None:
        from selfverify.services.credentials import CredentialService

        if CredentialService(self.ctx).current() is None:
            self.out.status(_("you have no credential to revoke."))
            return
        if not self.dialogue.confirm(_("Revoke your credential? To get a new one, you verify again.")):
            self.out.status(_(NOTHING_CHANGED))
            return
        CredentialService(self.ctx).revoke()
        self.out.result(_("credential revoked and removed from your keyring."))

    # consent and everything

    def do_withdraw(self) -> None:
        from selfverify.services.consent import ConsentService

        service = ConsentService(self.ctx)
        if not service.status().accepted:
            self.out.status(_("you have not given consent, so there is nothing to withdraw."))
            return
        from selfverify.services.vault import PhotoVault

        count = len(PhotoVault(self.ctx).list())
        if count:
            question = ngettext("Withdraw consent? The camera stays off and your {count} kept photo is deleted.", "Withdraw consent? The camera stays off and your {count} kept photos are deleted.", count).format(count=count)
        else:
            question = _("Withdraw consent? The camera stays off.")
        if not self.dialogue.confirm(question):
            self.out.status(_(NOTHING_CHANGED))
            return
        from selfverify.services.erasure import withdraw_consent

        withdraw_consent(self.ctx)
        if count:
            self.out.result(ngettext("consent withdrawn; {count} kept photo deleted.", "consent withdrawn; {count} kept photos deleted.", count).format(count=count))
        else:
            self.out.result(_("consent withdrawn."))

    def do_everything(self) -> None:
        from selfverify.services.erasure import delete_all_user_data

        if not self.dialogue.confirm(_(
            "Delete everything selfverify keeps about {user}: kept photos, credential and consent? "
            "Only deletion receipts and the count of failed tries stay, with no photo or face data."
        ).format(user=self.ctx.user)):
            self.out.status(_(NOTHING_DELETED))
            return
        report = delete_all_user_data(self.ctx)
        from selfverify.wording.speech import spoken_list

        deleted = spoken_list([
            ngettext("{count} photo", "{count} photos", report.photos_deleted).format(count=report.photos_deleted),
            ngettext("{count} credential", "{count} credentials", report.credentials_deleted).format(count=report.credentials_deleted),
            ngettext("{count} consent record", "{count} consent records", report.consent_records_deleted).format(count=report.consent_records_deleted),
        ])
        remain = ngettext("{count} deletion receipt remains.", "{count} deletion receipts remain.", len(report.receipts)).format(count=len(report.receipts))
        self.out.result(_("deleted {what}; the count of failed tries is kept. {remain}").format(what=deleted, remain=remain))
