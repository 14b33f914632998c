"""The do-not-call list has one writer (`campaigns.do_not_call`): opt-outs, blocked numbers,
staff, the API and erasure all put numbers on it or take them off through it. (The admin's
form and the file import save single entries as Django's admin and django-import-export do.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from campaigns.actions.donotcall import do_add_to_do_not_call, do_remove_from_do_not_call
from campaigns.models import Call, Contact, DoNotCall
from tests.actors import OPERATOR

ROOT = Path(__file__).resolve().parent.parent
WRITER = Path("campaigns/do_not_call.py")
WRITES = re.compile(
    r"DoNotCall\.objects\.(?:create|bulk_create|get_or_create|update_or_create)\("
    r"|DoNotCall\.objects\.filter\([^\n]*\)\.(?:expired\([^)]*\)\.)?(?:delete|update)\("
)


def test_no_module_but_the_writer_writes_do_not_call_rows():
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("campaigns", "receipts", "results", "api", "surveys", "webhooks", "ivrsite")
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
        and path.relative_to(ROOT) != WRITER
        and WRITES.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


@pytest.fixture
def queued_call(running_campaign) -> Call:
    contact = Contact.objects.filter(contact_list__campaigns=running_campaign).first()
    return Call.objects.create(campaign=running_campaign, contact=contact, phone=contact.phone)


def test_staff_add_and_remove_numbers_stop_calls_and_leave_an_audit_event(queued_call):
    from audit.models import AuditEvent

    assert do_add_to_do_not_call([queued_call.phone, queued_call.phone], "投诉", actor=OPERATOR) == 1
    assert do_add_to_do_not_call([queued_call.phone], "again", actor=OPERATOR) == 0  # already on it
    queued_call.refresh_from_db()
    assert queued_call.status == Call.Status.DNC
    entry = DoNotCall.objects.get(phone=queued_call.phone)
    assert entry.source == DoNotCall.Source.STAFF and entry.reason_text == "投诉"
    assert do_remove_from_do_not_call([queued_call.phone], actor=OPERATOR) == 1
    assert not DoNotCall.objects.filter(phone=queued_call.phone).exists()
    events = list(
        AuditEvent.objects.filter(event__startswith="donotcall.")
        .order_by("pk")
        .values_list("event", "actor_name", "rows")
    )
    assert [(e, r) for e, _who, r in events] == [("donotcall.added", 1), ("donotcall.removed", 1)]
    assert {who for _e, who, _r in events} == {OPERATOR.name}
