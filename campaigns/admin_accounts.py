"""Admin for Aliyun accounts: the secret is write-only (never rendered back, never logged)."""

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters

from audit.admin_base import AuditedAdmin
from campaigns.accounts import DEFAULT_ENDPOINT, VoiceAccount


class VoiceAccountForm(forms.ModelForm):
    secret = forms.CharField(
        label=_("AccessKey secret"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Stored encrypted and never shown again. Leave blank to keep the current one."),
    )

    endpoint = forms.URLField(label=_("endpoint"), assume_scheme="https", initial=DEFAULT_ENDPOINT)

    class Meta:
        model = VoiceAccount
        fields = ["name", "access_key_id", "secret", "endpoint", "qps", "price_per_minute"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "access_key_id" in self.fields:  # masked once created
            field = self.fields["access_key_id"]
            field.required = False
            field.help_text = _("Now %(masked)s. Leave blank to keep it.") % {"masked": self.instance.masked_key_id}
            self.initial["access_key_id"] = ""

    def clean_access_key_id(self) -> str:
        return (self.cleaned_data.get("access_key_id") or "").strip() or self.instance.access_key_id

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk and not cleaned.get("secret"):
            self.add_error("secret", _("A new account needs its AccessKey secret."))
        return cleaned

    def save(self, commit=True):
        if self.cleaned_data.get("secret"):
            self.instance.set_secret(self.cleaned_data["secret"])
        return super().save(commit)


@admin.register(VoiceAccount)
class VoiceAccountAdmin(AuditedAdmin):
    form = VoiceAccountForm
    list_display = ["name", "masked_key_id", "endpoint", "qps", "price_per_minute", "numbers", "updated_at"]
    search_fields = ["name"]

    # Error reports (DEBUG off) must not carry the secret from the POST body.
    @method_decorator(sensitive_post_parameters("secret"))
    def add_view(self, request, form_url="", extra_context=None):
        return super().add_view(request, form_url, extra_context)

    @method_decorator(sensitive_post_parameters("secret"))
    def change_view(self, request, object_id, form_url="", extra_context=None):
        return super().change_view(request, object_id, form_url, extra_context)

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is not None and not self.has_change_permission(request, obj):
            fields = ["masked_key_id" if name == "access_key_id" else name for name in fields]
        return fields

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and not self.has_change_permission(request, obj):
            readonly.append("masked_key_id")
        return readonly

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(number_count=Count("caller_numbers"))

    @admin.display(description=_("AccessKey ID"))
    def masked_key_id(self, obj: VoiceAccount) -> str:
        return obj.masked_key_id

    @admin.display(description=_("caller numbers"), ordering="number_count")
    def numbers(self, obj: VoiceAccount) -> int:
        return obj.number_count
