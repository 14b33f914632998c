"""Results per contact as CSV (streamed, UTF-8 with BOM for Excel) or XLSX.

One row per contact of the campaign, from its latest attempt: number, name, the contact's
variables, final status, attempts, last call time in the campaign's zone (named in the header),
call duration, keys pressed, answer, its score where the menu has a scale, AAPOR disposition,
and the callee's province, city and carrier (derived from the number).
Cells are typed (numbers as numbers, times as real dates), ready for analysis. The columns are a
django-import-export Resource; the files are written by `campaigns.spreadsheets`, which
neutralises every cell (header row included).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from import_export import resources
from import_export.fields import Field

from audit.actors import Actor
from audit.downloads import counted
from campaigns import regions, spreadsheets, times
from campaigns.contacts.contact_hours import CALL_AFTER, CALL_BEFORE
from campaigns.contacts.variables import variable_names_of
from campaigns.models import Call, Campaign, ContactList
from campaigns.opt_out import every_opt_out_key
from results import dispositions, scores

# Variables the importer gave a meaning: worded headers instead of their stored names.
VARIABLE_HEADERS = {
    CALL_AFTER: _("call after (HH:MM)"),
    CALL_BEFORE: _("call before (HH:MM)"),
}
PERSON_NAME = pgettext_lazy("a person's name", "name")


def variable_header(name: str) -> str:
    return str(VARIABLE_HEADERS.get(name, name))


class ResultResource(resources.ModelResource):
    phone = Field(attribute="phone", column_name=_("number"))
    name = Field(attribute="contact__name", column_name=PERSON_NAME)
    status = Field(column_name=_("final status"))
    attempts = Field(column_name=_("attempts"))
    last_call = Field(column_name=_("last call time"))
    duration = Field(column_name=_("call duration (s)"))
    dtmf = Field(attribute="dtmf", column_name=_("keys pressed"))
    answer_key = Field(attribute="answer_key", column_name=_("answer key"))
    answer_label = Field(attribute="answer_label", column_name=_("answer"))
    score = Field(column_name=_("score"))
    disposition = Field(column_name=_("AAPOR disposition"))
    variant = Field(attribute="variant", column_name=_("script variant"))
    # Derived from the number (campaigns.regions, cached by prefix): no copy stored per contact.
    province = Field(column_name=_("callee's province"))
    city = Field(column_name=_("callee's city"))
    carrier = Field(column_name=_("callee's carrier"))

    class Meta:
        model = Call
        fields = ("phone", "name", "status", "attempts", "last_call", "duration", "dtmf", "answer_key")
        fields += ("answer_label", "score", "disposition", "variant", "province", "city", "carrier")
        export_order = fields

    def __init__(self, campaign: Campaign, variable_names: list[str] | None = None) -> None:
        super().__init__()
        self.campaign = campaign
        self.opt_out_keys = every_opt_out_key(campaign.menu_snapshot or campaign.menu.snapshot())
        self.scale = scores.scale_of(campaign.menu_options)
        self.variable_names = variable_names or []
        fields = dict(self.fields)
        fields["last_call"] = Field(
            column_name=_("last call time (%(zone)s, UTC%(offset)s)")
            % {"zone": campaign.timezone, "offset": times.zone_offset(campaign.zone)}
        )
        ordered = {"phone": fields["phone"], "name": fields["name"]}
        for name in self.variable_names:
            ordered[f"var_{name}"] = Field(column_name=variable_header(name))
        rest = [name for name in self._meta.fields[2:] if name != "score" or self.scale]
        self.fields = ordered | {name: fields[name] for name in rest}

    def get_export_order(self) -> tuple[str, ...]:
        return tuple(self.fields)

    def dehydrate_status(self, call: Call) -> str:
        return str(call.get_status_display())

    def dehydrate_disposition(self, call: Call) -> str:
        disposition = dispositions.disposition_of(call, self.opt_out_keys)
        return f"{disposition.code} {disposition.name}"

    def dehydrate_province(self, call: Call) -> str:
        return regions.region_of(call.phone).province

    def dehydrate_city(self, call: Call) -> str:
        return regions.region_of(call.phone).city

    def dehydrate_carrier(self, call: Call) -> str:
        return regions.region_of(call.phone).carrier

    def dehydrate_attempts(self, call: Call) -> int:
        return call.attempt

    def dehydrate_last_call(self, call: Call) -> dt.datetime | None:
        """An aware time in the campaign's zone (the writer turns it into a date cell)."""
        when = call.ended_at or call.answered_at or call.sent_at
        return timezone.localtime(when, self.campaign.zone).replace(microsecond=0) if when else None

    def dehydrate_duration(self, call: Call) -> int | None:
        return call.duration

    def dehydrate_score(self, call: Call) -> int | float | None:
        if call.status != Call.Status.ANSWERED or call.answer_key not in self.scale:
            return None
        value = self.scale[call.answer_key]
        return int(value) if value == int(value) else value

    def export_field(self, field: Field, instance: Call, **kwargs) -> object:
        name = self.get_field_name(field)
        if name.startswith("var_"):
            value = (instance.contact.variables or {}).get(name[4:], "")
            value = "" if value is None else str(value)
        else:
            value = super().export_field(field, instance, **kwargs)
        return value


