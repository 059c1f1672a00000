-- selfverify shared desk on PostgreSQL: the database itself enforces who may see and change what.
--
-- Run in the desk's schema by the owner of its tables ('selfverify desk init --database-url ...'
-- does it; psql -f works too). Safe to run again. Creates three group roles (NOLOGIN):
--   selfverify_person  a person: only their own rows (the row's subject is the connection's role)
--   selfverify_agent   support staff: every booking; the only role that writes decisions
--   selfverify_admin   the desk admin: enrols agents' and kiosks' public keys
-- People and agents log in with their own roles, members of one group:
--   CREATE ROLE dave LOGIN PASSWORD '...' IN ROLE selfverify_person;
-- Row-level security binds a person to current_user: a bug in the app cannot show one person
-- another's row. The owner and superusers bypass it: never hand out the owner's URL.

DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['selfverify_person', 'selfverify_agent', 'selfverify_admin'] LOOP
    BEGIN
      EXECUTE format('CREATE ROLE %I NOLOGIN', r);
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;  -- exists (or made concurrently)
    END;
  END LOOP;
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO selfverify_person, selfverify_agent, selfverify_admin', current_schema());
  EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO selfverify_person, selfverify_agent, selfverify_admin',
                 current_schema());
END $$;

-- everyone reads the schema version, the slots and the desk's public keys
GRANT SELECT ON schema_info, interview_slot, desk_info, desk_key TO selfverify_person, selfverify_agent, selfverify_admin;
GRANT INSERT, UPDATE ON interview_slot TO selfverify_agent;
GRANT INSERT ON desk_info, desk_key TO selfverify_admin;

-- revocation tombstones: a credential id and a time, nothing personal. A person revokes and reads
-- only their own credentials' tombstones; the desk (agents, admin) revokes an interview credential
-- it issued by mistake ('selfverify agent revoke') and reads every tombstone. Whether one id is
-- revoked, anyone who holds that id may ask: credential_revoked(id) below.
GRANT SELECT, INSERT ON revoked_credential TO selfverify_person, selfverify_agent, selfverify_admin;
ALTER TABLE revoked_credential ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS person_own ON revoked_credential;
CREATE POLICY person_own ON revoked_credential TO selfverify_person
  USING (EXISTS (SELECT 1 FROM credential_record c WHERE c.id = revoked_credential.id AND c.subject = current_user))
  WITH CHECK (EXISTS (SELECT 1 FROM credential_record c WHERE c.id = revoked_credential.id AND c.subject = current_user));
DROP POLICY IF EXISTS desk_revoke ON revoked_credential;
CREATE POLICY desk_revoke ON revoked_credential TO selfverify_agent, selfverify_admin
  USING (true)
  WITH CHECK (EXISTS (SELECT 1 FROM appointment a JOIN decision_record d ON d.appointment_id = a.id
                      WHERE a.credential_id = revoked_credential.id AND a.status = 'approved'));
CREATE OR REPLACE FUNCTION credential_revoked(p_id text) RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER AS $fn$ SELECT EXISTS (SELECT 1 FROM revoked_credential WHERE id = p_id) $fn$;

-- a person's own records: theirs alone
GRANT SELECT, INSERT, UPDATE, DELETE ON consent_record, credential_record, retained_photo, deletion_receipt
  TO selfverify_person;
-- the attempt counter: read only; a change goes through attempt_change() below, which only counts up
REVOKE INSERT, UPDATE, DELETE ON attempt_counter FROM selfverify_person;
GRANT SELECT ON attempt_counter TO selfverify_person;
-- sessions: a person starts their own runs and finishes each one once (a finished session is history
-- nobody rewrites); "delete everything" deletes them. The attempt count does not depend on these rows:
-- a run's reserved try lives in attempt_counter, out of the person's reach.
REVOKE UPDATE ON verification_session FROM selfverify_person;
GRANT SELECT, INSERT, DELETE ON verification_session TO selfverify_person;
GRANT UPDATE (ended_at, outcome, reason) ON verification_session TO selfverify_person;
GRANT SELECT, INSERT ON audit_event TO selfverify_person, selfverify_agent, selfverify_admin;
GRANT SELECT, UPDATE ON verification_session TO selfverify_agent;
GRANT SELECT ON verification_session, audit_event, appointment TO selfverify_admin;

