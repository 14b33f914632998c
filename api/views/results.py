"""Results: each contact's latest settled call, cursor-paginated in the order calls settled
(filter by `updated_since`, `segment`, `list`), and the dashboard's aggregates.

Numbers, names and variables are contact data: a token whose user lacks `view_contact` gets the
numbers masked and no names or variables; one without `campaigns.see_full_phone_numbers` (an
Analyst) gets the numbers masked, in variables too, like the pages it may see."""

from __future__ import annotations

import base64
import datetime as dt

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import sees_contacts
from api.serializers import ResultPageSerializer
from campaigns.models import Call, Campaign
from campaigns.privacy import may_see_numbers, shown_data
from campaigns.segments import parse_all
from ivrsite.logging import mask_phones
from results.aggregates import dashboard_data

PAGE = 1000


def _cursor(settled_at: dt.datetime, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{settled_at.isoformat()}|{pk}".encode()).decode()


def _read_cursor(value: str) -> tuple[dt.datetime, int]:
    try:
        when, _sep, pk = base64.urlsafe_b64decode(value.encode()).decode().partition("|")
        parsed = parse_datetime(when)
        if parsed is None:
            raise ValueError(when)
        return parsed, int(pk)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError({"cursor": [_("Not a cursor this API gave.")]}) from None


def _datetime(value: str, name: str) -> dt.datetime:
    parsed = parse_datetime(value)
    if parsed is None or parsed.tzinfo is None:
        raise ValidationError({name: [_("Give a date and time with its offset, e.g. 2026-01-31T09:00:00+08:00.")]})
    return parsed


class ResultsView(APIView):
    permissions_by_method = {"GET": ["campaigns.view_campaign", "campaigns.view_call"]}

    @extend_schema(
        parameters=[
            OpenApiParameter("updated_since", str, description="ISO 8601 with offset: calls settled at or after it."),
            OpenApiParameter("segment", str, many=True, description="`answer:LABEL` or `status:NAME`, repeatable."),
            OpenApiParameter("list", int, description="Only contacts of this contact list."),
            OpenApiParameter("cursor", str, description="`next_cursor` of the previous page."),
            OpenApiParameter("limit", int, description=f"At most {PAGE}."),
        ],
        responses=ResultPageSerializer,
    )
    def get(self, request, pk: int) -> Response:
        campaign = get_object_or_404(Campaign, pk=pk)
        params = request.query_params
        calls = Call.objects.filter(campaign=campaign, is_latest=True, settled_at__isnull=False)
        if params.get("updated_since"):
            calls = calls.filter(settled_at__gte=_datetime(params["updated_since"], "updated_since"))
        if params.getlist("segment"):
            try:
                segments = parse_all(params.getlist("segment"))
            except Exception as exc:
                raise ValidationError({"segment": getattr(exc, "messages", [str(exc)])}) from None
            condition = Q()
            for segment in segments:
                condition |= segment.q()
            calls = calls.filter(condition)
        if params.get("list"):
            calls = calls.filter(contact__contact_list_id=params["list"])
        if params.get("cursor"):
            after, after_pk = _read_cursor(params["cursor"])
            calls = calls.filter(Q(settled_at__gt=after) | Q(settled_at=after, pk__gt=after_pk))
        try:
            limit = max(1, min(PAGE, int(params.get("limit", PAGE))))
        except ValueError:
            raise ValidationError({"limit": [_("A whole number.")]}) from None
        rows = list(
            calls.order_by("settled_at", "pk").values(
                "pk", "contact_id", "contact__external_id", "phone", "contact__name", "contact__variables",
                "contact__contact_list_id", "attempt", "status", "answer_key", "answer_label", "duration", "settled_at",
            )[: limit + 1]
        )  # fmt: skip
        contacts, numbers = sees_contacts(request.user), may_see_numbers(request.user)
        results = [
            {
                "contact_id": r["contact_id"],
                "external_id": r["contact__external_id"],
                "phone": r["phone"] if contacts and numbers else mask_phones(r["phone"]),
                "name": r["contact__name"] if contacts else None,
                "variables": shown_data(request.user, r["contact__variables"]) if contacts else None,
                "contact_list_id": r["contact__contact_list_id"],
                "attempt": r["attempt"],
                "status": r["status"],
                "answer_key": r["answer_key"],
                "answer_label": r["answer_label"],
                "duration": r["duration"],
                "settled_at": r["settled_at"].isoformat(),
            }
            for r in rows[:limit]
        ]
        more = len(rows) > limit
        last = rows[limit - 1] if more else None
        return Response({"results": results, "next_cursor": _cursor(last["settled_at"], last["pk"]) if last else None})


class AggregatesView(APIView):
    """The dashboard's figures (counts and percentages: nobody named), `view_campaign` only."""

    permissions_by_method = {"GET": ["campaigns.view_campaign"]}

    @extend_schema(
        parameters=[OpenApiParameter("list", int, description="Only contacts of this contact list.")],
        responses=dict,
    )
    def get(self, request, pk: int) -> Response:
        campaign = get_object_or_404(Campaign, pk=pk)
        list_id = request.query_params.get("list")
        return Response(dashboard_data(campaign, int(list_id) if list_id and list_id.isdigit() else None))
