"""Why a follow-up's copy failed becomes a reason (campaigns.reasons), worded in the reader's
language when shown; text an older version stored is kept as `{"text": ...}` (as 0010 did)."""

from django.db import migrations, models


def text_to_reason(apps, schema_editor):
    builds = apps.get_model("campaigns", "FollowupBuild")
    for row in builds.objects.exclude(error_old="").values("pk", "error_old").iterator():
        builds.objects.filter(pk=row["pk"]).update(error={"text": row["error_old"]})


def reason_to_text(apps, schema_editor):
    builds = apps.get_model("campaigns", "FollowupBuild")
    for row in builds.objects.exclude(error={}).values("pk", "error").iterator():
        reason = row["error"] or {}
        builds.objects.filter(pk=row["pk"]).update(error_old=str(reason.get("text") or reason.get("code", "")))


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0010_reasons_for_caller_numbers_and_imports")]

    operations = [
        migrations.RenameField("followupbuild", "error", "error_old"),
        migrations.AddField(
            model_name="followupbuild",
            name="error",
            field=models.JSONField(blank=True, default=dict, editable=False, verbose_name="error"),
        ),
        migrations.RunPython(text_to_reason, reason_to_text),
        migrations.RemoveField("followupbuild", "error_old"),
    ]
