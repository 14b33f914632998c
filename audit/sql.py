"""The triggers that keep the audit table append-only (installed by migration 0002)."""

POSTGRES_INSTALL = """
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('audit.allow_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
"""
POSTGRES_REMOVE = """
DROP TRIGGER IF EXISTS audit_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_append_only();
"""
# SQLite (the demo database) has no per-transaction setting for the purge to raise: it refuses
# UPDATE only.
SQLITE_INSTALL = """
CREATE TRIGGER audit_append_only BEFORE UPDATE ON audit_auditevent
BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused'); END;
"""
SQLITE_REMOVE = "DROP TRIGGER IF EXISTS audit_append_only;"
