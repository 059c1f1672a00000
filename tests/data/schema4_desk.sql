PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE schema_info (
	"key" VARCHAR NOT NULL, 
	value VARCHAR NOT NULL, 
	PRIMARY KEY ("key")
);
INSERT INTO schema_info VALUES('version','4');
INSERT INTO schema_info VALUES('database_id','4ff5b246c54940d184febf6bd2ae7389');
INSERT INTO schema_info VALUES('audit_rules','2');
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
INSERT INTO verification_session VALUES('5eb34c90891c479cae0a386fc087c044','dave','interview','cli','2026-12-03 14:42:48.865333','2026-12-04 14:44:00.000000','approved','credential issued',NULL);
INSERT INTO verification_session VALUES('1dfce3ffcfaf4b3f9ecd87f6e7823344','erin','interview','cli','2026-12-03 14:42:48.911277','2026-12-04 15:43:00.000000','declined','The document was damaged',NULL);
CREATE TABLE audit_event (
	id INTEGER NOT NULL, 
	at DATETIME NOT NULL, 
	subject VARCHAR NOT NULL, 
	session_id VARCHAR, 
	kind VARCHAR NOT NULL, 
	data VARCHAR NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO audit_event VALUES(1,'2026-12-03 14:42:48.575177','admin',NULL,'desk_created','{"admin":"admin","desk_id":"b7bb416deeeb4b80"}');
INSERT INTO audit_event VALUES(2,'2026-12-03 14:42:48.755597','admin',NULL,'desk_key_enrolled','{"handle":"ann","kid":"0XHKS5g5sySk71W5PFjockC2U87PDQuw04rjl52mGIQ","kind":"agent"}');
INSERT INTO audit_event VALUES(3,'2026-12-03 14:42:48.815808','ann',NULL,'slots_added','{"agent":"ann","count":1,"skipped":0}');
INSERT INTO audit_event VALUES(4,'2026-12-03 14:42:48.823950','ann',NULL,'slots_added','{"agent":"ann","count":1,"skipped":0}');
INSERT INTO audit_event VALUES(5,'2026-12-03 14:42:48.878015','dave','5eb34c90891c479cae0a386fc087c044','session_started','{"front_end":"cli","method":"interview","seed":null}');
INSERT INTO audit_event VALUES(6,'2026-12-03 14:42:48.888453','dave','5eb34c90891c479cae0a386fc087c044','interview_booked','{"accommodations":false,"agent":"ann","appointment_id":1,"duration_minutes":20,"shown_zone":"Etc/UTC","slot_id":1,"slot_starts_at":"2026-12-04T14:42:00+00:00"}');
INSERT INTO audit_event VALUES(7,'2026-12-03 14:42:48.915581','erin','1dfce3ffcfaf4b3f9ecd87f6e7823344','session_started','{"front_end":"cli","method":"interview","seed":null}');
INSERT INTO audit_event VALUES(8,'2026-12-03 14:42:48.928968','erin','1dfce3ffcfaf4b3f9ecd87f6e7823344','interview_booked','{"accommodations":false,"agent":"ann","appointment_id":2,"duration_minutes":20,"shown_zone":"Etc/UTC","slot_id":2,"slot_starts_at":"2026-12-04T15:42:00+00:00"}');
INSERT INTO audit_event VALUES(9,'2026-12-04 14:43:00.000000','dave','5eb34c90891c479cae0a386fc087c044','interview_decision','{"agent":"ann","appointment_id":1,"decision":"approved","documents_seen":["passport"],"reason":null}');
INSERT INTO audit_event VALUES(10,'2026-12-04 15:43:00.000000','erin','1dfce3ffcfaf4b3f9ecd87f6e7823344','interview_decision','{"agent":"ann","appointment_id":2,"decision":"declined","documents_seen":[],"reason":"The document was damaged"}');
INSERT INTO audit_event VALUES(11,'2026-12-04 14:44:00.000000','dave','5eb34c90891c479cae0a386fc087c044','credential_issued','{"appointment_id":1,"credential_id":"d38b3988595a41fca0e4b124f00f84a3","method":"interview"}');
CREATE TABLE session_settings (
	session_id VARCHAR NOT NULL, 
	data VARCHAR NOT NULL, 
	PRIMARY KEY (session_id)
);
INSERT INTO session_settings VALUES('5eb34c90891c479cae0a386fc087c044','{"accessible": false, "analysis_width": 640, "animations": false, "blink_drop": 0.25, "camera": "device", "centre_tolerance": 0.25, "challenge_steps": 2, "challenge_timeout": 10.0, "credential_days": 365, "decision_frames": 3, "failure_wait_seconds": 30.0, "interview_address": null, "interview_caller": "agent", "interview_channel": null, "interview_documents": "passport,id_card,driving_licence,residence_permit", "interview_grace_hours": 24.0, "interview_instructions": null, "interview_link": null, "interview_not_accepted": "photocopies, photos or scans of a document, expired documents", "interview_phone": null, "interview_reminder_hours": 24.0, "lang": null, "liveness": true, "max_brightness": 220.0, "max_consecutive_failures": 5, "max_face_fraction": 0.65, "max_total_failures": 50, "min_brightness": 60.0, "min_face_fraction": 0.12, "min_sharpness": 40.0, "plain_color": false, "plain_run_timeout": 300.0, "plain_step_timeout": 0.0, "preview": "auto", "retention_days": 30, "seed": null, "smtp_host": null, "smtp_port": 587, "smtp_security": "starttls", "smtp_sender": null, "smtp_timeout": 20.0, "smtp_username": null, "theme": "textual-dark", "timezone": null, "tolerance": 0.6, "turn_degrees": 15.0, "verify_timeout": 60.0}');
INSERT INTO session_settings VALUES('1dfce3ffcfaf4b3f9ecd87f6e7823344','{"accessible": false, "analysis_width": 640, "animations": false, "blink_drop": 0.25, "camera": "device", "centre_tolerance": 0.25, "challenge_steps": 2, "challenge_timeout": 10.0, "credential_days": 365, "decision_frames": 3, "failure_wait_seconds": 30.0, "interview_address": null, "interview_caller": "agent", "interview_channel": null, "interview_documents": "passport,id_card,driving_licence,residence_permit", "interview_grace_hours": 24.0, "interview_instructions": null, "interview_link": null, "interview_not_accepted": "photocopies, photos or scans of a document, expired documents", "interview_phone": null, "interview_reminder_hours": 24.0, "lang": null, "liveness": true, "max_brightness": 220.0, "max_consecutive_failures": 5, "max_face_fraction": 0.65, "max_total_failures": 50, "min_brightness": 60.0, "min_face_fraction": 0.12, "min_sharpness": 40.0, "plain_color": false, "plain_run_timeout": 300.0, "plain_step_timeout": 0.0, "preview": "auto", "retention_days": 30, "seed": null, "smtp_host": null, "smtp_port": 587, "smtp_security": "starttls", "smtp_sender": null, "smtp_timeout": 20.0, "smtp_username": null, "theme": "textual-dark", "timezone": null, "tolerance": 0.6, "turn_degrees": 15.0, "verify_timeout": 60.0}');
CREATE TABLE consent_record (
	id INTEGER NOT NULL, 
	subject VARCHAR NOT NULL, 
	notice_version VARCHAR NOT NULL, 
	notice_language VARCHAR NOT NULL, 
	choice VARCHAR NOT NULL, 
	at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE attempt_counter (
	subject VARCHAR NOT NULL, 
	consecutive_failures INTEGER NOT NULL, 
	total_failures INTEGER NOT NULL, 
	last_failure_at DATETIME, 
	PRIMARY KEY (subject)
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
INSERT INTO credential_record VALUES('d38b3988595a41fca0e4b124f00f84a3','dave','interview','2026-12-04 14:43:00.000000','2027-12-04 14:43:00.000000','issued',NULL,1);
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
INSERT INTO interview_slot VALUES(1,'2026-12-04 14:42:00.000000',20,'ann','Etc/UTC','open','2026-12-03 14:42:48.801422','{"address": null, "caller": "agent", "channel": null, "documents": ["passport", "id_card", "driving_licence", "residence_permit"], "instructions": null, "link": null, "not_accepted": "photocopies, photos or scans of a document, expired documents", "phone": null}');
INSERT INTO interview_slot VALUES(2,'2026-12-04 15:42:00.000000',20,'ann','Etc/UTC','open','2026-12-03 14:42:48.820329','{"address": null, "caller": "agent", "channel": null, "documents": ["passport", "id_card", "driving_licence", "residence_permit"], "instructions": null, "link": null, "not_accepted": "photocopies, photos or scans of a document, expired documents", "phone": null}');
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
CREATE TABLE agent_duty (
	agent VARCHAR NOT NULL, 
	since DATETIME NOT NULL, 
	PRIMARY KEY (agent)
);
CREATE TABLE desk_setting (
	"key" VARCHAR NOT NULL, 
	value VARCHAR NOT NULL, 
	set_by VARCHAR NOT NULL, 
	set_at DATETIME NOT NULL, 
	PRIMARY KEY ("key")
);
CREATE TABLE revoked_credential (
	id VARCHAR NOT NULL, 
	revoked_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
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
INSERT INTO desk_info VALUES('b7bb416deeeb4b80',1,'admin','{"kty": "OKP", "crv": "Ed25519", "x": "NHI3x-1u0aQeFQmDumwa3gBkUNiXu4rGC9Jf6YZQkKY", "kid": "mbneGtmHtm2IYWzdiqTNHVwMfpOFdmeaflj0AE1nwAs", "alg": "Ed25519", "use": "sig"}','2026-12-03 14:42:48.570056');
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
INSERT INTO desk_key VALUES('0XHKS5g5sySk71W5PFjockC2U87PDQuw04rjl52mGIQ','agent','ann','{"kty": "OKP", "crv": "Ed25519", "x": "_NWP1P7XZEjXDCVJB2aINr8TVtzwMae4bGnBH5qDlkA", "kid": "0XHKS5g5sySk71W5PFjockC2U87PDQuw04rjl52mGIQ", "alg": "Ed25519", "use": "sig"}','eyJ0eXAiOiJzZWxmdmVyaWZ5LWVucm9sbWVudCtqd3QiLCJhbGciOiJFZDI1NTE5Iiwia2lkIjoibWJuZUd0bUh0bTJJWVd6ZGlxVE5IVndNZnBPRmRtZWFmbGowQUUxbndBcyJ9.eyJpc3MiOiJzZWxmdmVyaWZ5OmRlc2s6YjdiYjQxNmRlZWViNGI4MCIsImtpbmQiOiJhZ2VudCIsImhhbmRsZSI6ImFubiIsImtleSI6IjBYSEtTNWc1c3lTazcxVzVQRmpvY2tDMlU4N1BEUXV3MDRyamw1Mm1HSVEiLCJpYXQiOjE3OTYzMDg5NjgsImV4cCI6MjExMjUzMjk2OH0.taDMmxT5kDeQ4Q6JxXuErUHHj0QQjj9PnqP6RtKohsqONWUuqmYN5ORBBJCTGm7lWZxtO-85DaBTbRUEgSDFAQ','admin','2026-12-03 14:42:48.625546');
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
INSERT INTO decision_record VALUES(1,1,'dave','approved','ann','0XHKS5g5sySk71W5PFjockC2U87PDQuw04rjl52mGIQ','["passport"]','2026-12-04 14:43:00.000000','eyJ0eXAiOiJzZWxmdmVyaWZ5LWRlY2lzaW9uK2p3dCIsImFsZyI6IkVkMjU1MTkiLCJraWQiOiIwWEhLUzVnNXN5U2s3MVc1UEZqb2NrQzJVODdQRFF1dzA0cmpsNTJtR0lRIn0.eyJpc3MiOiJzZWxmdmVyaWZ5OmRlc2s6YjdiYjQxNmRlZWViNGI4MCIsInN1YiI6ImRhdmUiLCJqdGkiOiIwOWMxMmYxYjgyNzM0YjAyYjE3MjE3ODAzZGM1ODExNSIsImlhdCI6MTc5NjM5NTM4MCwiZXhwIjoyMTEyNjE5MzgwLCJhcHBvaW50bWVudCI6IkhVWlEtRVRQOCIsImRlY2lzaW9uIjoiYXBwcm92ZWQiLCJhZ2VudCI6ImFubiIsImRvY3VtZW50c19zZWVuIjpbInBhc3Nwb3J0Il0sInJlYXNvbiI6bnVsbH0.UigtxUfkd_5mqTfJq57w7fItzSeG4HWHYvzXMMslimpdr7zJSBHW3JcrBBm-ZF251dvIuhCEZT_-vA8w-QdyDw','eyJ0eXAiOiJzZWxmdmVyaWZ5K2p3dCIsImFsZyI6IkVkMjU1MTkiLCJraWQiOiIwWEhLUzVnNXN5U2s3MVc1UEZqb2NrQzJVODdQRFF1dzA0cmpsNTJtR0lRIn0.eyJpc3MiOiJzZWxmdmVyaWZ5OmRlc2s6YjdiYjQxNmRlZWViNGI4MCIsInN1YiI6ImRhdmUiLCJqdGkiOiJkMzhiMzk4ODU5NWE0MWZjYTBlNGIxMjRmMDBmODRhMyIsImlhdCI6MTc5NjM5NTM4MCwibmJmIjoxNzk2Mzk1MzgwLCJleHAiOjE4Mjc5MzEzODAsIm1ldGhvZCI6ImludGVydmlldyIsImFzc3VyYW5jZSI6eyJhZ2VudCI6ImFubiIsImRvY3VtZW50c19zZWVuIjpbInBhc3Nwb3J0Il19fQ.jFr7t3C9al9QJdF1fQD14ue6U8s-wt76h6KlH8ZYTptACpl2Ecbq56y3S0bIDjt6QgQPfEMkeVH6XnpFK2uwDw','eyJ0eXAiOiJzZWxmdmVyaWZ5K3NkLWp3dCIsImFsZyI6IkVkMjU1MTkiLCJraWQiOiIwWEhLUzVnNXN5U2s3MVc1UEZqb2NrQzJVODdQRFF1dzA0cmpsNTJtR0lRIn0.eyJpc3MiOiJzZWxmdmVyaWZ5OmRlc2s6YjdiYjQxNmRlZWViNGI4MCIsImp0aSI6ImQzOGIzOTg4NTk1YTQxZmNhMGU0YjEyNGYwMGY4NGEzIiwiaWF0IjoxNzk2Mzk1MzgwLCJuYmYiOjE3OTYzOTUzODAsImV4cCI6MTgyNzkzMTM4MCwiX3NkIjpbIjNxalFCa3Vjb215Y2ljYjFxanRfTnU0dXYtYUtlY0gxdjZiWUJWVFVsN2ciLCJDV3l2cHh1X1VKdW1xRHFpTlRqakhLenVlVjBQSDVZVzh0d2c1MHdscWJJIiwiU1pYV2lLQXV2QjhwVHdQQkV5SF9sMWRMbHhmcWtaQmVrRE5rbUxSOFdJdyJdLCJfc2RfYWxnIjoic2hhLTI1NiJ9.y6-OM8ZTmJ0pjuBPR35dWI2Ipu80BZFtdKj3MGpAacWpyIkl-W95Gh0jnrfqHqbYlYJLkp9m_MzTtN20CHdoCQ~WyJ3di04TThscDVzSU4xSzIyc1BvZkFRIiwic3ViIiwiZGF2ZSJd~WyIyNWJkdktwczdRVU1ndWZlU1FtdEpBIiwibWV0aG9kIiwiaW50ZXJ2aWV3Il0~WyJwc05LYzNKZDd4aDg2blhMeTZONS13IiwiYXNzdXJhbmNlIix7ImFnZW50IjoiYW5uIiwiZG9jdW1lbnRzX3NlZW4iOlsicGFzc3BvcnQiXX1d~');
INSERT INTO decision_record VALUES(2,2,'erin','declined','ann','0XHKS5g5sySk71W5PFjockC2U87PDQuw04rjl52mGIQ','[]','2026-12-04 15:43:00.000000','eyJ0eXAiOiJzZWxmdmVyaWZ5LWRlY2lzaW9uK2p3dCIsImFsZyI6IkVkMjU1MTkiLCJraWQiOiIwWEhLUzVnNXN5U2s3MVc1UEZqb2NrQzJVODdQRFF1dzA0cmpsNTJtR0lRIn0.eyJpc3MiOiJzZWxmdmVyaWZ5OmRlc2s6YjdiYjQxNmRlZWViNGI4MCIsInN1YiI6ImVyaW4iLCJqdGkiOiJiMzM0MGU4N2YwMjc0YzZhYjg2NDU1MTM4NzBhZjcwMSIsImlhdCI6MTc5NjM5ODk4MCwiZXhwIjoyMTEyNjIyOTgwLCJhcHBvaW50bWVudCI6IjZWNjMtVDlHViIsImRlY2lzaW9uIjoiZGVjbGluZWQiLCJhZ2VudCI6ImFubiIsImRvY3VtZW50c19zZWVuIjpbXSwicmVhc29uIjoiVGhlIGRvY3VtZW50IHdhcyBkYW1hZ2VkIn0.lRF8qD13UzXdtyFykDZqrgAr7GtIFVcw8pylw77nbSgSLIKefK1_8nu9pqLYc0jBfn18qpsDOs7NIhq-jg3yBw',NULL,NULL);
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
INSERT INTO appointment VALUES(1,1,1,NULL,'dave','dave@example.org','HUZQETP8','approved','2026-12-03 14:42:48.884224','2026-12-04 14:43:00.000000','ann',NULL,'["passport"]','d38b3988595a41fca0e4b124f00f84a3','5eb34c90891c479cae0a386fc087c044',NULL,0,NULL);
INSERT INTO appointment VALUES(2,2,2,NULL,'erin','erin@example.org','6V63T9GV','declined','2026-12-03 14:42:48.920876','2026-12-04 15:43:00.000000','ann','The document was damaged','[]',NULL,'1dfce3ffcfaf4b3f9ecd87f6e7823344',NULL,0,NULL);
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
INSERT INTO interview_notice VALUES(1,1,1,'confirmation','pending',0,NULL,'2026-12-03 14:42:48.890289',NULL,NULL);
INSERT INTO interview_notice VALUES(2,2,2,'confirmation','pending',0,NULL,'2026-12-03 14:42:48.932172',NULL,NULL);
INSERT INTO interview_notice VALUES(3,1,1,'decision','pending',0,NULL,'2026-12-04 14:43:00.000000',NULL,NULL);
INSERT INTO interview_notice VALUES(4,2,2,'decision','pending',0,NULL,'2026-12-04 15:43:00.000000',NULL,NULL);
CREATE INDEX ix_verification_session_subject ON verification_session (subject);
CREATE INDEX ix_audit_event_at ON audit_event (at);
CREATE INDEX ix_audit_event_kind ON audit_event (kind);
CREATE INDEX ix_audit_event_session_id ON audit_event (session_id);
CREATE INDEX ix_audit_event_subject ON audit_event (subject);
CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event WHEN NOT (OLD.subject <> '' AND NEW.subject = '' AND NEW.data = '{"redacted":true}' AND NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.kind = OLD.kind AND NEW.session_id IS OLD.session_id) BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END;
CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END;
CREATE INDEX ix_consent_record_subject ON consent_record (subject);
CREATE INDEX ix_credential_record_subject ON credential_record (subject);
CREATE INDEX ix_credential_record_status ON credential_record (status);
CREATE INDEX ix_retained_photo_status ON retained_photo (status);
CREATE INDEX ix_retained_photo_expires_at ON retained_photo (expires_at);
CREATE INDEX ix_retained_photo_subject ON retained_photo (subject);
CREATE INDEX ix_deletion_receipt_subject ON deletion_receipt (subject);
CREATE INDEX ix_deletion_receipt_deleted_at ON deletion_receipt (deleted_at);
CREATE INDEX ix_interview_slot_starts_at ON interview_slot (starts_at);
CREATE INDEX ix_interview_queue_status ON interview_queue (status);
CREATE INDEX ix_interview_queue_subject ON interview_queue (subject);
CREATE INDEX ix_interview_queue_joined_at ON interview_queue (joined_at);
CREATE INDEX ix_decision_record_subject ON decision_record (subject);
CREATE TRIGGER decision_record_no_update BEFORE UPDATE ON decision_record WHEN NOT (OLD.subject <> '' AND NEW.subject = '' AND NEW.token = '' AND NEW.credential IS NULL AND NEW.credential_sd IS NULL AND NEW.id = OLD.id AND NEW.appointment_id = OLD.appointment_id AND NEW.outcome = OLD.outcome AND NEW.agent = OLD.agent AND NEW.kid = OLD.kid AND NEW.documents_seen = OLD.documents_seen AND NEW.decided_at = OLD.decided_at) BEGIN SELECT RAISE(ABORT, 'decision_record is append-only'); END;
CREATE TRIGGER decision_record_no_delete BEFORE DELETE ON decision_record BEGIN SELECT RAISE(ABORT, 'decision_record is append-only'); END;
CREATE INDEX ix_appointment_subject_status ON appointment (subject, status);
CREATE INDEX ix_appointment_subject ON appointment (subject);
CREATE INDEX ix_appointment_slot_id ON appointment (slot_id);
CREATE INDEX ix_interview_notice_appointment_id ON interview_notice (appointment_id);
COMMIT;
