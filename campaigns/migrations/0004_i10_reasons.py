"""Reasons stored as a code and parameters (campaigns.reasons), translated when shown.

A campaign's reason becomes JSON: the text an older version stored is kept as
`{"text": ...}` and shown as it was. Calls get a `note` (what happened, as a code);
their `error_message` keeps what Aliyun said.
"""

from django.db import migrations, models


def text_to_reason(apps, schema_editor):
    Campaign = apps.get_model("campaigns", "Campaign")
    for campaign in Campaign.objects.exclude(state_reason_text="").only("pk", "state_reason_text").iterator():
        Campaign.objects.filter(pk=campaign.pk).update(state_reason={"text": campaign.state_reason_text})


def reason_to_text(apps, schema_editor):
    Campaign = apps.get_model("campaigns", "Campaign")
    for campaign in Campaign.objects.exclude(state_reason={}).only("pk", "state_reason").iterator():
        text = campaign.state_reason.get("text") or campaign.state_reason.get("code", "")
        Campaign.objects.filter(pk=campaign.pk).update(state_reason_text=text)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0003_call_claim_token")]

    operations = [
        migrations.RenameField("campaign", "state_reason", "state_reason_text"),
        migrations.AddField(
            model_name="campaign",
            name="state_reason",
            field=models.JSONField(
                blank=True,
                default=dict,
                editable=False,
                help_text="Why it was paused, if it was.",
                verbose_name="reason",
            ),
        ),
        migrations.RunPython(text_to_reason, reason_to_text),
        migrations.RemoveField("campaign", "state_reason_text"),
        migrations.AddField(
            model_name="call",
            name="note",
            field=models.JSONField(blank=True, editable=False, null=True, verbose_name="note"),
        ),
    ]
