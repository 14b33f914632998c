"""Admin import/export of the small reference tables: the do-not-call list, caller numbers
and no-call days (django-import-export's preview, then confirm).

What django-import-export does here, and what it does not: these tables have tens to
thousands of rows, so its row-by-row loop, typed row results (new, update, skip, invalid)
and preview page serve staff well. The million-row contact import stays our own fast path
(`campaigns.contacts.importing`).

Every phone number goes through `campaigns.contacts.phones.normalize`: a number it refuses
makes that row invalid, with its reason, in the preview; nothing is written until the
preview is confirmed. Every exported cell is made formula-safe (`campaigns.spreadsheets`).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone
from import_export import fields, resources, widgets

from campaigns import reasons, spreadsheets, times
from campaigns.accounts import VoiceAccount
from campaigns.contacts.phones import InvalidNumber, normalize
from campaigns.models import CallerNumber, DoNotCall, NoCallDay


class FormulaSafeResource(resources.ModelResource):
    """Exports whose cells a spreadsheet cannot run as formulas (and XLSX can hold)."""

    def export_resource(self, instance, selected_fields=None, **kwargs) -> list:
        return [spreadsheets.xlsx_cell(v) for v in super().export_resource(instance, selected_fields, **kwargs)]

    def get_export_headers(self, selected_fields=None) -> list:
        return [spreadsheets.xlsx_cell(h) for h in super().get_export_headers(selected_fields)]


class PhoneColumnResource(FormulaSafeResource):
    """Rows keyed by a phone number, normalised before the row is matched or saved."""

    phone_column = "phone"

    def before_import_row(self, row, **kwargs) -> None:
        try:
            row[self.phone_column] = normalize(row.get(self.phone_column))
        except InvalidNumber as exc:
            raise ValidationError({self.phone_column: str(exc)}) from exc


class ReasonWidget(widgets.Widget):
    """A reason (campaigns.reasons): exported in the reader's language; imported as the text typed."""

    def clean(self, value, row=None, **kwargs) -> reasons.Reason:
        return reasons.typed(str(value).strip() if value is not None else "")

    def render(self, value, obj=None, **kwargs) -> str:
        return reasons.describe(value)


class ChoiceLabelWidget(widgets.Widget):
    """A choice exported as its label in the reader's language (export only)."""

    def __init__(self, choices) -> None:
        self.labels = dict(choices)
        super().__init__()

    def render(self, value, obj=None, **kwargs) -> str:
        return str(self.labels.get(value, value or ""))


class StampWidget(widgets.DateTimeWidget):
    """A time in the operator's zone with its offset (`2026-12-06 15:54 +08:00`): a file may be
    read anywhere."""

    def render(self, value, obj=None, **kwargs) -> str:
        return times.stamp(value)


class DoNotCallResource(PhoneColumnResource):
    """phone, reason, expires, added (and, exported only, source and campaign). An import adds
    numbers, each until its `expires` (blank: for good); a number already on the list keeps its
    entry (an opt-out's record is not overwritten by a file) unless that entry has expired,
    which the file's row then replaces."""

    phone = fields.Field(attribute="phone", column_name="phone")
    reason = fields.Field(attribute="reason", column_name="reason", widget=ReasonWidget())
    expires_at = fields.Field(attribute="expires_at", column_name="expires", widget=widgets.DateTimeWidget())
    source = fields.Field(
        attribute="source", column_name="source", readonly=True, widget=ChoiceLabelWidget(DoNotCall.Source.choices)
    )
    created_at = fields.Field(attribute="created_at", column_name="added", readonly=True, widget=StampWidget())
    campaign = fields.Field(attribute="campaign__name", column_name="campaign", readonly=True)

    class Meta:
        model = DoNotCall
        import_id_fields = ("phone",)
        fields = ("phone", "reason", "expires_at", "created_at", "source", "campaign")
        export_order = ("phone", "reason", "expires_at", "created_at", "source", "campaign")
        skip_unchanged = True
        report_skipped = True

    def before_save_instance(self, instance, row, **kwargs) -> None:
        instance.source = DoNotCall.Source.IMPORT
        super().before_save_instance(instance, row, **kwargs)

    def skip_row(self, instance, original, row, import_validation_errors=None) -> bool:
        if original is not None and original.pk and original.has_expired:
            return False  # it stops nothing any more: the file's row replaces it
        return bool(original is not None and original.pk) or super().skip_row(
            instance, original, row, import_validation_errors
        )

    def after_import(self, dataset, result, **kwargs) -> None:
        if kwargs.get("dry_run"):
            return
        from campaigns.do_not_call import stop_calls_to

        added = [
            row.object_id for row in result.rows if row.import_type in (row.IMPORT_TYPE_NEW, row.IMPORT_TYPE_UPDATE)
        ]
        phones = list(DoNotCall.objects.filter(pk__in=added).values_list("phone", flat=True))
        stop_calls_to(phones, timezone.now())


class CallerNumberResource(PhoneColumnResource):
    """number, label, account (by name), max_concurrent_calls; `active` is exported only:
    turning a number back on is a decision taken on its page, after reading why it was off."""

    phone_column = "number"
    number = fields.Field(attribute="number", column_name="number")
    label = fields.Field(attribute="label", column_name="label")
    account = fields.Field(
        attribute="account", column_name="account", widget=widgets.ForeignKeyWidget(VoiceAccount, "name")
    )
    max_concurrent_calls = fields.Field(
        attribute="max_concurrent_calls", column_name="max_concurrent_calls", widget=widgets.IntegerWidget()
    )
    active = fields.Field(attribute="active", column_name="active", readonly=True, widget=widgets.BooleanWidget())

    class Meta:
        model = CallerNumber
        import_id_fields = ("number",)
        fields = ("number", "label", "account", "max_concurrent_calls", "active")
        export_order = fields
        skip_unchanged = True
        report_skipped = True


class NoCallDayResource(FormulaSafeResource):
    """date (YYYY-MM-DD), label."""

    date = fields.Field(attribute="date", column_name="date", widget=widgets.DateWidget("%Y-%m-%d"))
    label = fields.Field(attribute="label", column_name="label")

    class Meta:
        model = NoCallDay
        import_id_fields = ("date",)
        fields = ("date", "label")
        export_order = fields
        skip_unchanged = True
        report_skipped = True
