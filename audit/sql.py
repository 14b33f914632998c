"""The triggers that keep the audit table append-only (installed by migration 0002; migration
0003 adds the erasure exception to the PostgreSQL function)."""

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

# The two documented exceptions (audit.retention): the retention purge may DELETE; the erasure of
# a person (campaigns.person.erase) may UPDATE what an event names, what it changed and why
# (object_repr, changes, reason: the erased number becomes its hash) and nothing else of the row.
POSTGRES_FUNCTION_WITH_ERASURE = """
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('audit.allow_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND current_setting('audit.allow_erasure', true) = 'on'
       AND (NEW.id, NEW.at, NEW.actor_kind, NEW.actor_name, NEW.event, NEW.object_type, NEW.object_id)
           = (OLD.id, OLD.at, OLD.actor_kind, OLD.actor_name, OLD.event, OLD.object_type, OLD.object_id)
       AND NEW.actor_user_id IS NOT DISTINCT FROM OLD.actor_user_id
       AND NEW.ip IS NOT DISTINCT FROM OLD.ip
       AND NEW.campaign_id IS NOT DISTINCT FROM OLD.campaign_id
       AND NEW.rows IS NOT DISTINCT FROM OLD.rows THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
"""
POSTGRES_FUNCTION_PURGE_ONLY = POSTGRES_INSTALL.split("$$;")[0] + "$$;"
