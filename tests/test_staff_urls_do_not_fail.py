"""Odd query strings and paths on staff URLs are a 404 or a 400, never a 500."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "x"))
    return client


def urls(campaign) -> list[str]:
    dashboard = reverse("results:dashboard", args=[campaign.pk])
    return [
        dashboard + "?list=%C2%B2",
        reverse("results:dashboard-data", args=[campaign.pk]) + "?list=%C2%B2",
        reverse("results:export", args=[campaign.pk, "csv"]) + "?list=%C2%B2",
        reverse("admin:campaigns_campaign_progress") + "?ids=%C2%B2",
        "/admin/campaigns/campaign/abc/change/",
        dashboard + "?segment=answer:%00",
        reverse("results:dashboard-data", args=[campaign.pk]) + "?segment=answer:%00",
        reverse("results:segment-action", args=[campaign.pk]) + "?format=a/b",
        reverse("results:segment-action", args=[campaign.pk]) + "?segment=answer:%00",
        reverse("results:segment-export", args=[campaign.pk, "csv"]) + "?segment=answer:%00",
        reverse("results:segment-export", args=[campaign.pk, "csv"]) + "?segment=status:%00",
        reverse("admin:campaigns_campaign_followup", args=[campaign.pk]) + "?segment=answer:%00",
    ]


def test_no_odd_parameter_makes_a_500(superuser_client, running_campaign):
    contact = running_campaign.contact_lists.first().contacts.first()
    running_campaign.calls.create(contact=contact, phone=contact.phone, status="answered", answer_label="满意")
    superuser_client.raise_request_exception = False
    failures = {}
    for url in urls(running_campaign):
        response = superuser_client.get(url)
        try:
            if response.streaming:
                b"".join(response.streaming_content)  # a streamed export fails while it is read
        except Exception as exc:  # any error here is the 500 a browser would get
            failures[url] = repr(exc)
        if response.status_code >= 500:
            failures[url] = response.status_code
    assert failures == {}
