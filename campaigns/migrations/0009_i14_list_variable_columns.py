from django.db import migrations, models


def not_known_yet(apps, schema_editor):
    """Lists from before the column: their names are read from their contacts on first use."""
    apps.get_model("campaigns", "ContactList").objects.update(variable_columns=None)


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0008_i12_followups_scores"),
    ]

    operations = [
        migrations.AddField(
            model_name="contactlist",
            name="variable_columns",
            field=models.JSONField(
                blank=True, default=list, editable=False, null=True, verbose_name="variable columns"
            ),
        ),
        migrations.RunPython(not_known_yet, migrations.RunPython.noop),
    ]
