"""Contact lists: create, list, get; upsert contacts in batches."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from api.auth import actor_of
from api.idempotency import idempotent
from api.serializers import ContactListSerializer, UpsertResultSerializer, UpsertSerializer
from api.upsert import upsert_contacts
from campaigns.models import ContactList

IDEMPOTENCY = OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)


class ContactListsView(APIView):
    permissions_by_method = {"GET": ["campaigns.view_contactlist"], "POST": ["campaigns.add_contactlist"]}

    @extend_schema(responses=ContactListSerializer(many=True))
    def get(self, request) -> Response:
        lists = ContactList.objects.annotate(contact_count=Count("contacts")).order_by("pk")
        return Response(ContactListSerializer(lists, many=True).data)

    @extend_schema(request=ContactListSerializer, responses={201: ContactListSerializer}, parameters=[IDEMPOTENCY])
    @idempotent
    def post(self, request) -> Response:
        serializer = ContactListSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        contact_list = serializer.save()
        contact_list.contact_count = 0
        return Response(ContactListSerializer(contact_list).data, status=status.HTTP_201_CREATED)


class ContactListView(APIView):
    permissions_by_method = {"GET": ["campaigns.view_contactlist"]}

    @extend_schema(responses=ContactListSerializer)
    def get(self, request, pk: int) -> Response:
        contact_list = get_object_or_404(ContactList.objects.annotate(contact_count=Count("contacts")), pk=pk)
        return Response(ContactListSerializer(contact_list).data)


class UpsertContactsView(APIView):
    """Up to 10,000 contacts per request, keyed by phone or external id: the file import's rules."""

    permissions_by_method = {"POST": ["campaigns.add_contact", "campaigns.change_contact"]}

    @extend_schema(request=UpsertSerializer, responses=UpsertResultSerializer, parameters=[IDEMPOTENCY])
    @idempotent
    def post(self, request, pk: int) -> Response:
        contact_list = get_object_or_404(ContactList, pk=pk)
        items = request.data.get("contacts") if isinstance(request.data, dict) else None
        # The batch's shape here; each item's in `upsert_contacts`, refused one by one with a reason.
        if not isinstance(items, list) or not items:
            raise ValidationError({"contacts": [_("A non-empty list of contacts.")]})
        if len(items) > settings.API_UPSERT_MAX_ITEMS:
            message = _("At most %(max)d contacts per request.") % {"max": settings.API_UPSERT_MAX_ITEMS}
            raise ValidationError({"contacts": [message]})
        result = upsert_contacts(contact_list, items, actor=actor_of(request))
        return Response(result.as_dict())
