"""Contact lists: create, list, get; upsert contacts in batches."""

from __future__ import annotations

from django.db.models import Count
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
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
        serializer = UpsertSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = upsert_contacts(contact_list, serializer.validated_data["contacts"], actor=actor_of(request))
        return Response(result.as_dict())
