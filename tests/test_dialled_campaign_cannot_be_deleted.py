"""A campaign that began calling is the record of who was called: staff cancel it, they
cannot delete it (nor the contact lists it called). A draft, and its lists, can go."""

from __future__ import annotations

import pytest
from django.urls import reverse

from campaigns.models import Call, Campaign, ContactList

pytestmark = pytest.mark.django_db


def delete(client, model: str, pk: int):
    return client.post(reverse(f"admin:campaigns_{model}_delete", args=[pk]), {"post": "yes"})


def test_a_draft_campaign_can_be_deleted(staff_client, campaign):
    assert delete(staff_client, "campaign", campaign.pk).status_code == 302
    assert not Campaign.objects.filter(pk=campaign.pk).exists()


@pytest.mark.parametrize("state", ["running", "paused", "completed", "cancelled", "starting"])
def test_a_campaign_past_draft_cannot_be_deleted(staff_client, campaign, state):
    Campaign.objects.filter(pk=campaign.pk).update(state=state)
    assert delete(staff_client, "campaign", campaign.pk).status_code == 403
    assert Campaign.objects.filter(pk=campaign.pk).exists()
    page = staff_client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).content.decode()
    assert reverse("admin:campaigns_campaign_delete", args=[campaign.pk]) not in page


def test_a_draft_with_a_call_beyond_queued_cannot_be_deleted(staff_client, placed_calls):
    campaign = placed_calls[0].campaign
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.DRAFT)
    assert delete(staff_client, "campaign", campaign.pk).status_code == 403
    Call.objects.filter(campaign=campaign).update(status=Call.Status.QUEUED)
    assert not Campaign.objects.get(pk=campaign.pk).has_dialled


def test_bulk_delete_refuses_a_dialled_campaign(staff_client, running_campaign, contact_list, menu):
    draft = Campaign.objects.create(name="draft", menu=menu)
    response = staff_client.post(
        reverse("admin:campaigns_campaign_changelist"),
        {"action": "delete_selected", "_selected_action": [running_campaign.pk, draft.pk], "post": "yes"},
    )
    assert response.status_code == 403
    assert Campaign.objects.filter(pk=running_campaign.pk).exists()
    assert Campaign.objects.filter(pk=draft.pk).exists()


def test_a_contact_list_used_by_a_dialled_campaign_cannot_be_deleted(staff_client, running_campaign, contact_list):
    assert delete(staff_client, "contactlist", contact_list.pk).status_code == 403
    assert ContactList.objects.filter(pk=contact_list.pk).exists()


def test_a_contact_list_used_only_by_drafts_can_be_deleted(staff_client, campaign, contact_list):
    assert delete(staff_client, "contactlist", contact_list.pk).status_code == 302
    assert not ContactList.objects.filter(pk=contact_list.pk).exists()