-- bookings: a person books, moves and cancels their own, and links the credential they picked up;
-- the decision columns are not theirs to write
GRANT SELECT, INSERT ON appointment TO selfverify_person;
GRANT UPDATE (slot_id, active_slot_id, active_subject, status, credential_id, accommodations) ON appointment TO selfverify_person;
-- agents change only the decision and timing columns of a booking (never its person, slot, contact
-- or code), and only while it is undecided (see agent_decide below)
REVOKE UPDATE ON appointment FROM selfverify_agent;
GRANT SELECT ON appointment TO selfverify_agent;
GRANT UPDATE (status, active_slot_id, active_subject, decided_at, decided_by, decision_reason, checklist, started_at,
              late_minutes) ON appointment TO selfverify_agent;

-- which slots are taken, for everyone (slot ids only: the view runs as its owner, so it sees every
-- booking, and shows nothing about who holds one)
CREATE OR REPLACE VIEW booked_slot AS SELECT active_slot_id AS slot_id FROM appointment WHERE active_slot_id IS NOT NULL;
GRANT SELECT ON booked_slot TO selfverify_person, selfverify_agent, selfverify_admin;

-- e-mail notices (kind, status, attempts; no text): a person queues and may send those of their own
-- bookings and erases them with the bookings; staff send every one (reminders, decisions)
GRANT SELECT, INSERT, UPDATE, DELETE ON interview_notice TO selfverify_person;
GRANT SELECT, INSERT, UPDATE ON interview_notice TO selfverify_agent, selfverify_admin;
ALTER TABLE interview_notice ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS person_own ON interview_notice;
CREATE POLICY person_own ON interview_notice TO selfverify_person
  USING (EXISTS (SELECT 1 FROM appointment a WHERE a.id = interview_notice.appointment_id AND a.subject = current_user))
  WITH CHECK (EXISTS (SELECT 1 FROM appointment a WHERE a.id = interview_notice.appointment_id AND a.subject = current_user));
DROP POLICY IF EXISTS staff_all ON interview_notice;
CREATE POLICY staff_all ON interview_notice TO selfverify_agent, selfverify_admin USING (true) WITH CHECK (true);

