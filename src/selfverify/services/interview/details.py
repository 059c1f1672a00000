"""How an interview happens, set by the desk per slot: the channel (a video link, a phone number and
who calls whom, an address), instructions, and the documents a person must bring.

The desk's defaults come from its settings (``interview_channel``, ``interview_link``...); a slot may
override any of them when it is added (``agent slots add --channel ...`` or the hours TOML). The
merged result is stored with the slot, so a person reading it on another machine sees what the desk
set, not their own defaults. Accommodations (an interpreter, captions, a phone call instead of video,
a note) are what the person asks for at booking.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from typing import Any, Mapping

from selfverify.errors import InputError
from selfverify.i18n import N_, _, ngettext, pgettext

# the documents an agent may tick as seen (never images of them)
# names in English, marked: translated where shown (``_(DOCUMENT_TYPES[key])``, ``document_name(key)``)
DOCUMENT_TYPES: dict[str, str] = {
    "passport": N_("Passport"),
    "id_card": N_("National identity card"),
    "driving_licence": N_("Driving licence"),
    "residence_permit": N_("Residence permit"),
    "other_official": N_("Other official document"),
}

CHANNELS = {"video": N_("Video call"), "phone": N_("Phone call"), "in_person": N_("In person")}


def document_name(key: str) -> str:
    """A document type's name in the current language (an unknown key as it is)."""
    return _(DOCUMENT_TYPES[key]) if key in DOCUMENT_TYPES else key
CALLERS = ("agent", "person")
MAX_DETAIL_LENGTH = 300
MAX_INSTRUCTIONS_LENGTH = 1000
# the keys a slot override may set (CLI options and the hours TOML use the same names)
OVERRIDES = ("channel", "link", "phone", "caller", "address", "instructions", "documents", "not_accepted")


@dataclass(frozen=True)
class SlotDetails:
    channel: str | None = None  # None: a slot added before details existed, or a desk that has not said
    link: str | None = None
    phone: str | None = None
    caller: str = "agent"
    address: str | None = None
    instructions: str | None = None
    documents: tuple[str, ...] = ()
    not_accepted: str | None = None

    # ------------------------------------------------------------ building

    @classmethod
    def from_settings(cls, settings) -> "SlotDetails":  # noqa: ANN001
        return cls(
            channel=settings.interview_channel, link=settings.interview_link, phone=settings.interview_phone,
            caller=settings.interview_caller, address=settings.interview_address,
            instructions=settings.interview_instructions,
            documents=_document_list(settings.interview_documents, "interview_documents"),
            not_accepted=settings.interview_not_accepted,
        )

    def merged(self, overrides: Mapping[str, Any] | None) -> "SlotDetails":
        """These details with a slot's overrides (None values keep the default); checked."""
        changes: dict[str, Any] = {}
        for key, value in (overrides or {}).items():
            if key not in OVERRIDES:
                raise InputError(_("Unknown slot detail {key!r} (use {keys}).").format(key=key, keys=", ".join(OVERRIDES)),
                                 code="bad_details")
            if value is None or (isinstance(value, (list, tuple)) and not value):
                continue
            changes[key] = _document_list(value, "documents") if key == "documents" else value
        return replace(self, **changes).checked()

    def checked(self) -> "SlotDetails":
        """Refuse details a person could not act on (a video slot without a link...), one clear line each."""
        from selfverify.textcheck import _PHONE, check_free_text, field_name

        def text(value: str | None, what: str, limit: int = MAX_DETAIL_LENGTH) -> str | None:
            if value is None:
                return None
            if not isinstance(value, str):
                raise InputError(_("{field} must be text.").format(field=field_name(what)), code="bad_details")
            return check_free_text(value, what, limit, "bad_details") or None

        clean = replace(
            self, link=text(self.link, "join link"), phone=text(self.phone, "phone number"),
            address=text(self.address, "address"), not_accepted=text(self.not_accepted, "'not accepted' line"),
            instructions=text(self.instructions, "instructions", MAX_INSTRUCTIONS_LENGTH),
        )
        if clean.channel is not None and clean.channel not in CHANNELS:
            raise InputError(_("A slot's channel is video, phone or in_person, not {value!r}.").format(value=str(clean.channel)[:30]),
                             code="bad_details")
        if clean.caller not in CALLERS:
            raise InputError(_("Who calls is agent or person, not {value!r}.").format(value=str(clean.caller)[:30]), code="bad_details")
        if clean.channel == "video" and not (clean.link or "").startswith("https://"):
            raise InputError(_("A video slot needs a join link starting with https://."), code="bad_details",
                             hint=_("Pass --link URL, or set interview_link in the desk's config."))
        if clean.channel == "phone" and clean.caller == "person" and (
            clean.phone is None or _PHONE.search(clean.phone) is None
        ):
            raise InputError(_("A phone slot where the person calls needs the number to call."), code="bad_details",
                             hint=_("Pass --phone NUMBER, or set interview_phone in the desk's config."))
        if clean.channel == "in_person" and not clean.address:
            raise InputError(_("An in-person slot needs an address."), code="bad_details",
                             hint=_("Pass --address TEXT, or set interview_address in the desk's config."))
        if not clean.documents:
            raise InputError(_("A slot needs at least one accepted document."), code="bad_details")
        return clean

    # ------------------------------------------------------------ storing

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> "SlotDetails":
        if not text:
            return cls(documents=tuple(DOCUMENT_TYPES))  # a slot from before schema 3: only the channel is unknown
        raw = json.loads(text)
        raw["documents"] = tuple(raw.get("documents") or ())
        return cls(**{k: v for k, v in raw.items() if k in cls.__dataclass_fields__})

    # ------------------------------------------------------------ saying

    @property
    def where(self) -> str | None:
        """The one line a calendar puts in LOCATION: the link, the number or the address."""
        if self.channel == "video":
            return self.link
        if self.channel == "phone":
            return self.phone if self.caller == "person" else _("The agent calls your contact number")
        if self.channel == "in_person":
            return self.address
        return None

    def how(self) -> str:
        if self.channel == "video":
            return _("Video call: join at {link} at the start time.").format(link=self.link)
        if self.channel == "phone":
            if self.caller == "person":
                return _("Phone call: you call {phone} at the start time.").format(phone=self.phone)
            if self.phone:
                return _("Phone call: the agent calls you (from {phone}) on the number in your contact line at the start "
                         "time.").format(phone=self.phone)
            return _("Phone call: the agent calls you on the number in your contact line at the start time.")
        if self.channel == "in_person":
            return _("In person, at {address}.").format(address=self.address)
        return _("The desk has not said how this interview happens: ask it on the contact line you gave.")

    def bring(self) -> str:
        names = ", ".join(document_name(d) for d in self.documents)
        return _("One of: {documents}. Originals only, not expired.").format(documents=names)

    def if_nobody(self) -> str | None:
        if self.channel == "video":
            return _("If nobody joins within 10 minutes, stay on the call and check your e-mail; then reschedule.")
        if self.channel == "phone" and self.caller == "agent":
            return _("If nobody calls within 10 minutes, keep your phone free and check your e-mail; then reschedule.")
        return None

    def rows(self, duration_minutes: int) -> list[tuple[str, str]]:
        """(label, text) rows, the same in every front end."""
        length = ngettext("{count} minute", "{count} minutes", duration_minutes).format(count=duration_minutes)
        rows = [(_("How"), self.how()), (_("Length"), length), (_("Bring"), self.bring())]
        if self.not_accepted:
            rows.append((_("Not accepted"), self.not_accepted))
        if self.channel == "video":
            rows.append((_("Prepare"), _("A quiet place, a camera and a working microphone; your document at hand.")))
        elif self.channel == "phone":
            rows.append((_("Prepare"), _("A quiet place and your document at hand.")))
        if self.instructions:
            rows.append((_("Instructions"), self.instructions))
        nobody = self.if_nobody()
        if nobody:
            rows.append((_("If nobody comes"), nobody))
        return rows

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["documents"] = list(self.documents)
        return data


