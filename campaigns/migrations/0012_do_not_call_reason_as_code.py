"""Why a number is on the do-not-call list becomes a reason (campaigns.reasons): a code and
params, worded in the reader's language when shown.

Text an older version stored, already worded in its writer's language (an opt-out, a block
after complaints, what staff typed), is kept as `{"text": ...}` and shown as it was (as
0010/0011 did for other reasons).
"""

from django.db import migrations, models


def text_to_reason(apps, schema_editor):
    DoNotCall = apps.get_model("campaigns", "DoNotCall")
    for row in DoNotCall.objects.exclude(reason_old="").values("pk", "reason_old").iterator():
        DoNotCall.objects.filter(pk=row["pk"]).update(reason={"text": row["reason_old"]})


def reason_to_text(apps, schema_editor):
    DoNotCall = apps.get_model("campaigns", "DoNotCall")
    for row in DoNotCall.objects.exclude(reason={}).values("pk", "reason").iterator():
        reason = row["reason"] or {}
        text = reason if isinstance(reason, str) else str(reason.get("text") or reason.get("code", ""))
        DoNotCall.objects.filter(pk=row["pk"]).update(reason_old=text[:200])


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0011_followup_error_reason")]

    operations = [
        migrations.RenameField("donotcall", "reason", "reason_old"),
        migrations.AddField(
            model_name="donotcall",
            name="reason",
            field=models.JSONField(blank=True, default=dict, editable=False, verbose_name="reason"),
        ),
        migrations.RunPython(text_to_reason, reason_to_text),
        migrations.RemoveField("donotcall", "reason_old"),
    ]
