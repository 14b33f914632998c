"""The chain across follow-ups: each contact of the chain's first campaign with, per campaign of
the chain, the outcome of its latest call (`results.chain_exports.chain_calls`, the logic of the
chain download), cursor-paginated in the order of the first campaign's calls.

Numbers are masked, in variables too, for a user without `campaigns.see_full_phone_numbers` (or
without `view_contact`, who also gets no names or variables), as on the pages."""

from __future__ import annotations

import base64

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import sees_contacts
from api.serializers import ContactFieldsSerializer
from campaigns.followups import chain
from campaigns.models import Campaign
from campaigns.privacy import mask_phone, may_see_numbers, shown_data
from results.chain_exports import chain_calls

PAGE = 1000


class ChainCampaignSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    followup_of = serializers.IntegerField(allow_null=True)


class ChainOutcomeSerializer(serializers.Serializer):
    campaign_id = serializers.IntegerField()
    status = serializers.CharField(allow_null=True, help_text="null: that campaign did not call the contact.")
    answer_label = serializers.CharField(allow_null=True)


class ChainRowSerializer(ContactFieldsSerializer):
    outcomes = ChainOutcomeSerializer(many=True)


class ChainPageSerializer(serializers.Serializer):
    campaigns = ChainCampaignSerializer(many=True)
    results = ChainRowSerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True)


def _cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(f"chain|{pk}".encode()).decode()


def _read_cursor(value: str) -> int:
    try:
        kind, _sep, pk = base64.urlsafe_b64decode(value.encode()).decode().partition("|")
        if kind != "chain":
            raise ValueError(kind)
        return int(pk)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError({"cursor": [_("Not a cursor this API gave.")]}) from None


class ChainView(APIView):
    permissions_by_method = {"GET": ["campaigns.view_campaign", "campaigns.view_call"]}

    @extend_schema(
        parameters=[
            OpenApiParameter("cursor", str, description="`next_cursor` of the previous page."),
            OpenApiParameter("limit", int, description=f"At most {PAGE}."),
        ],
        responses=ChainPageSerializer,
    )
    def get(self, request, pk: int) -> Response:
        members = chain(get_object_or_404(Campaign, pk=pk))
        params = request.query_params
        try:
            limit = max(1, min(PAGE, int(params.get("limit", PAGE))))
        except ValueError:
            raise ValidationError({"limit": [_("A whole number.")]}) from None
        calls = chain_calls(members)
        if params.get("cursor"):
            calls = calls.filter(pk__gt=_read_cursor(params["cursor"]))
        annotations = [f"{kind}_{member.pk}" for member in members[1:] for kind in ("status", "label")]
        rows = list(
            calls.order_by("pk").values(
                "pk", "contact_id", "contact__external_id", "phone", "contact__name", "contact__variables",
                "contact__contact_list_id", "status", "answer_label", *annotations,
            )[: limit + 1]
        )  # fmt: skip
        contacts, numbers = sees_contacts(request.user), may_see_numbers(request.user)
        results = [
            {
                "contact_id": r["contact_id"],
                "external_id": r["contact__external_id"],
                "phone": r["phone"] if contacts and numbers else mask_phone(r["phone"]),
                "name": r["contact__name"] if contacts else None,
                "variables": shown_data(request.user, r["contact__variables"]) if contacts else None,
                "contact_list_id": r["contact__contact_list_id"],
                "outcomes": [{"campaign_id": members[0].pk, "status": r["status"], "answer_label": r["answer_label"]}]
                + [
                    {
                        "campaign_id": member.pk,
                        "status": r[f"status_{member.pk}"],
                        "answer_label": r[f"label_{member.pk}"],
                    }
                    for member in members[1:]
                ],
            }
            for r in rows[:limit]
        ]
        more = len(rows) > limit
        return Response(
            {
                "campaigns": [{"id": m.pk, "name": m.name, "followup_of": m.followup_of_id} for m in members],
                "results": results,
                "next_cursor": _cursor(rows[limit - 1]["pk"]) if more else None,
            }
        )
