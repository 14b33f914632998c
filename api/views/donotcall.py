"""Do-not-call: check, add, remove one number; bulk add and remove."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.auth import actor_of
from api.donotcall import normalise_all
from api.errors import error
from api.idempotency import idempotent
from api.serializers import PhonesSerializer
from api.views.lists import IDEMPOTENCY
from campaigns.actions.donotcall import do_add_to_do_not_call, do_remove_from_do_not_call
from campaigns.models import DoNotCall

CheckSerializer = inline_serializer(
    "DoNotCallCheck",
    {"phone": serializers.CharField(), "do_not_call": serializers.BooleanField(), "reason": serializers.CharField()},
)
BulkResultSerializer = inline_serializer(
    "DoNotCallBulkResult",
    {"added": serializers.IntegerField(), "removed": serializers.IntegerField(), "rejected": serializers.ListField()},
)


def _one(raw: str):
    phones, refused = normalise_all([raw])
    if refused:
        return None, error("invalid_number", refused[0]["reason"], refused)
    return phones[0], None


class DoNotCallNumberView(APIView):
    permissions_by_method = {
        "GET": ["campaigns.view_donotcall"],
        "PUT": ["campaigns.add_donotcall"],
        "DELETE": ["campaigns.delete_donotcall"],
    }

    @extend_schema(responses=CheckSerializer)
    def get(self, request, phone: str) -> Response:
        number, refusal = _one(phone)
        if refusal:
            return refusal
        entry = DoNotCall.objects.blocking().filter(phone=number).first()  # one past its expiry stops nothing
        reason = entry.reason_text if entry else ""
        return Response({"phone": number, "do_not_call": entry is not None, "reason": reason})

    @extend_schema(request=None, responses=CheckSerializer)
    def put(self, request, phone: str) -> Response:
        number, refusal = _one(phone)
        if refusal:
            return refusal
        reason = str(request.data.get("reason", "")) if isinstance(request.data, dict) else ""
        do_add_to_do_not_call(
            [number], reason or _("Added through the API."), actor=actor_of(request), source=DoNotCall.Source.API
        )
        return self.get(request, number)

    @extend_schema(request=None, responses=CheckSerializer)
    def delete(self, request, phone: str) -> Response:
        number, refusal = _one(phone)
        if refusal:
            return refusal
        do_remove_from_do_not_call([number], actor=actor_of(request))
        return self.get(request, number)


class DoNotCallBulkView(APIView):
    """Sync with another system's list: numbers to add and numbers to remove, in one request."""

    permissions_by_method = {"POST": ["campaigns.add_donotcall", "campaigns.delete_donotcall"]}

    @extend_schema(request=PhonesSerializer, responses=BulkResultSerializer, parameters=[IDEMPOTENCY])
    @idempotent
    def post(self, request) -> Response:
        serializer = PhonesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        add, refused_add = normalise_all(data.get("add", []))
        remove, refused_remove = normalise_all(data.get("remove", []))
        actor = actor_of(request)
        added = do_add_to_do_not_call(
            add, data.get("reason") or _("Added through the API."), actor=actor, source=DoNotCall.Source.API
        )
        removed = do_remove_from_do_not_call(remove, actor=actor)
        return Response({"added": added, "removed": removed, "rejected": refused_add + refused_remove})
