"""Exports of personal data beyond the campaign's results: one segment's contacts, and a
contact's answers across a follow-up chain (one row per contact, one column per campaign).

Written through `campaigns.spreadsheets` like every export (cells neutralised there).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from audit.actors import Actor
from audit.downloads import counted
from campaigns import spreadsheets
from campaigns.followups import chain
from campaigns.models import Call, Campaign
from campaigns.segments import Segment, segment_calls
from results import exports


def segment_rows(campaign: Campaign, segments: list[Segment]) -> Iterator[list]:
    """Header, then the result row (as in the results export) of every contact in the segments."""
    resource = exports.make_resource(campaign)
    yield resource.get_export_headers()
    calls = segment_calls(campaign, segments).select_related("contact").order_by("pk")
    for call in calls.iterator(chunk_size=2000):
        yield resource.export_resource(call)


def chain_rows(campaign: Campaign) -> Iterator[list]:
    """Every contact of the chain's first campaign; per campaign, the answer (or outcome) of its latest call."""
    members = chain(campaign)
    root = members[0]
    variable_names = exports.make_resource(root).variable_names
    statuses = dict(Call.Status.choices)
    header = [_("number"), str(exports.PERSON_NAME), *map(exports.variable_header, variable_names)]
    header += [f"{member.name} (#{member.pk})" for member in members]
    yield header
    calls = chain_calls(members).select_related("contact").order_by("pk")
    for call in calls.iterator(chunk_size=2000):
        variables = call.contact.variables or {}
        row = [call.phone, call.contact.name]
        row += ["" if variables.get(name) is None else str(variables.get(name)) for name in variable_names]
        row.append(_cell(call.status, call.answer_label, statuses))
        for member in members[1:]:
            row.append(_cell(getattr(call, f"status_{member.pk}"), getattr(call, f"label_{member.pk}"), statuses))
        yield row


def chain_calls(members: list[Campaign]) -> QuerySet[Call]:
    """The latest call of each contact of the chain's first campaign, annotated per follow-up
    with its latest call to the same number: `status_<id>` and `label_<id>` (None: not called)."""
    calls = Call.objects.filter(campaign=members[0], is_latest=True)
    for member in members[1:]:
        latest = Call.objects.filter(campaign=member, is_latest=True, phone=OuterRef("phone"))
        calls = calls.annotate(
            **{
                f"status_{member.pk}": Subquery(latest.values("status")[:1]),
                f"label_{member.pk}": Subquery(latest.values("answer_label")[:1]),
            }
        )
    return calls


def _cell(status: str | None, label: str | None, statuses: dict) -> str:
    if status is None:
        return ""  # not called by that campaign
    if status == Call.Status.ANSWERED and label:
        return label
    return str(statuses.get(status, status))


KINDS = {"segment": _lazy("segment"), "chain": _lazy("follow-up chain")}


def filename(campaign: Campaign, kind: str, ext: str) -> str:
    return exports.filename(campaign, str(KINDS.get(kind, kind)), ext)


def response(rows: Iterable[list], campaign: Campaign, kind: str, fmt: str, actor: Actor) -> HttpResponse:
    """CSV or XLSX through `campaigns.spreadsheets` (cells neutralised there), recorded as a download
    of `kind` ("segment", "chain"); raises TooWide, Http404."""
    name = filename(campaign, kind, fmt)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    rows = counted(rows, actor, f"download.{kind}", campaign)
    if fmt == "csv":
        return spreadsheets.csv_response(rows, name)
    return spreadsheets.xlsx_response(rows, name, str(_("Results")))
