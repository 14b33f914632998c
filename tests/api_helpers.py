"""Calling the REST API as a token's user, as a program would (Authorization: Bearer …)."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from api.models import ApiToken


def user_with(django_user_model, username: str, *codenames: str):
    """A staff user holding exactly these permissions (`app.codename`)."""
    user = django_user_model.objects.create_user(username, password="correct horse battery", is_staff=True)
    for name in codenames:
        app, codename = name.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app, codename=codename))
    return user


def client_for(user, **headers) -> tuple[APIClient, ApiToken]:
    token, value = ApiToken.issue(user, "tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {value}", **headers)
    return client, token
