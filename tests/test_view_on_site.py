"""The admin's "view on site" redirect (/admin/r/<content type>/<id>/) answers 404, not 500,
for a model without a table (django-rq's dashboard), like for any object without a URL."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django_rq.models import Dashboard

from campaigns.models import ImportJob

pytestmark = pytest.mark.django_db


def test_a_model_without_a_table_is_not_found(staff_client):
    content_type = ContentType.objects.get_for_model(Dashboard)
    response = staff_client.get(reverse("admin:view_on_site", args=[content_type.pk, 1]))
    assert response.status_code == 404


def test_no_content_type_gives_a_server_error(staff_client, contact_list):
    ImportJob.objects.create(contact_list=contact_list, original_name="a.csv")
    answers = {
        content_type.model: staff_client.get(reverse("admin:view_on_site", args=[content_type.pk, 1])).status_code
        for content_type in ContentType.objects.all()
    }
    assert {model: code for model, code in answers.items() if code not in (302, 404)} == {}


def test_it_needs_a_staff_login(client):
    content_type = ContentType.objects.get_for_model(Dashboard)
    assert client.get(reverse("admin:view_on_site", args=[content_type.pk, 1])).status_code == 302
