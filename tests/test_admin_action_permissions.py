"""Bulk actions change things, so each one needs the permission for what it changes: a
view-only user is neither offered them nor able to run them by posting the form."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from campaigns.models import Campaign

pytestmark = pytest.mark.django_db


def every_action():
    """(model admin, action name, function) for every bulk action of every registered admin."""
    for model_admin in admin.site._registry.values():
        for action in model_admin.actions or ():
            function = getattr(model_admin, action) if isinstance(action, str) else action
            yield model_admin, getattr(function, "__name__", str(action)), function
    for name, function in admin.site.actions:
        yield None, name, function


def test_every_bulk_action_declares_a_permission():
    undeclared = [
        f"{type(model_admin).__name__}.{name}" for model_admin, name, function in every_action()
        if not getattr(function, "allowed_permissions", None)
    ]  # fmt: skip
    assert undeclared == []


@pytest.fixture
def viewer(django_user_model):
    user = django_user_model.objects.create_user("viewer", password="x" * 12, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_campaign"))
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(("action", "before"), [("pause_selected", "running"), ("resume_selected", "paused")])
def test_view_only_staff_cannot_pause_or_resume_in_bulk(viewer, running_campaign, action, before):
    Campaign.objects.filter(pk=running_campaign.pk).update(state=before)
    changelist = reverse("admin:campaigns_campaign_changelist")
    assert action not in viewer.get(changelist).content.decode()
    viewer.post(changelist, {"action": action, "_selected_action": [running_campaign.pk], "index": 0})
    running_campaign.refresh_from_db()
    assert running_campaign.state == before


def test_operator_with_change_permission_pauses_in_bulk(django_user_model, running_campaign):
    user = django_user_model.objects.create_user("operator", password="x" * 12, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_campaign", "change_campaign"]))
    client = Client()
    client.force_login(user)
    changelist = reverse("admin:campaigns_campaign_changelist")
    response = client.post(changelist, {"action": "pause_selected", "_selected_action": [running_campaign.pk]})
    assert response.status_code == 302
    running_campaign.refresh_from_db()
    assert running_campaign.state == Campaign.State.PAUSED
