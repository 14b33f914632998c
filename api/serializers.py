"""What the API reads and writes: one serializer per shape (request bodies validated here)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from campaigns.accounts import VoiceAccount
from campaigns.models import CallerNumber, Campaign, ContactList, MenuTemplate
from campaigns.segments import SEGMENT_STATUSES
from webhooks.events import EVENT_TYPES
from webhooks.models import WebhookEndpoint


class ContactListSerializer(serializers.ModelSerializer):
    contacts = serializers.IntegerField(read_only=True, source="contact_count")

    class Meta:
        model = ContactList
        fields = ["id", "name", "description", "created_at", "contacts"]
        read_only_fields = ["id", "created_at"]


class ContactItemSerializer(serializers.Serializer):
    """One contact: a phone or an external id at least (documentation; see `api.upsert`)."""

    phone = serializers.CharField(required=False, allow_blank=True, max_length=64)
    external_id = serializers.CharField(required=False, allow_null=True, max_length=100)
    name = serializers.CharField(required=False, allow_blank=True, max_length=400)
    variables = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)
    call_after = serializers.CharField(required=False, allow_blank=True, max_length=20, help_text="HH:MM")
    call_before = serializers.CharField(required=False, allow_blank=True, max_length=20, help_text="HH:MM")
    consent_source = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Where consent was given (marketing: only these)."
    )
    consent_time = serializers.CharField(
        required=False, allow_blank=True, max_length=40, help_text="When consent was given."
    )


class UpsertSerializer(serializers.Serializer):
    """The request's shape for the schema; `api.upsert.check_items` checks each item (fast)."""

    contacts = ContactItemSerializer(many=True, allow_empty=False, max_length=10_000)


class UpsertResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    skipped = serializers.IntegerField()
    rejected = serializers.ListField(child=serializers.DictField())


class CampaignSerializer(serializers.ModelSerializer):
    """A campaign; on create, its caller numbers, or an Aliyun account (by name) whose active
    caller numbers it uses — both: the numbers, created under that account if new."""

    contact_lists = serializers.PrimaryKeyRelatedField(many=True, queryset=ContactList.objects.all())
    menu = serializers.SlugRelatedField(slug_field="name", queryset=MenuTemplate.objects.all())
    caller_numbers = serializers.ListField(
        child=serializers.CharField(max_length=32), write_only=True, required=False, allow_empty=True
    )
    account = serializers.SlugRelatedField(
        slug_field="name", queryset=VoiceAccount.objects.all(), write_only=True, required=False, allow_null=True
    )

    class Meta:
        model = Campaign
        fields = [
            "id", "name", "purpose", "state", "contact_lists", "menu", "caller_numbers", "account", "timezone",
            "starts_at", "ends_at", "daily_start", "daily_end", "weekdays", "dial_on_no_call_days", "max_qps",
            "max_attempts", "retry_delay_seconds", "retry_outcomes", "expected_call_seconds", "local_presence",
            "rest_unhealthy_numbers", "retention_days", "followup_of", "created_at", "started_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = ["id", "state", "followup_of", "created_at", "started_at", "finished_at"]

    def validate(self, attrs: dict) -> dict:
        numbers, account = attrs.get("caller_numbers") or [], attrs.get("account")
        if not numbers and account is None:
            raise serializers.ValidationError(
                {"caller_numbers": [_("Give caller numbers, or an account whose caller numbers the campaign uses.")]}
            )
        if account is not None and not numbers:
            attrs["caller_numbers"] = list(
                CallerNumber.objects.filter(account=account, active=True).values_list("number", flat=True)
            )
            if not attrs["caller_numbers"]:
                raise serializers.ValidationError({"account": [_("This account has no active caller numbers.")]})
        elif account is not None:
            elsewhere = list(
                CallerNumber.objects.filter(number__in=numbers)
                .exclude(account=account)
                .values_list("number", flat=True)
            )
            if elsewhere:
                raise serializers.ValidationError(
                    {"caller_numbers": [_("Of another account: %(numbers)s.") % {"numbers": ", ".join(elsewhere)}]}
                )
        return attrs


class FollowupSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    answers = serializers.ListField(child=serializers.CharField(), required=False)
    statuses = serializers.ListField(child=serializers.ChoiceField(choices=SEGMENT_STATUSES), required=False)
    list_name = serializers.CharField(required=False, allow_blank=True, max_length=200)

    def validate(self, attrs: dict) -> dict:
        if not attrs.get("answers") and not attrs.get("statuses"):
            raise serializers.ValidationError(_("Give answers or statuses."))
        return attrs


class ContactFieldsSerializer(serializers.Serializer):
    """Who a result row is about (the phone masked, the name and variables left out, for a
    user without the permissions to see them: `campaigns.privacy`)."""

    contact_id = serializers.IntegerField()
    external_id = serializers.CharField(allow_null=True)
    phone = serializers.CharField()
    name = serializers.CharField(allow_null=True)
    variables = serializers.DictField(allow_null=True)
    contact_list_id = serializers.IntegerField()


class ResultSerializer(ContactFieldsSerializer):
    attempt = serializers.IntegerField()
    status = serializers.CharField()
    answer_key = serializers.CharField()
    answer_label = serializers.CharField()
    duration = serializers.IntegerField(allow_null=True)
    settled_at = serializers.DateTimeField(allow_null=True)


class ResultPageSerializer(serializers.Serializer):
    results = ResultSerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True)


class PhonesSerializer(serializers.Serializer):
    add = serializers.ListField(child=serializers.CharField(max_length=64), required=False, max_length=100_000)
    remove = serializers.ListField(child=serializers.CharField(max_length=64), required=False, max_length=100_000)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200)


class WebhookEndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_TYPES), allow_empty=False)

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "description", "events", "active", "disabled_reason", "secret", "created_at"]
        read_only_fields = ["id", "active", "disabled_reason", "secret", "created_at"]


class WebhookEndpointChangeSerializer(serializers.ModelSerializer):
    """PATCH: any of these; `active: true` turns a disabled endpoint back on."""

    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_TYPES), allow_empty=False)

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "events", "active"]


class WebhookEndpointShownSerializer(serializers.ModelSerializer):
    """An endpoint as it is shown after it was created: without its secret."""

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "description", "events", "active", "disabled_reason", "created_at"]
        read_only_fields = fields