def _document_list(value: Any, what: str) -> tuple[str, ...]:
    items = [p.strip().lower() for p in value.split(",")] if isinstance(value, str) else [str(p).strip().lower() for p in value]
    items = [p for p in items if p]
    unknown = [p for p in items if p not in DOCUMENT_TYPES]
    if unknown:
        raise InputError(_("{setting}: unknown document {document!r} (use {documents}).").format(
            setting=what, document=unknown[0][:30], documents=", ".join(DOCUMENT_TYPES)), code="bad_details")
    return tuple(dict.fromkeys(items))


@dataclass(frozen=True)
class Accommodations:
    """What a person asks for at booking; each part optional."""

    interpreter: str | None = None  # the language
    captions: bool = False
    phone_instead: bool = False
    note: str | None = None

    @classmethod
    def build(cls, interpreter: str | None = None, captions: bool = False, phone_instead: bool = False,
              note: str | None = None) -> "Accommodations":
        from selfverify.textcheck import check_free_text

        language = check_free_text(interpreter or "", "interpreter language", 60, "bad_accommodation") or None  # i18n: ignore (a key of textcheck.FIELDS)
        line = check_free_text(note or "", "request", 300, "bad_accommodation") or None
        return cls(interpreter=language, captions=bool(captions), phone_instead=bool(phone_instead), note=line)

    @property
    def empty(self) -> bool:
        return not (self.interpreter or self.captions or self.phone_instead or self.note)

    def to_json(self) -> str | None:
        if self.empty:
            return None
        return json.dumps({"interpreter": self.interpreter, "captions": self.captions,
                           "phone_instead": self.phone_instead, "note": self.note}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> "Accommodations":
        if not text:
            return cls()
        raw = json.loads(text)
        return cls(interpreter=raw.get("interpreter"), captions=bool(raw.get("captions")),
                   phone_instead=bool(raw.get("phone_instead")), note=raw.get("note"))

    def summary(self) -> str:
        parts = []
        if self.interpreter:
            parts.append(_("interpreter ({language})").format(language=self.interpreter))
        if self.captions:
            parts.append(_("captions"))
        if self.phone_instead:
            parts.append(_("phone instead of video"))
        if self.note:
            parts.append(_("note: {note}").format(note=self.note))
        return "; ".join(parts) if parts else pgettext("accommodations", "none")

    def as_dict(self) -> dict[str, Any]:
        return {"interpreter": self.interpreter, "captions": self.captions, "phone_instead": self.phone_instead, "note": self.note}
