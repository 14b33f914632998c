"""Webhook endpoints: list, add, show, change, delete, and a new signing secret. The secret is
in the answer that creates an endpoint and in the one that rotates it, never anywhere else.
Every change goes through `webhooks.actions`, audited as the token's user."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.auth import actor_of
from api.serializers import (
    WebhookEndpointChangeSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointShownSerializer,
)
from webhooks import actions
from webhooks.models import WebhookEndpoint


class WebhookEndpointsView(APIView):
    permissions_by_method = {"GET": ["webhooks.view_webhookendpoint"], "POST": ["webhooks.add_webhookendpoint"]}

    @extend_schema(responses=WebhookEndpointShownSerializer(many=True))
    def get(self, request) -> Response:
        return Response(WebhookEndpointShownSerializer(WebhookEndpoint.objects.all(), many=True).data)

    @extend_schema(request=WebhookEndpointSerializer, responses={201: WebhookEndpointSerializer})
    def post(self, request) -> Response:
        serializer = WebhookEndpointSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = actions.do_add_endpoint(actor=actor_of(request), owner=request.user, **serializer.validated_data)
        return Response(WebhookEndpointSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class WebhookEndpointView(APIView):
    permissions_by_method = {
        "GET": ["webhooks.view_webhookendpoint"],
        "PATCH": ["webhooks.change_webhookendpoint"],
        "DELETE": ["webhooks.delete_webhookendpoint"],
    }

    @extend_schema(responses=WebhookEndpointShownSerializer)
    def get(self, request, pk: int) -> Response:
        return Response(WebhookEndpointShownSerializer(get_object_or_404(WebhookEndpoint, pk=pk)).data)

    @extend_schema(request=WebhookEndpointChangeSerializer, responses=WebhookEndpointShownSerializer)
    def patch(self, request, pk: int) -> Response:
        endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
        serializer = WebhookEndpointChangeSerializer(endpoint, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        endpoint = actions.do_change_endpoint(endpoint, actor=actor_of(request), **serializer.validated_data)
        return Response(WebhookEndpointShownSerializer(endpoint).data)

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int) -> Response:
        actions.do_delete_endpoint(get_object_or_404(WebhookEndpoint, pk=pk), actor=actor_of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class RotateSecretView(APIView):
    """POST …/rotate-secret/: a new `whsec_…` secret, shown in this answer only."""

    permissions_by_method = {"POST": ["webhooks.change_webhookendpoint"]}

    @extend_schema(request=None, responses=WebhookEndpointSerializer)
    def post(self, request, pk: int) -> Response:
        endpoint = actions.do_rotate_secret(get_object_or_404(WebhookEndpoint, pk=pk), actor=actor_of(request))
        return Response(WebhookEndpointSerializer(endpoint).data)
