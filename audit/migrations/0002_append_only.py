from django.db import migrations

from audit import sql


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(sql.POSTGRES_INSTALL, None)
    elif vendor == "sqlite":
        schema_editor.execute(sql.SQLITE_INSTALL)


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(sql.POSTGRES_REMOVE, None)
    elif vendor == "sqlite":
        schema_editor.execute(sql.SQLITE_REMOVE)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_audit_events")]
    operations = [migrations.RunPython(install, remove)]
