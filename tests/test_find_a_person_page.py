"""The admin's "Find a person": everything about a number on one page, the subject-access copy
as an audited download, and Erase with a reason; staff who may not see numbers are refused."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from campaigns.models import Contact
from campaigns.privacy import hashed_phone
from tests.results_fixtures import finished_campaign

pytestmark = pytest.mark.django_db
NUMBER = "13900000011"


@pytest.fixture
def manager(django_user_model, caller, menu) -> Client:
    finished_campaign(caller, menu)
    user = django_user_model.objects.create_user("manager", password="x" * 12, is_staff=True)
    user.groups.add(Group.objects.get(name="Campaign manager"))
    client = Client()
    client.force_login(user)
    return client


def test_find_download_and_erase(manager):
    url = reverse("admin-find-person")
    assert url in manager.get(reverse("admin:index")).content.decode()
    page = manager.get(url, {"number": "139 0000 0011"}).content.decode()
    assert "客户11" in page and "回访一期" in page and "erase-person" in page

    download = manager.get(url, {"number": NUMBER, "download": "1"})
    copy = json.loads(download.content)
    assert copy["number"] == NUMBER and copy["lists"][0]["name"] == "客户11"
    assert AuditEvent.objects.get(event="download.person").object_id == hashed_phone(NUMBER)

    assert manager.post(url, {"number": NUMBER, "reason": ""}).status_code == 302
    assert Contact.objects.filter(phone=NUMBER).exists()  # no reason, no erasure
    manager.post(url, {"number": NUMBER, "reason": "ticket 7"})
    assert not Contact.objects.filter(phone=NUMBER).exists()
    assert "Nothing is stored" in manager.get(url, {"number": NUMBER}).content.decode()
    erased = AuditEvent.objects.get(event="person.erased")
    assert (erased.actor_name, erased.reason) == ("manager", {"text": "ticket 7"})


def test_an_analyst_may_not_find_people(django_user_model, manager):
    user = django_user_model.objects.create_user("analyst", password="x" * 12, is_staff=True)
    user.groups.add(Group.objects.get(name="Analyst"))
    client = Client()
    client.force_login(user)
    assert client.get(reverse("admin-find-person"), {"number": NUMBER}).status_code == 403
    assert client.post(reverse("admin-find-person"), {"number": NUMBER, "reason": "x"}).status_code == 403
    assert Contact.objects.filter(phone=NUMBER).exists()
