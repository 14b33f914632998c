"""The job queues (django-rq's pages) stay usable for superusers."""

import pytest

pytestmark = pytest.mark.django_db


def test_superuser_sees_the_job_queues(staff_client):
    assert staff_client.get("/admin/rq/").status_code == 200
    assert staff_client.get("/admin/django_rq/dashboard/").status_code == 200