-- decisions: only agents write them, each under its own role; nobody changes one (append-only trigger).
-- Staff read every column but the credentials (bearer tokens waiting for their person's pickup).
GRANT SELECT ON decision_record TO selfverify_person;
REVOKE SELECT ON decision_record FROM selfverify_agent, selfverify_admin;
GRANT SELECT (id, appointment_id, subject, outcome, agent, kid, documents_seen, decided_at, token, decision_id,
  credential_id, credential_digest, credential_sd_digest) ON decision_record TO selfverify_agent, selfverify_admin;
GRANT INSERT ON decision_record TO selfverify_agent;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['verification_session', 'consent_record', 'attempt_counter', 'credential_record',
                           'retained_photo', 'deletion_receipt', 'audit_event', 'appointment', 'decision_record'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('DROP POLICY IF EXISTS person_own ON %I', t);
    EXECUTE format('DROP POLICY IF EXISTS staff_read ON %I', t);
    EXECUTE format('CREATE POLICY staff_read ON %I FOR SELECT TO selfverify_agent, selfverify_admin USING (true)', t);
  END LOOP;
  FOREACH t IN ARRAY ARRAY['consent_record', 'attempt_counter', 'credential_record',
                           'retained_photo', 'deletion_receipt', 'audit_event'] LOOP
    EXECUTE format('CREATE POLICY person_own ON %I TO selfverify_person '
                   'USING (subject = current_user) WITH CHECK (subject = current_user)', t);
  END LOOP;
END $$;

CREATE POLICY person_own ON verification_session FOR SELECT TO selfverify_person USING (subject = current_user);
DROP POLICY IF EXISTS person_start ON verification_session;
CREATE POLICY person_start ON verification_session FOR INSERT TO selfverify_person
  WITH CHECK (subject = current_user AND outcome IS NULL AND ended_at IS NULL);
DROP POLICY IF EXISTS person_finish ON verification_session;
CREATE POLICY person_finish ON verification_session FOR UPDATE TO selfverify_person
  USING (subject = current_user AND outcome IS NULL) WITH CHECK (subject = current_user AND outcome IS NOT NULL);
DROP POLICY IF EXISTS person_erase ON verification_session;
CREATE POLICY person_erase ON verification_session FOR DELETE TO selfverify_person USING (subject = current_user);

DROP POLICY IF EXISTS agent_write ON verification_session;
CREATE POLICY agent_write ON verification_session FOR UPDATE TO selfverify_agent USING (true) WITH CHECK (true);
-- staff write events under their own name, or about the interviews, notices and queue they handle;
-- never a person's consent, attempts or anything else in that person's name
DROP POLICY IF EXISTS staff_write ON audit_event;
CREATE POLICY staff_write ON audit_event FOR INSERT TO selfverify_agent, selfverify_admin
  WITH CHECK (subject = current_user OR kind LIKE 'interview\_%' OR kind IN ('notice_sent', 'notice_failed', 'queue_taken'));

-- attempt counts: the only way a desk role changes one (SECURITY DEFINER: runs as the tables' owner).
-- A person changes only their own row; staff may only add a failure or expire a dead run's reservation
-- (start-up recovery). Nothing lowers total_failures; a success clears the consecutive count only by
-- settling a reserved try. The time is the server's, not the caller's. Actions: reserve (1 = a try
-- was reserved, 0 = the limits refuse it), failed, succeeded, released (settle one reservation),
-- expire (reservations older than p_stale seconds become failures; returns how many).
CREATE OR REPLACE FUNCTION attempt_change(p_subject text, p_action text, p_max_total integer, p_max_consecutive integer,
                                          p_wait double precision, p_stale double precision)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER AS $fn$
DECLARE
  now_utc timestamp := now() AT TIME ZONE 'UTC';
  staff boolean := pg_has_role(session_user, 'selfverify_agent', 'MEMBER') OR pg_has_role(session_user, 'selfverify_admin', 'MEMBER');
  n integer;
BEGIN
  IF p_subject IS DISTINCT FROM session_user::text AND NOT (staff AND p_action IN ('failed', 'expire')) THEN
    RAISE EXCEPTION 'the attempt count of % is not yours to change', p_subject USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF p_action IN ('reserve', 'failed') THEN
    INSERT INTO attempt_counter (subject, consecutive_failures, total_failures, in_flight) VALUES (p_subject, 0, 0, 0)
      ON CONFLICT (subject) DO NOTHING;
  END IF;
  IF p_action = 'reserve' THEN
    UPDATE attempt_counter SET in_flight = in_flight + 1, reserved_at = now_utc
     WHERE subject = p_subject AND total_failures + in_flight < p_max_total
       AND NOT (consecutive_failures + in_flight >= p_max_consecutive
                AND (in_flight > 0 OR last_failure_at > now_utc - make_interval(secs => p_wait)));
  ELSIF p_action = 'failed' THEN
    UPDATE attempt_counter SET consecutive_failures = consecutive_failures + 1, total_failures = total_failures + 1,
           last_failure_at = GREATEST(last_failure_at, now_utc), in_flight = GREATEST(in_flight - 1, 0)
     WHERE subject = p_subject;
  ELSIF p_action = 'succeeded' THEN
    UPDATE attempt_counter SET consecutive_failures = 0, in_flight = in_flight - 1 WHERE subject = p_subject AND in_flight > 0;
  ELSIF p_action = 'released' THEN
    UPDATE attempt_counter SET in_flight = in_flight - 1 WHERE subject = p_subject AND in_flight > 0;
  ELSIF p_action = 'expire' THEN
    SELECT in_flight INTO n FROM attempt_counter
     WHERE subject = p_subject AND in_flight > 0 AND reserved_at < now_utc - make_interval(secs => p_stale) FOR UPDATE;
    IF n IS NULL THEN
      RETURN 0;
    END IF;
    UPDATE attempt_counter SET consecutive_failures = consecutive_failures + n, total_failures = total_failures + n,
           last_failure_at = GREATEST(last_failure_at, reserved_at), in_flight = 0 WHERE subject = p_subject;
    RETURN n;
  ELSE
    RAISE EXCEPTION 'unknown attempt action %', p_action USING ERRCODE = 'invalid_parameter_value';
  END IF;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $fn$;

-- a decision record names a real appointment, that appointment's person, and the agent who decided
-- it (an insert-time check, not a FOREIGN KEY: "delete everything" deletes the appointment and keeps
-- the redacted decision); nobody decides about themselves
CREATE OR REPLACE FUNCTION decision_record_names_its_appointment() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF NEW.subject = NEW.agent THEN
    RAISE EXCEPTION 'an agent cannot decide about itself' USING ERRCODE = 'check_violation';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM appointment a WHERE a.id = NEW.appointment_id AND a.subject = NEW.subject
                 AND a.decided_by = NEW.agent AND a.status = NEW.outcome) THEN
    RAISE EXCEPTION 'a decision record must name an appointment of its person decided by its agent'
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NEW;
END $fn$;
DROP TRIGGER IF EXISTS decision_record_appointment ON decision_record;
CREATE TRIGGER decision_record_appointment BEFORE INSERT ON decision_record
  FOR EACH ROW EXECUTE FUNCTION decision_record_names_its_appointment();


CREATE POLICY person_own ON appointment FOR SELECT TO selfverify_person USING (subject = current_user);
DROP POLICY IF EXISTS person_book ON appointment;
-- a new booking carries nothing of a decision: no documents "seen", no reason, no credential
CREATE POLICY person_book ON appointment FOR INSERT TO selfverify_person
  WITH CHECK (subject = current_user AND status = 'booked' AND decided_by IS NULL AND decided_at IS NULL
              AND decision_reason IS NULL AND checklist = '[]' AND credential_id IS NULL);
DROP POLICY IF EXISTS person_change ON appointment;
CREATE POLICY person_change ON appointment FOR UPDATE TO selfverify_person
  USING (subject = current_user AND status = 'booked')
  WITH CHECK (subject = current_user AND status IN ('booked', 'cancelled', 'expired') AND decided_by IS NULL);
DROP POLICY IF EXISTS person_link ON appointment;
CREATE POLICY person_link ON appointment FOR UPDATE TO selfverify_person
  USING (subject = current_user AND status = 'approved' AND credential_id IS NULL)
  WITH CHECK (subject = current_user AND status = 'approved');
DROP POLICY IF EXISTS agent_decide ON appointment;
-- an undecided booking: the agent decides it under its own role, or only times it (started, late) or
-- lets it expire, with no documents ticked and no reason
CREATE POLICY agent_decide ON appointment FOR UPDATE TO selfverify_agent USING (status = 'booked' AND decided_by IS NULL)
  WITH CHECK (decided_by = current_user
              OR (decided_by IS NULL AND status IN ('booked', 'expired') AND decision_reason IS NULL AND checklist = '[]'));

CREATE POLICY person_own ON decision_record FOR SELECT TO selfverify_person USING (subject = current_user);

-- a person's credential row may name only an appointment of their own (else one person could block
-- another's pickup: credential_record.appointment_id is UNIQUE)
DROP POLICY IF EXISTS person_own_appointment ON credential_record;
CREATE POLICY person_own_appointment ON credential_record AS RESTRICTIVE TO selfverify_person
  USING (true)
  WITH CHECK (appointment_id IS NULL OR EXISTS (
    SELECT 1 FROM appointment a WHERE a.id = credential_record.appointment_id AND a.subject = current_user));
DROP POLICY IF EXISTS agent_sign ON decision_record;
CREATE POLICY agent_sign ON decision_record FOR INSERT TO selfverify_agent WITH CHECK (agent = current_user);

-- the settings a person's run used (support bundles): the person's own sessions' rows only
GRANT SELECT, INSERT, DELETE ON session_settings TO selfverify_person;
GRANT SELECT ON session_settings TO selfverify_agent, selfverify_admin;
ALTER TABLE session_settings ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS person_own ON session_settings;
CREATE POLICY person_own ON session_settings TO selfverify_person
  USING (EXISTS (SELECT 1 FROM verification_session v WHERE v.id = session_settings.session_id AND v.subject = current_user));
DROP POLICY IF EXISTS person_record ON session_settings;
-- written in the same transaction as the session row, before it is visible to a policy's subquery;
-- session ids are random, so a row for another person's session cannot be aimed at
CREATE POLICY person_record ON session_settings FOR INSERT TO selfverify_person WITH CHECK (true);
DROP POLICY IF EXISTS staff_read ON session_settings;
CREATE POLICY staff_read ON session_settings FOR SELECT TO selfverify_agent, selfverify_admin USING (true);

-- "delete everything": a person removes their own bookings and redacts their own audit events
-- (the audit trigger allows only the one-way redaction: subject '' and data {"redacted":true})
GRANT DELETE ON appointment TO selfverify_person;
DROP POLICY IF EXISTS person_erase ON appointment;
CREATE POLICY person_erase ON appointment FOR DELETE TO selfverify_person USING (subject = current_user);
GRANT UPDATE (subject, data) ON audit_event TO selfverify_person;
DROP POLICY IF EXISTS person_redact ON audit_event;
CREATE POLICY person_redact ON audit_event FOR UPDATE TO selfverify_person
  USING (subject = current_user) WITH CHECK (subject = '');
-- PostgreSQL checks an updated row against the SELECT policies too, and a redacted row (subject '')
-- is nobody's: the person's redaction therefore runs in redact_own_records() (SECURITY DEFINER, the
-- connection's own rows only, and the append-only triggers still allow nothing but the redaction)
CREATE OR REPLACE FUNCTION redact_own_records() RETURNS integer LANGUAGE plpgsql SECURITY DEFINER AS $fn$
DECLARE n integer;
BEGIN
  IF NOT pg_has_role(session_user, 'selfverify_person', 'MEMBER') THEN
    RAISE EXCEPTION 'only a person redacts their own records' USING ERRCODE = 'insufficient_privilege';
  END IF;
  UPDATE decision_record SET subject = '', token = '', credential = NULL, credential_sd = NULL WHERE subject = session_user;
  UPDATE audit_event SET subject = '', data = '{"redacted":true}' WHERE subject = session_user;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $fn$;
-- ... and the erasure's own event, which names nobody (the same reason: a row the role cannot see)
DROP POLICY IF EXISTS person_erased ON audit_event;
CREATE OR REPLACE FUNCTION record_erasure(p_data text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER AS $fn$
BEGIN
  IF NOT pg_has_role(session_user, 'selfverify_person', 'MEMBER') THEN
    RAISE EXCEPTION 'only a person records their own erasure' USING ERRCODE = 'insufficient_privilege';
  END IF;
  INSERT INTO audit_event (at, subject, session_id, kind, data) VALUES (now() AT TIME ZONE 'UTC', '', NULL, 'delete_all', p_data);
END $fn$;
GRANT UPDATE (subject, token, credential, credential_sd) ON decision_record TO selfverify_person;
DROP POLICY IF EXISTS person_redact ON decision_record;
CREATE POLICY person_redact ON decision_record FOR UPDATE TO selfverify_person
  USING (subject = current_user) WITH CHECK (subject = '');

-- issue 21 (i21-timing): the desk's booking rules, agents on duty, the on-demand queue
-- the rules and who is on duty: everyone reads them; the admin sets the rules, each agent its own duty
GRANT SELECT ON desk_setting, agent_duty TO selfverify_person, selfverify_agent, selfverify_admin;
GRANT INSERT, UPDATE ON desk_setting TO selfverify_admin;
GRANT INSERT, DELETE ON agent_duty TO selfverify_agent;
-- taking a person from the queue books a slot that starts now for them (the booking's own path)
GRANT INSERT ON appointment TO selfverify_agent;
DROP POLICY IF EXISTS agent_take ON appointment;
CREATE POLICY agent_take ON appointment FOR INSERT TO selfverify_agent
  WITH CHECK (status = 'booked' AND decided_by IS NULL);
-- the queue: a person joins and leaves their own entry; agents see and take every entry
GRANT SELECT, INSERT, DELETE ON interview_queue TO selfverify_person;  -- DELETE: "delete everything"
GRANT UPDATE (status, active_subject) ON interview_queue TO selfverify_person;
GRANT SELECT, UPDATE ON interview_queue TO selfverify_agent;
GRANT SELECT ON interview_queue TO selfverify_admin;
ALTER TABLE interview_queue ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS person_own ON interview_queue;
CREATE POLICY person_own ON interview_queue TO selfverify_person
  USING (subject = current_user) WITH CHECK (subject = current_user AND status IN ('waiting', 'left') AND taken_by IS NULL);
DROP POLICY IF EXISTS staff_read ON interview_queue;
CREATE POLICY staff_read ON interview_queue FOR SELECT TO selfverify_agent, selfverify_admin USING (true);
DROP POLICY IF EXISTS agent_take ON interview_queue;
CREATE POLICY agent_take ON interview_queue FOR UPDATE TO selfverify_agent USING (true) WITH CHECK (true);
-- a person's position: how many wait, never who (the view runs as its owner)
CREATE OR REPLACE VIEW queue_waiting AS SELECT id FROM interview_queue WHERE status = 'waiting';
GRANT SELECT ON queue_waiting TO selfverify_person, selfverify_agent, selfverify_admin;

-- sec-cred: a person's app clears the bearer tokens of their own approved decision once the credential
-- is in their keyring (the append-only trigger allows only that: credential and credential_sd to NULL,
-- every other column, the digests included, unchanged)
DROP POLICY IF EXISTS person_pickup ON decision_record;
CREATE POLICY person_pickup ON decision_record FOR UPDATE TO selfverify_person
  USING (subject = current_user) WITH CHECK (subject = current_user);
-- the interview credentials the desk's decisions issued, for 'desk jwks' and 'credential verify' from any
-- role: random ids, the signing key and digests, nobody's name (the view runs as its owner)
CREATE OR REPLACE VIEW issued_interview_credential AS
  SELECT credential_id, decision_id, kid, credential_digest, credential_sd_digest FROM decision_record
  WHERE outcome = 'approved' AND credential_id IS NOT NULL;
GRANT SELECT ON issued_interview_credential TO selfverify_person, selfverify_agent, selfverify_admin;
-- kiosk admissions (sec-cred): an agent admits a person at the kiosk; the kiosk consumes it once
GRANT SELECT, DELETE ON kiosk_admission TO selfverify_person;
GRANT SELECT, INSERT, DELETE ON kiosk_admission TO selfverify_agent;
GRANT SELECT ON kiosk_admission TO selfverify_admin;
ALTER TABLE kiosk_admission ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS person_own ON kiosk_admission;
CREATE POLICY person_own ON kiosk_admission FOR SELECT TO selfverify_person USING (subject = current_user);
DROP POLICY IF EXISTS person_consume ON kiosk_admission;
CREATE POLICY person_consume ON kiosk_admission FOR DELETE TO selfverify_person USING (subject = current_user);
DROP POLICY IF EXISTS staff_all ON kiosk_admission;
CREATE POLICY staff_all ON kiosk_admission TO selfverify_agent USING (true) WITH CHECK (agent = current_user);
DROP POLICY IF EXISTS staff_read ON kiosk_admission;
CREATE POLICY staff_read ON kiosk_admission FOR SELECT TO selfverify_admin USING (true);
-- the security-definer functions: a fixed search path (this schema), callable by the desk roles only
DO $$
BEGIN
  EXECUTE format('ALTER FUNCTION attempt_change(text, text, integer, integer, double precision, double precision) '
                 'SET search_path = %I, pg_temp', current_schema());
  EXECUTE format('ALTER FUNCTION credential_revoked(text) SET search_path = %I, pg_temp', current_schema());
  EXECUTE format('ALTER FUNCTION redact_own_records() SET search_path = %I, pg_temp', current_schema());
  EXECUTE format('ALTER FUNCTION record_erasure(text) SET search_path = %I, pg_temp', current_schema());
END $$;
REVOKE ALL ON FUNCTION attempt_change(text, text, integer, integer, double precision, double precision) FROM PUBLIC;
REVOKE ALL ON FUNCTION credential_revoked(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION redact_own_records() FROM PUBLIC;
REVOKE ALL ON FUNCTION record_erasure(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION redact_own_records(), record_erasure(text) TO selfverify_person;
GRANT EXECUTE ON FUNCTION attempt_change(text, text, integer, integer, double precision, double precision),
  credential_revoked(text) TO selfverify_person, selfverify_agent, selfverify_admin;
