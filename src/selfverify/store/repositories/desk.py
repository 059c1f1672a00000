"""The desk's rows: ``desk_info``, ``desk_key``, ``decision_record`` (and the approved appointments a
person picks up). SQL only: who may do what is decided in ``services/desk.py``.

Refusals come back as values (``"exists"``, ``"denied"``) for the service to word; nothing here
raises a user-facing error."""

from __future__ import annotations


class DeskRepository:
    def __init__(self, db):  # noqa: ANN001  (store.db.Database)
        self.db = db

    # the desk itself

    def info(self):
        from sqlmodel import select

        from selfverify.store.models import DeskInfo

        with self.db.session() as s:
            return s.exec(select(DeskInfo)).first()

    def add(self, row) -> str | None:  # noqa: ANN001
        """Insert a desk_info or desk_key row; ``"exists"`` (a unique key taken) or ``"denied"`` (the
        connection's role may not write it) on refusal, None when stored."""
        from sqlalchemy.exc import IntegrityError, ProgrammingError

        with self.db.session() as s:
            s.add(row)
            try:
                s.commit()
            except IntegrityError:
                s.rollback()
                return "exists"
            except ProgrammingError:  # PostgreSQL: this role may not write the table
                s.rollback()
                return "denied"
        return None

    def keys(self, kind: str | None = None) -> list:
        """Every desk_key row (of ``kind``), oldest enrolment first; the service checks each enrolment."""
        from sqlmodel import select

        from selfverify.store.models import DeskKey

        query = select(DeskKey).order_by(DeskKey.enrolled_at, DeskKey.kid)
        with self.db.session() as s:
            return list(s.exec(query if kind is None else query.where(DeskKey.kind == kind)).all())

    # decisions

    def decisions(self, subject: str | None = None) -> list:
        from sqlalchemy.orm import defer
        from sqlmodel import select

        from selfverify.store.models import DecisionRecord

        # not the credentials: bearer tokens awaiting pickup, which desk staff may not read (desk_roles.sql)
        query = (select(DecisionRecord).options(defer(DecisionRecord.credential), defer(DecisionRecord.credential_sd))
                 .order_by(DecisionRecord.id))
        if subject is not None:
            query = query.where(DecisionRecord.subject == subject)
        with self.db.session() as s:
            return list(s.exec(query).all())

    def issued_credentials(self, desk_role: bool) -> list[tuple[str, str | None, str, str | None, str | None]]:
        """(credential id, decision id, signing kid, JWS digest, SD-JWT digest) of every approved decision
        that carries a credential. A desk role on PostgreSQL (a person sees only their own decisions, staff
        may not read the tokens) reads the ``issued_interview_credential`` view: ids and digests, no name."""
        from sqlalchemy import text
        from sqlmodel import select

        from selfverify.store.models import DecisionRecord

        with self.db.session() as s:
            if desk_role:
                rows = s.execute(text("SELECT credential_id, decision_id, kid, credential_digest, credential_sd_digest "
                                      "FROM issued_interview_credential ORDER BY credential_id")).all()
            else:
                rows = s.exec(select(DecisionRecord.credential_id, DecisionRecord.decision_id, DecisionRecord.kid,
                                     DecisionRecord.credential_digest, DecisionRecord.credential_sd_digest)
                              .where(DecisionRecord.outcome == "approved", DecisionRecord.credential_id.is_not(None))
                              .order_by(DecisionRecord.credential_id)).all()
        return [tuple(row) for row in rows]

    def waiting_pickups(self, subject: str) -> list:
        """(decision, appointment) of each approved interview of ``subject`` whose credential is not linked yet."""
        from sqlmodel import select

        from selfverify.store.models import Appointment, DecisionRecord

        with self.db.session() as s:
            return list(s.exec(
                select(DecisionRecord, Appointment)
                .join(Appointment, Appointment.id == DecisionRecord.appointment_id)
                .where(DecisionRecord.subject == subject, DecisionRecord.outcome == "approved",
                       Appointment.credential_id.is_(None))
                .order_by(DecisionRecord.id)
            ).all())

    def clear_picked_up(self, subject: str) -> int:
        """Remove the bearer tokens of ``subject``'s decisions whose credential the person's app has
        stored (its appointment names it); the digests stay. Returns how many rows were cleared."""
        from sqlalchemy import update
        from sqlmodel import select

        from selfverify.store.models import Appointment, DecisionRecord

        picked = select(Appointment.id).where(Appointment.subject == subject, Appointment.credential_id.is_not(None))
        with self.db.session() as s:
            result = s.execute(
                update(DecisionRecord)
                .where(DecisionRecord.subject == subject, DecisionRecord.credential.is_not(None),
                       DecisionRecord.credential_digest.is_not(None), DecisionRecord.appointment_id.in_(picked))
                .values(credential=None, credential_sd=None)
                .execution_options(synchronize_session=False)
            )
            s.commit()
        return result.rowcount or 0

    # kiosk admissions

    def replace_admission(self, row) -> str | None:  # noqa: ANN001
        """Store an admission, dropping older ones of the same subject (one at a time); like ``add``."""
        from sqlmodel import delete

        from selfverify.store.models import KioskAdmission

        with self.db.session() as s:
            s.exec(delete(KioskAdmission).where(KioskAdmission.subject == row.subject))
            s.commit()
        return self.add(row)

    def admissions(self, subject: str) -> list:
        from sqlmodel import select

        from selfverify.store.models import KioskAdmission

        with self.db.session() as s:
            return list(s.exec(select(KioskAdmission).where(KioskAdmission.subject == subject)
                               .order_by(KioskAdmission.created_at.desc())).all())

    def consume_admission(self, admission_id: str) -> bool:
        """Delete one admission; True only for the one process that deleted it (an admission is used once)."""
        from sqlmodel import delete

        from selfverify.store.models import KioskAdmission

        with self.db.session() as s:
            result = s.exec(delete(KioskAdmission).where(KioskAdmission.id == admission_id))
            s.commit()
        return result.rowcount == 1
