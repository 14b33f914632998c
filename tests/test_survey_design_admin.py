"""Quotas, sample release and script variants are set in the admin, each change audited, and
the campaign's own form posts as before."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from campaigns.models import Quota, SampleRelease, ScriptVariant

pytestmark = pytest.mark.django_db


def test_staff_set_a_quota_a_sample_release_and_a_variant(staff_client, campaign, menu):
    added = [
        ("campaigns_quota", {"campaign": campaign.pk, "variable": "city", "value": "杭州", "target": 300}),
        ("campaigns_samplerelease", {"campaign": campaign.pk, "percent": 10}),
        ("campaigns_scriptvariant", {"campaign": campaign.pk, "name": "A", "menu": menu.pk, "weight": 1}),
    ]
    for model, data in added:
        response = staff_client.post(reverse(f"admin:{model}_add"), data)
        assert response.status_code == 302, response.content.decode()[:1000]

    assert Quota.objects.get(campaign=campaign).target == 300
    assert SampleRelease.objects.get(campaign=campaign).percent == 10
    assert ScriptVariant.objects.get(campaign=campaign).menu == menu
    assert AuditEvent.objects.filter(event="object.added").count() == 3


def test_a_sample_release_of_more_than_all_is_refused(staff_client, campaign):
    response = staff_client.post(
        reverse("admin:campaigns_samplerelease_add"), {"campaign": campaign.pk, "percent": 150}
    )
    assert response.status_code == 200 and not SampleRelease.objects.exists()
