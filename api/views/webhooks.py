"""Webhook endpoints: list and add (the signing secret is shown in the answer that creates one)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.auth import actor_of
from api.serializers import WebhookEndpointSerializer
from audit.record import record
from webhooks.models import WebhookEndpoint


class WebhookEndpointsView(APIView):
    permissions_by_method = {"GET": ["webhooks.view_webhookendpoint"], "POST": ["webhooks.add_webhookendpoint"]}

    @extend_schema(responses=WebhookEndpointSerializer(many=True))
    def get(self, request) -> Response:
        data = WebhookEndpointSerializer(WebhookEndpoint.objects.all(), many=True).data
        for endpoint in data:
            endpoint.pop("secret")
        return Response(data)

    @extend_schema(request=WebhookEndpointSerializer, responses={201: WebhookEndpointSerializer})
    def post(self, request) -> Response:
        serializer = WebhookEndpointSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = serializer.save(owner=request.user)
        record(actor_of(request), "webhook.added", endpoint)
        return Response(WebhookEndpointSerializer(endpoint).data, status=status.HTTP_201_CREATED)
