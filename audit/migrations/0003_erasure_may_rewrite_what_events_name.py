from django.db import migrations

from audit import sql


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(sql.POSTGRES_FUNCTION_WITH_ERASURE, None)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(sql.POSTGRES_FUNCTION_PURGE_ONLY, None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]
    operations = [migrations.RunPython(install, remove)]
