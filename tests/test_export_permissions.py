"""Exports hold phone numbers, names and answers: a user refused the contact or call pages
downloads none of them (the rule is in campaigns/permissions.py), and is not offered the link."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def staff_with(django_user_model, *codenames: str) -> Client:
    user = django_user_model.objects.create_user("-".join(codenames) or "nobody", password="x" * 12, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="campaigns", codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


def body(response) -> str:
    return (b"".join(response.streaming_content) if response.streaming else response.content).decode("utf-8", "replace")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(
    "codenames",
    [("view_campaign",), ("view_campaign", "view_contact"), ("view_campaign", "view_call")],
)
def test_results_export_needs_contact_and_call_permissions(django_user_model, running_campaign, codenames, fmt):
    client = staff_with(django_user_model, *codenames)
    response = client.get(reverse("results:export", args=[running_campaign.pk, fmt]))
    assert response.status_code == 403
    assert "13800130000" not in body(response)
    dashboard = client.get(reverse("results:dashboard", args=[running_campaign.pk]))
    assert dashboard.status_code == 200  # counts name nobody
    assert reverse("results:export", args=[running_campaign.pk, fmt]) not in dashboard.content.decode()
    change = client.get(reverse("admin:campaigns_campaign_change", args=[running_campaign.pk]))
    assert reverse("results:export", args=[running_campaign.pk, fmt]) not in change.content.decode()


def test_results_export_with_every_permission_it_needs(django_user_model, placed_calls, running_campaign):
    client = staff_with(django_user_model, "view_campaign", "view_contact", "view_call", "see_full_phone_numbers")
    url = reverse("results:export", args=[running_campaign.pk, "csv"])
    assert url in client.get(reverse("results:dashboard", args=[running_campaign.pk])).content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert "13800130000" in body(response)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_list_export_needs_the_contact_permission(django_user_model, contact_list, fmt):
    client = staff_with(django_user_model, "view_contactlist")
    url = reverse("admin:campaigns_contactlist_export", args=[contact_list.pk, fmt])
    response = client.get(url)
    assert response.status_code == 403
    assert "13800130000" not in body(response)
    change = client.get(reverse("admin:campaigns_contactlist_change", args=[contact_list.pk]))
    assert change.status_code == 200 and url not in change.content.decode()


def test_list_export_with_the_contact_permission(django_user_model, contact_list):
    client = staff_with(django_user_model, "view_contactlist", "view_contact", "see_full_phone_numbers")
    url = reverse("admin:campaigns_contactlist_export", args=[contact_list.pk, "csv"])
    assert url in client.get(reverse("admin:campaigns_contactlist_change", args=[contact_list.pk])).content.decode()
    response = client.get(url)
    assert response.status_code == 200 and "13800130000" in body(response)


def test_rejected_rows_quote_the_file_so_they_need_the_contact_permission(django_user_model, contact_list):
    from campaigns.models import ImportJob

    job = ImportJob.objects.create(
        contact_list=contact_list,
        original_name="a.csv",
        status="done",
        rejected_count=1,
        rejected=[{"row": 2, "reason": "extensions cannot be dialled: 0571-8888-7777-123"}],
    )
    pages = [
        reverse("admin:campaigns_contactlist_change", args=[contact_list.pk]),
        reverse("admin:campaigns_importjob_change", args=[job.pk]),
    ]
    refused = staff_with(django_user_model, "view_contactlist", "view_importjob")
    for url in pages:
        response = refused.get(url)
        assert response.status_code == 200 and "8888-7777" not in response.content.decode(), url
    allowed = staff_with(
        django_user_model, "view_contactlist", "view_importjob", "view_contact", "see_full_phone_numbers"
    )
    for url in pages:
        assert "8888-7777" in allowed.get(url).content.decode(), url


def test_the_contact_and_call_permissions_without_seeing_numbers_download_nothing(django_user_model, placed_calls):
    """Issue 22: a per-person export is the numbers in full, so it needs "See full phone numbers" too."""
    client = staff_with(django_user_model, "view_campaign", "view_contact", "view_call", "view_contactlist")
    campaign = placed_calls[0].campaign
    for url in [
        reverse("results:export", args=[campaign.pk, "csv"]),
        reverse("admin:campaigns_contactlist_export", args=[campaign.contact_lists.get().pk, "csv"]),
    ]:
        response = client.get(url)
        assert response.status_code == 403
        assert "See full phone numbers" in body(response) and "13800130000" not in body(response)
