"""Callee context in results (issue 26): the callee's province, city and carrier, derived from the
number (no copy stored per contact), as columns of the per-contact export and as cross-tab
dimensions on the dashboard."""

from __future__ import annotations

import csv
import io

import pytest

from campaigns.models import Contact
from results import crosstab
from tests.results_fixtures import OUTCOMES, finished_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def done(caller, menu):
    return finished_campaign(caller, menu)


def test_export_has_the_callees_province_city_and_carrier(staff_client, done):
    body = b"".join(staff_client.get(f"/receipts/campaigns/{done.pk}/export/csv/").streaming_content)
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))

    assert len(rows) == len(OUTCOMES)
    assert {(r["callee's province"], r["callee's city"], r["callee's carrier"]) for r in rows} == {
        ("新疆", "乌鲁木齐市", "中国移动")
    }
    assert not any("province" in (c.variables or {}) for c in Contact.objects.all())  # derived, not stored


def test_crosstab_by_the_callees_province(staff_client, done):
    Contact.objects.filter(phone="13900000001").update(phone="13000060001")  # a Nanjing number
    done.calls.filter(phone="13900000001").update(phone="13000060001")

    page = staff_client.get(f"/receipts/campaigns/{done.pk}/dashboard/").content.decode()
    assert '<option value="@province">callee&#x27;s province</option>' in page
    chart = staff_client.get(f"/receipts/campaigns/{done.pk}/dashboard/data/", {"by": "@province"}).json()
    table = chart["charts"]["crosstab"]["table"]

    assert table["columns"][0] == "callee's province"
    contacts = {row[0]: row[1] for row in table["rows"]}
    assert contacts["江苏省"] == 1 and contacts["新疆"] == len(OUTCOMES) - 1


def test_crosstab_by_carrier_and_city_needs_no_variable(done):
    table = crosstab.compute_table(done, "@carrier")
    assert [value for value, _counts in table["values"]] == ["中国移动"]
    assert crosstab.has_variable(done, "@city") and not crosstab.has_variable(done, "@street")
