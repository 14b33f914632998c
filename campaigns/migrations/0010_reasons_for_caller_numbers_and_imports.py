"""Why a caller number is inactive and why an import failed become reasons
(campaigns.reasons): a code and params, worded in the reader's language when shown.

Text an older version stored, already worded in its writer's language, is kept as
`{"text": ...}` and shown as it was (as 0004 did for a campaign's reason).
"""

from django.db import migrations, models

# (model, field holding the reason, the old text column while both exist, its old max length)
FIELDS = [("CallerNumber", "inactive_reason", "inactive_reason_old", 300), ("ImportJob", "error", "error_old", None)]


def text_to_reason(apps, schema_editor):
    for model_name, field, old, _length in FIELDS:
        model = apps.get_model("campaigns", model_name)
        for row in model.objects.exclude(**{old: ""}).values("pk", old).iterator():
            model.objects.filter(pk=row["pk"]).update(**{field: {"text": row[old]}})


def reason_to_text(apps, schema_editor):
    for model_name, field, old, length in FIELDS:
        model = apps.get_model("campaigns", model_name)
        for row in model.objects.exclude(**{field: {}}).values("pk", field).iterator():
            reason = row[field] or {}
            text = str(reason.get("text") or reason.get("code", ""))
            model.objects.filter(pk=row["pk"]).update(**{old: text[:length] if length else text})


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0009_i14_list_variable_columns")]

    operations = [
        migrations.RenameField("callernumber", "inactive_reason", "inactive_reason_old"),
        migrations.AddField(
            model_name="callernumber",
            name="inactive_reason",
            field=models.JSONField(blank=True, default=dict, editable=False, verbose_name="why inactive"),
        ),
        migrations.RenameField("importjob", "error", "error_old"),
        migrations.AddField(
            model_name="importjob",
            name="error",
            field=models.JSONField(blank=True, default=dict, editable=False, verbose_name="error"),
        ),
        migrations.RunPython(text_to_reason, reason_to_text),
        migrations.RemoveField("callernumber", "inactive_reason_old"),
        migrations.RemoveField("importjob", "error_old"),
    ]
