"""Why a number is on the do-not-call list is stored as a reason (code + params) and worded
in the reader's language; text stored before migration 0012 stays readable as it was."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from campaigns.models import Call, Campaign, DoNotCall
from campaigns.opt_out import opt_out
from tests.test_i18n import compile_catalogue

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogue():
    compile_catalogue()


def changelist(client, language: str) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.get(reverse("admin:campaigns_donotcall_changelist")).content.decode()


def test_an_opt_out_is_stored_as_a_code_and_worded_for_each_reader(staff_client, placed_calls, menu):
    call = placed_calls[0]
    Call.objects.filter(pk=call.pk).update(dtmf="9")
    menu_snapshot = {**menu.snapshot(), "options": [{"key": "9", "label": "退订", "action": "opt_out"}]}
    Campaign.objects.filter(pk=call.campaign_id).update(menu_snapshot=menu_snapshot)
    opt_out([Call.objects.select_related("campaign").get(pk=call.pk)], dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC))

    entry = DoNotCall.objects.get(phone=call.phone)
    assert entry.reason == {
        "code": "dnc.opted_out",
        "params": {"key": "9", "campaign": "Q4 survey", "date": {"at": "2026-11-02T02:00:00+00:00"}},
    }  # the moment, worded in the reader's zone (TIME_ZONE) when shown
    assert "Pressed 9 to opt out in “Q4 survey” on 2026-11-02 10:00" in changelist(staff_client, "en")
    assert "于 2026-11-02 10:00 在“Q4 survey”中按 9 退订" in changelist(staff_client, "zh-hans")


def test_a_number_blocked_after_complaints_reads_in_chinese(staff_client, db):
    DoNotCall.objects.create(phone="13800138000", reason={"code": "dnc.blocked", "params": {}})
    assert "因投诉被拦截" in changelist(staff_client, "zh-hans")


def test_staff_adding_a_number_type_its_reason_and_its_queued_calls_stop(staff_client, placed_calls):
    call = placed_calls[1]
    Call.objects.filter(pk=call.pk).update(status=Call.Status.QUEUED, out_id=None)
    response = staff_client.post(
        reverse("admin:campaigns_donotcall_add"), {"phone": "+86 " + call.phone, "typed_reason": "客户来电要求"}
    )
    assert response.status_code == 302
    assert DoNotCall.objects.get(phone=call.phone).reason == {"text": "客户来电要求"}
    assert Call.objects.get(pk=call.pk).status == Call.Status.DNC
    assert "客户来电要求" in changelist(staff_client, "zh-hans")


@pytest.mark.django_db(transaction=True)  # migrates the schema back and forth
def test_text_stored_before_0012_is_shown_as_it_was(staff_client):
    before = [("campaigns", "0011_followup_error_reason")]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    old = MigrationExecutor(connection).loader.project_state(before).apps
    old.get_model("campaigns", "DoNotCall").objects.create(phone="13800138001", reason="Blocked after complaints")
    old.get_model("campaigns", "DoNotCall").objects.create(phone="13800138002", reason="")
    try:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)
        assert DoNotCall.objects.get(phone="13800138001").reason == {"text": "Blocked after complaints"}
        assert DoNotCall.objects.get(phone="13800138002").reason == {}
        assert "Blocked after complaints" in changelist(staff_client, "zh-hans")
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)
