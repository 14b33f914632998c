"""Campaigns: create, start / pause / resume / cancel, status with the forecast, follow-ups.
Every change goes through the actions layer (`campaigns.actions`), audited as the token's user."""

from __future__ import annotations

from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.auth import actor_of
from api.idempotency import idempotent
from api.serializers import CampaignSerializer, FollowupSerializer
from api.views.lists import IDEMPOTENCY
from audit.record import record
from campaigns import reasons
from campaigns.actions import campaigns as actions
from campaigns.followups import create_followup
from campaigns.models import CallerNumber, Campaign
from campaigns.segments import from_options
from results.status import status_report

StatusSerializer = inline_serializer(
    "CampaignStatus",
    {
        "id": serializers.IntegerField(),
        "name": serializers.CharField(),
        "state": serializers.CharField(),
        "contacts": serializers.IntegerField(),
        "dialled": serializers.IntegerField(),
        "answered": serializers.IntegerField(),
        "unknown": serializers.IntegerField(),
        "failed": serializers.IntegerField(),
        "dnc": serializers.IntegerField(),
        "pending": serializers.IntegerField(),
        "answers": serializers.DictField(child=serializers.IntegerField()),
        "forecast": serializers.DictField(),
        "consent": serializers.DictField(
            child=serializers.IntegerField(),
            allow_null=True,
            help_text="Marketing only (else null): distinct numbers with recorded consent (`with`, called) and "
            "without (`without`, skipped).",
        ),
    },
)


def status_of(campaign: Campaign) -> dict:
    figures, _forecast = status_report(campaign)
    figures["as_of"] = figures["as_of"].isoformat() if figures.get("as_of") else None
    return figures


class CampaignsView(APIView):
    permissions_by_method = {"GET": ["campaigns.view_campaign"], "POST": ["campaigns.add_campaign"]}

    @extend_schema(responses=CampaignSerializer(many=True))
    def get(self, request) -> Response:
        campaigns = Campaign.objects.prefetch_related("contact_lists").select_related("menu").order_by("pk")
        return Response(CampaignSerializer(campaigns, many=True).data)

    @extend_schema(request=CampaignSerializer, responses={201: CampaignSerializer}, parameters=[IDEMPOTENCY])
    @idempotent
    def post(self, request) -> Response:
        serializer = CampaignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        lists, numbers, account = data.pop("contact_lists"), data.pop("caller_numbers"), data.pop("account", None)
        campaign = Campaign(**data)
        campaign.full_clean(exclude=["menu_snapshot"])
        with transaction.atomic():
            campaign.save()
            campaign.contact_lists.set(lists)
            campaign.caller_numbers.set(
                [CallerNumber.objects.get_or_create(number=n, defaults={"account": account})[0] for n in numbers]
            )
            record(actor_of(request), "campaign.created", campaign)
        return Response(CampaignSerializer(campaign).data, status=status.HTTP_201_CREATED)


class CampaignView(APIView):
    permissions_by_method = {"GET": ["campaigns.view_campaign"]}

    @extend_schema(responses=StatusSerializer)
    def get(self, request, pk: int) -> Response:
        return Response(status_of(get_object_or_404(Campaign, pk=pk)))


def _start(campaign: Campaign, actor) -> None:
    actions.do_start_campaign(campaign, actor=actor, enrol_in_background=True)


def _pause(campaign: Campaign, actor) -> None:
    actions.do_pause_campaign(campaign, actor=actor, reason=reasons.typed("Paused through the API."))


ACTIONS = {
    "start": _start,
    "pause": _pause,
    "resume": lambda campaign, actor: actions.do_resume_campaign(campaign, actor=actor),
    "cancel": lambda campaign, actor: actions.do_cancel_campaign(campaign, actor=actor),
}


class CampaignActionView(APIView):
    """POST …/start/, …/pause/, …/resume/, …/cancel/: 200 with the new status, 409 when the
    campaign's state refuses it (the message says which states it needs)."""

    permissions_by_method = {"POST": ["campaigns.change_campaign"]}
    action_name = ""

    @extend_schema(request=None, responses=StatusSerializer)
    def post(self, request, pk: int) -> Response:
        campaign = get_object_or_404(Campaign, pk=pk)
        ACTIONS[self.action_name](campaign, actor_of(request))
        campaign.refresh_from_db()  # a start enrols in the background, which may have finished
        return Response(status_of(campaign))


class FollowupView(APIView):
    permissions_by_method = {"POST": ["campaigns.add_campaign", "campaigns.view_call"]}

    @extend_schema(request=FollowupSerializer, responses={201: CampaignSerializer}, parameters=[IDEMPOTENCY])
    @idempotent
    def post(self, request, pk: int) -> Response:
        source = get_object_or_404(Campaign, pk=pk)
        serializer = FollowupSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        segments = from_options(data.get("answers"), data.get("statuses"))
        followup = create_followup(
            source, data["name"], segments, list_name=data.get("list_name", ""), actor=actor_of(request)
        )
        return Response(CampaignSerializer(followup).data, status=status.HTTP_201_CREATED)
