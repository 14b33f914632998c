"""A dial job's threads share the work: every contact dialled once, none twice, none left."""

import pytest
from django.db import connection

from campaigns.actions import campaigns as actions
from campaigns.dialling import dispatch
from campaigns.models import Call, Contact
from tests.actors import OPERATOR
from tests.dialling import RecordingClient

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need their own PostgreSQL connections")
def test_threads_of_one_job_never_dial_a_number_twice(campaign, contact_list, caller, redis_conn):
    Contact.objects.bulk_create(
        Contact(contact_list=contact_list, phone=f"1390000{n:04d}", variables={"product": "x"}) for n in range(150)
    )
    caller.max_concurrent_calls = 10_000
    caller.save()
    actions.do_start_campaign(campaign, actor=OPERATOR)
    client = RecordingClient()

    report = dispatch.dial_campaign(campaign.pk, max_seconds=60, client=client, threads=4)

    dialled = client.dialled()
    assert len(dialled) == len(set(dialled)) == 155
    assert report["sent"] == 155
    assert campaign.calls.filter(status=Call.Status.PLACED).count() == 155
