"""Issue 22's second "done when": after `person erase`, the number is in clear in no table (every
column of every table read back as text), the aggregates of past campaigns are unchanged, and a
later import of it is do-not-call. `person show` lists what is stored about it first."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from audit.models import AuditEvent
from campaigns.models import Call, Campaign, Contact, ContactList, DoNotCall, ImportJob
from campaigns.privacy import hashed_phone
from receipts.models import PendingPush, Receipt, RejectedPush
from results import aggregates, crosstab
from tests.personal_data import figures_of, tables_quoting
from tests.results_fixtures import finished_campaign

pytestmark = pytest.mark.django_db

NUMBER = "13900000002"  # retried, then answered "不满意" in the fixture campaign


@pytest.fixture
def stored(staff_client, caller, menu):
    """The number everywhere it can be: a contact with a name and variables, two calls, a receipt,
    a rejected and a waiting push, an import report, another contact's variable, the do-not-call
    list added through the admin (an audit event and Django's log name it), a cross-tab."""
    variables = {NUMBER: {"product": "宽带"}, "13900000003": {"product": "宽带", "referrer": NUMBER}}
    campaign = finished_campaign(caller, menu, variables=variables)
    call = campaign.calls.get(phone=NUMBER, is_latest=True)
    Receipt.objects.create(
        kind=Receipt.Kind.CALL_RECORD,
        raw={"call_id": "c2^1", "callee": NUMBER, "status_code": "200000"},
        dedupe_key="c2^1|200000|t",
        matched_call=call,
        call_id="c2^1",
        status_code="200000",
    )
    RejectedPush.objects.create(reason=RejectedPush.Reason.NOT_JSON, body=f'[{{"callee": "{NUMBER}"', size=20)
    PendingPush.objects.create(body=json.dumps([{"call_id": "zz^1", "callee": NUMBER}]))
    ImportJob.objects.create(
        contact_list=campaign.contact_lists.get(), rejected=[{"row": 9, "reason": f"{NUMBER}-1 has an extension"}]
    )
    add = reverse("admin:campaigns_donotcall_add")
    response = staff_client.post(add, {"phone": NUMBER, "typed_reason": "asked twice"})
    assert response.status_code == 302
    crosstab.refresh(campaign, "referrer")
    return campaign


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("person", *args, stdout=out)
    return out.getvalue()


def test_person_show_lists_what_is_stored(stored):
    shown = json.loads(run("show", NUMBER, "--json", "--actor", "dpo"))
    assert [c["list"] for c in shown["lists"]] == ["回访一期 名单"]
    assert [(c["campaign"], c["status"], c["answer"]) for c in shown["calls"]] == [
        ("回访一期", "no_answer", ""),
        ("回访一期", "answered", "不满意"),
    ]
    assert shown["do_not_call"]["reason"] == "asked twice"
    assert len(shown["receipts"]) == 1 and shown["audit_events"]
    assert AuditEvent.objects.filter(event="download.person", actor_name="dpo").count() == 1


def test_after_erasure_the_number_is_nowhere_and_figures_are_unchanged(stored, tmp_path):
    campaign = stored
    assert set(tables_quoting(NUMBER)) >= {
        "campaigns_contact",
        "campaigns_call",
        "campaigns_donotcall",
        "receipts_receipt",
        "receipts_rejectedpush",
        "receipts_pendingpush",
        "audit_auditevent",
        "campaigns_importjob",
        "receipts_crosstabsnapshot",
    }
    figures = figures_of(campaign)

    out = run("erase", NUMBER, "--reason", "request #42 by phone", "--actor", "dpo")

    assert "Erased" in out
    assert tables_quoting(NUMBER) == {}
    # The stored cube, and a recount from the calls, give the same figures.
    assert figures_of(campaign) == figures
    aggregates.refresh_snapshot(campaign)
    assert figures_of(campaign) == figures
    contact = Contact.objects.get(phone=hashed_phone(NUMBER))
    assert (contact.name, contact.variables, contact.do_not_call) == ("", {}, True)
    assert Receipt.objects.get(call_id="c2^1").raw == {}
    erased = AuditEvent.objects.get(event="person.erased")
    assert (erased.actor_name, erased.object_id, erased.reason) == (
        "dpo",
        hashed_phone(NUMBER),
        {"text": "request #42 by phone"},
    )

    # A later import of the number: do-not-call, and never dialled.
    path = tmp_path / "again.csv"
    path.write_text(f"手机号,姓名\n{NUMBER},又来了\n13900000099,新客户\n", encoding="utf-8")
    call_command("import_contacts", "再次导入", str(path), "--json", stdout=io.StringIO())
    again = ContactList.objects.get(name="再次导入")
    assert dict(again.contacts.values_list("phone", "do_not_call")) == {NUMBER: True, "13900000099": False}
    assert DoNotCall.objects.get(phone=hashed_phone(NUMBER)).reason == "erased on request"


def test_a_contact_added_by_hand_after_erasure_is_do_not_call(stored):
    run("erase", NUMBER, "--reason", "asked")
    contact = Contact.objects.create(contact_list=ContactList.objects.create(name="手工"), phone=NUMBER)
    assert contact.do_not_call


def test_erasure_enrols_the_number_as_do_not_call_in_a_new_campaign(stored, caller, menu):
    from campaigns.actions import campaigns as actions
    from tests.actors import OPERATOR

    run("erase", NUMBER, "--reason", "asked")
    new_list = ContactList.objects.create(name="新一轮")
    Contact.objects.create(contact_list=new_list, phone=NUMBER, variables={"product": "宽带"})
    campaign = Campaign.objects.create(name="新一轮调查", menu=menu)
    campaign.contact_lists.add(new_list)
    campaign.caller_numbers.add(caller)
    actions.do_start_campaign(campaign, actor=OPERATOR)
    assert Call.objects.get(campaign=campaign).status == Call.Status.DNC
