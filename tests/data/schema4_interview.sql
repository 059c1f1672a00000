-- A version-4 selfverify database made by main 3b190ff's code (one slot, one booking, one person waiting
-- in the queue), dumped with sqlite3 iterdump; tests/functional/test_booking_language.py restores it and
-- opens it with today's code.
PRAGMA application_id=1398163033;
PRAGMA user_version=4;
BEGIN TRANSACTION;
CREATE TABLE agent_duty (
	agent VARCHAR NOT NULL, 
	since DATETIME NOT NULL, 
	PRIMARY KEY (agent)
);
CREATE TABLE appointment (
	id INTEGER NOT NULL, 
	slot_id INTEGER NOT NULL, 
	active_slot_id INTEGER, 
	active_subject VARCHAR, 
	subject VARCHAR NOT NULL, 
	contact VARCHAR NOT NULL, 
	code VARCHAR NOT NULL, 
	status VARCHAR NOT NULL, 
	booked_at DATETIME NOT NULL, 
	decided_at DATETIME, 
	decided_by VARCHAR, 
	decision_reason VARCHAR, 
	checklist VARCHAR NOT NULL, 
	credential_id VARCHAR, 
	session_id VARCHAR, 
	started_at DATETIME, 
	late_minutes INTEGER NOT NULL, 
	accommodations VARCHAR, 
	PRIMARY KEY (id), 
	CONSTRAINT ck_appointment_status CHECK (status IN ('booked', 'cancelled', 'approved', 'declined', 'expired', 'no_show')), 
	CONSTRAINT ck_appointment_active_slot CHECK (active_slot_id IS NULL OR active_slot_id = slot_id), 
	CONSTRAINT ck_appointment_active_when_booked CHECK ((status = 'booked') = (active_subject IS NOT NULL AND active_slot_id IS NOT NULL)), 
	CONSTRAINT ck_appointment_decider CHECK (status IN ('booked', 'cancelled', 'expired') OR decided_by IS NOT NULL), 
	FOREIGN KEY(slot_id) REFERENCES interview_slot (id), 
	UNIQUE (active_slot_id), 
	UNIQUE (active_subject), 
	UNIQUE (code)
);
INSERT INTO "appointment" VALUES(1,1,1,'alice','alice','alice@example.org','K7QXM4PD','booked','2029-12-02 00:00:00.000000',NULL,NULL,NULL,'[]',NULL,NULL,NULL,0,NULL);
CREATE TABLE attempt_counter (
	subject VARCHAR NOT NULL, 
	consecutive_failures INTEGER NOT NULL, 
	total_failures INTEGER NOT NULL, 
	last_failure_at DATETIME, 
	PRIMARY KEY (subject)
);
CREATE TABLE audit_event (
	id INTEGER NOT NULL, 
	at DATETIME NOT NULL, 
	subject VARCHAR NOT NULL, 
	session_id VARCHAR, 
	kind VARCHAR NOT NULL, 
	data VARCHAR NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE consent_record (
	id INTEGER NOT NULL, 
	subject VARCHAR NOT NULL, 
	notice_version VARCHAR NOT NULL, 
	notice_language VARCHAR NOT NULL, 
	choice VARCHAR NOT NULL, 
	at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE credential_record (
	id VARCHAR NOT NULL, 
	subject VARCHAR NOT NULL, 
	method VARCHAR NOT NULL, 
	issued_at DATETIME NOT NULL, 
	expires_at DATETIME NOT NULL, 
	status VARCHAR NOT NULL, 
	revoked_at DATETIME, 
	appointment_id INTEGER, 
	PRIMARY KEY (id), 
	UNIQUE (appointment_id)
);
CREATE TABLE decision_record (
	id INTEGER NOT NULL, 
	appointment_id INTEGER NOT NULL, 
	subject VARCHAR NOT NULL, 
	outcome VARCHAR NOT NULL, 
	agent VARCHAR NOT NULL, 
	kid VARCHAR NOT NULL, 
	documents_seen VARCHAR NOT NULL, 
	decided_at DATETIME NOT NULL, 
	token VARCHAR NOT NULL, 
	credential VARCHAR, 
	credential_sd VARCHAR, 
	PRIMARY KEY (id), 
	UNIQUE (appointment_id)
);
CREATE TABLE deletion_receipt (
	id VARCHAR NOT NULL, 
	item_id VARCHAR NOT NULL, 
	subject VARCHAR NOT NULL, 
	kind VARCHAR NOT NULL, 
	deleted_at DATETIME NOT NULL, 
	reason VARCHAR NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (item_id)
);
CREATE TABLE desk_info (
	id VARCHAR NOT NULL, 
	singleton INTEGER NOT NULL, 
	admin VARCHAR NOT NULL, 
	admin_jwk VARCHAR NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT ck_desk_info_one_row CHECK (singleton = 1), 
	UNIQUE (singleton)
);
CREATE TABLE desk_key (
	kid VARCHAR NOT NULL, 
	kind VARCHAR NOT NULL, 
	handle VARCHAR NOT NULL, 
	jwk VARCHAR NOT NULL, 
	enrolment VARCHAR NOT NULL, 
	enrolled_by VARCHAR NOT NULL, 
	enrolled_at DATETIME NOT NULL, 
	PRIMARY KEY (kid), 
	CONSTRAINT ck_desk_key_kind CHECK (kind IN ('agent', 'kiosk')), 
	CONSTRAINT uq_desk_key_handle UNIQUE (kind, handle)
);
CREATE TABLE desk_setting (
	"key" VARCHAR NOT NULL, 
	value VARCHAR NOT NULL, 
	set_by VARCHAR NOT NULL, 
	set_at DATETIME NOT NULL, 
	PRIMARY KEY ("key")
);
CREATE TABLE interview_notice (
	id INTEGER NOT NULL, 
	appointment_id INTEGER NOT NULL, 
	slot_id INTEGER NOT NULL, 
	kind VARCHAR NOT NULL, 
	status VARCHAR NOT NULL, 
	attempts INTEGER NOT NULL, 
	last_error VARCHAR, 
	created_at DATETIME NOT NULL, 
	tried_at DATETIME, 
	sent_at DATETIME, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_notice_once UNIQUE (appointment_id, kind, slot_id), 
	CONSTRAINT ck_notice_kind CHECK (kind IN ('confirmation', 'reminder', 'decision')), 
	CONSTRAINT ck_notice_status CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'unsendable')), 
	FOREIGN KEY(appointment_id) REFERENCES appointment (id)
);
CREATE TABLE interview_queue (
	id INTEGER NOT NULL, 
	subject VARCHAR NOT NULL, 
	active_subject VARCHAR, 
	contact VARCHAR NOT NULL, 
	status VARCHAR NOT NULL, 
	joined_at DATETIME NOT NULL, 
	taken_by VARCHAR, 
	taken_at DATETIME, 
	appointment_id INTEGER, 
	PRIMARY KEY (id), 
	CONSTRAINT ck_queue_status CHECK (status IN ('waiting', 'taken', 'left')), 
	CONSTRAINT ck_queue_active_when_waiting CHECK ((status = 'waiting') = (active_subject IS NOT NULL)), 
	UNIQUE (active_subject), 
	UNIQUE (appointment_id)
);
INSERT INTO "interview_queue" VALUES(1,'bob','bob','+34 612 34 56 78','waiting','2029-12-31 23:50:00.000000',NULL,NULL,NULL);
CREATE TABLE interview_slot (
	id INTEGER NOT NULL, 
	starts_at DATETIME NOT NULL, 
	duration_minutes INTEGER NOT NULL, 
	agent VARCHAR NOT NULL, 
	timezone VARCHAR NOT NULL, 
	status VARCHAR NOT NULL, 
	created_at DATETIME NOT NULL, 
	details VARCHAR, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_slot_start_agent UNIQUE (starts_at, agent), 
	CONSTRAINT ck_slot_status CHECK (status IN ('open', 'removed')), 
	CONSTRAINT ck_slot_duration CHECK (duration_minutes > 0)
);
INSERT INTO "interview_slot" VALUES(1,'2030-01-07 09:00:00.000000',20,'dana','Europe/Madrid','open','2029-12-01 00:00:00.000000',NULL);
CREATE TABLE retained_photo (
	id VARCHAR NOT NULL, 
	subject VARCHAR NOT NULL, 
	kind VARCHAR NOT NULL, 
	created_at DATETIME NOT NULL, 
	expires_at DATETIME NOT NULL, 
	size INTEGER NOT NULL, 
	content_type VARCHAR NOT NULL, 
	status VARCHAR NOT NULL, 
	delete_reason VARCHAR, 
	deleted_at DATETIME, 
	PRIMARY KEY (id)
);
CREATE TABLE revoked_credential (
	id VARCHAR NOT NULL, 
	revoked_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE schema_info (
	"key" VARCHAR NOT NULL, 
	value VARCHAR NOT NULL, 
	PRIMARY KEY ("key")
);
INSERT INTO "schema_info" VALUES('version','4');
INSERT INTO "schema_info" VALUES('database_id','37b64502f9ab4d3ead0468e176b4568b');
INSERT INTO "schema_info" VALUES('audit_rules','2');
CREATE TABLE session_settings (
	session_id VARCHAR NOT NULL, 
	data VARCHAR NOT NULL, 
	PRIMARY KEY (session_id)
);
CREATE TABLE verification_session (
	id VARCHAR NOT NULL, 
	subject VARCHAR NOT NULL, 
	method VARCHAR NOT NULL, 
	front_end VARCHAR NOT NULL, 
	started_at DATETIME NOT NULL, 
	ended_at DATETIME, 
	outcome VARCHAR, 
	reason VARCHAR, 
	seed INTEGER, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_verification_session_subject ON verification_session (subject);
CREATE INDEX ix_audit_event_subject ON audit_event (subject);
CREATE INDEX ix_audit_event_session_id ON audit_event (session_id);
CREATE INDEX ix_audit_event_kind ON audit_event (kind);
CREATE INDEX ix_audit_event_at ON audit_event (at);
CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event WHEN NOT (OLD.subject <> '' AND NEW.subject = '' AND NEW.data = '{"redacted":true}' AND NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.kind = OLD.kind AND NEW.session_id IS OLD.session_id) BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END;
CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END;
CREATE INDEX ix_consent_record_subject ON consent_record (subject);
CREATE INDEX ix_credential_record_subject ON credential_record (subject);
CREATE INDEX ix_credential_record_status ON credential_record (status);
CREATE INDEX ix_retained_photo_status ON retained_photo (status);
CREATE INDEX ix_retained_photo_subject ON retained_photo (subject);
CREATE INDEX ix_retained_photo_expires_at ON retained_photo (expires_at);
CREATE INDEX ix_deletion_receipt_deleted_at ON deletion_receipt (deleted_at);
CREATE INDEX ix_deletion_receipt_subject ON deletion_receipt (subject);
CREATE INDEX ix_interview_slot_starts_at ON interview_slot (starts_at);
CREATE INDEX ix_interview_queue_status ON interview_queue (status);
CREATE INDEX ix_interview_queue_subject ON interview_queue (subject);
CREATE INDEX ix_interview_queue_joined_at ON interview_queue (joined_at);
CREATE INDEX ix_decision_record_subject ON decision_record (subject);
CREATE TRIGGER decision_record_no_update BEFORE UPDATE ON decision_record WHEN NOT (OLD.subject <> '' AND NEW.subject = '' AND NEW.token = '' AND NEW.credential IS NULL AND NEW.credential_sd IS NULL AND NEW.id = OLD.id AND NEW.appointment_id = OLD.appointment_id AND NEW.outcome = OLD.outcome AND NEW.agent = OLD.agent AND NEW.kid = OLD.kid AND NEW.documents_seen = OLD.documents_seen AND NEW.decided_at = OLD.decided_at) BEGIN SELECT RAISE(ABORT, 'decision_record is append-only'); END;
CREATE TRIGGER decision_record_no_delete BEFORE DELETE ON decision_record BEGIN SELECT RAISE(ABORT, 'decision_record is append-only'); END;
CREATE INDEX ix_appointment_subject_status ON appointment (subject, status);
CREATE INDEX ix_appointment_slot_id ON appointment (slot_id);
CREATE INDEX ix_appointment_subject ON appointment (subject);
CREATE INDEX ix_interview_notice_appointment_id ON interview_notice (appointment_id);
COMMIT;