def results_queryset(campaign: Campaign, contact_list_id: int | None = None) -> QuerySet[Call]:
    calls = Call.objects.filter(campaign=campaign, is_latest=True).select_related("contact").order_by("pk")
    if contact_list_id is not None:
        calls = calls.filter(contact__contact_list_id=contact_list_id)
    return calls


def make_resource(campaign: Campaign, contact_list_id: int | None = None) -> ResultResource:
    lists = ContactList.objects.filter(campaigns=campaign).order_by("pk")
    if contact_list_id is not None:
        lists = lists.filter(pk=contact_list_id)
    return ResultResource(campaign, variable_names_of(list(lists.values_list("pk", flat=True))))


def rows(campaign: Campaign, contact_list_id: int | None = None) -> Iterator[list]:
    """Header row, then one row per contact; lazily, a few thousand calls in memory at a time."""
    resource = make_resource(campaign, contact_list_id)
    yield resource.get_export_headers()
    for call in results_queryset(campaign, contact_list_id).iterator(chunk_size=2000):
        yield resource.export_resource(call)


def filename(campaign: Campaign, kind: str, ext: str, detail: str = "") -> str:
    """`结果-满意度回访-20261206-1554.xlsx`: what, the campaign's name (Chinese kept; no slash,
    quote or control character), what of it, when in its zone."""
    stamp = timezone.localtime(timezone.now(), campaign.zone).strftime("%Y%m%d-%H%M")
    parts = [slugify(str(kind), allow_unicode=True), slugify(campaign.name, allow_unicode=True) or str(campaign.pk)]
    parts += [slugify(detail, allow_unicode=True)] if detail else []
    return "-".join([*filter(None, parts), stamp]) + f".{ext}"


def _filename(campaign: Campaign, ext: str) -> str:
    return filename(campaign, _("results"), ext)


def _audited(campaign: Campaign, contact_list_id: int | None, actor: Actor) -> Iterator[list]:
    changes = {"list": [None, contact_list_id]} if contact_list_id else None
    return counted(rows(campaign, contact_list_id), actor, "download.results", campaign, changes=changes)


def csv_response(campaign: Campaign, actor: Actor, contact_list_id: int | None = None) -> StreamingHttpResponse:
    return spreadsheets.csv_response(_audited(campaign, contact_list_id, actor), _filename(campaign, "csv"))


def xlsx_response(campaign: Campaign, actor: Actor, contact_list_id: int | None = None) -> FileResponse:
    """Raises spreadsheets.TooWide when the lists carry more variables than a sheet has columns."""
    name, title = _filename(campaign, "xlsx"), str(_("Results"))
    return spreadsheets.xlsx_response(_audited(campaign, contact_list_id, actor), name, title)


__all__ = ["ResultResource", "csv_response", "filename", "rows", "variable_header", "xlsx_response"]
