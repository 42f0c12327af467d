"""Access logs (qualifications.DocumentAccess, qualifications.IdNumberReveal) are never changed: the database
refuses an UPDATE, except the one a deleted user's SET NULL makes (every other column unchanged). Deletion stays
possible for the cascade that purges a document or an entity with everything about it."""

from django.db import migrations

TABLES = {
    "qualifications_documentaccess": ("id", "document_id", "variant", "at", "ip_address", "user_agent"),
    "qualifications_idnumberreveal": ("id", "entity_id", "person", "at", "ip_address"),
}
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION access_log_is_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.user_id IS NULL AND (to_jsonb(NEW) - 'user_id') = (to_jsonb(OLD) - 'user_id') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' rows are never changed', ERRCODE = 'integrity_constraint_violation';
END $$;
"""


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)
    for table, columns in TABLES.items():
        if vendor == "postgresql":
            schema_editor.execute(f"CREATE TRIGGER {table}_fixed BEFORE UPDATE ON {table} FOR EACH ROW "
                                  "EXECUTE FUNCTION access_log_is_fixed()")  # fmt: skip
        elif vendor == "sqlite":
            same = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in columns)
            schema_editor.execute(f"CREATE TRIGGER {table}_fixed BEFORE UPDATE ON {table} "
                                  f"WHEN NOT (NEW.user_id IS NULL AND {same}) "
                                  f"BEGIN SELECT RAISE(ABORT, '{table} rows are never changed'); END")  # fmt: skip


def remove(apps, schema_editor):
    for table in TABLES:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_fixed ON {table}")
        elif schema_editor.connection.vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_fixed")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS access_log_is_fixed()")


class Migration(migrations.Migration):
    dependencies = [("qualifications", "0008_id_number_reveal")]

    operations = [migrations.RunPython(install, remove)]
