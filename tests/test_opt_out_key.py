"""The opt-out key: pressing it puts the number on the do-not-call list at once (reason and
campaign kept), every call to it not yet made in any campaign becomes `dnc`, and the answer
still counts under its label."""

import datetime as dt
import io
import json

import pytest

from campaigns.actions import campaigns as actions
from campaigns.dialling import dispatch
from campaigns.models import OPT_OUT, Call, Campaign, Contact, DoNotCall, MenuOption
from results.aggregates import progress
from tests.actors import OPERATOR
from tests.dialling import RecordingClient
from tests.receipt_elements import key_press, record

pytestmark = pytest.mark.django_db
S = Call.Status


@pytest.fixture
def opt_out_menu(menu):
    MenuOption.objects.create(template=menu, key="9", label="退订", code="TTS_200009", position=9, opt_out=True)
    return menu


@pytest.fixture
def two_running(campaign, opt_out_menu, caller):
    """The first campaign has dialled everyone; the second, on the same list, has not yet."""
    other = Campaign.objects.create(name="第二轮", menu=opt_out_menu, daily_start=dt.time(0), daily_end=dt.time(0))
    other.contact_lists.add(*campaign.contact_lists.all())
    other.caller_numbers.add(caller)
    actions.do_start_campaign(campaign, actor=OPERATOR)
    actions.do_start_campaign(other, actor=OPERATOR)
    dispatch.dial_campaign(campaign.pk, max_seconds=5, client=RecordingClient())
    assert campaign.calls.filter(status=S.PLACED).count() == 5
    assert other.calls.filter(status=S.QUEUED).count() == 5
    return campaign, other


def receipt_for(call: Call, element: dict) -> dict:
    return element | {"call_id": call.call_id, "out_id": call.out_id}


def test_key_press_opts_out_at_once_and_cancels_the_other_campaigns_call(two_running, post_receipts, redis_conn):
    first, second = two_running
    call = first.calls.order_by("phone").first()

    assert post_receipts([receipt_for(call, key_press(0, "9"))]).status_code == 200

    entry = DoNotCall.objects.get(phone=call.phone)
    assert entry.campaign == first
    assert "Pressed 9 to opt out in “Q4 survey”" in entry.reason_text
    assert list(Contact.objects.filter(phone=call.phone).values_list("do_not_call", flat=True)) == [True]
    elsewhere = second.calls.get(phone=call.phone)
    assert (elsewhere.status, elsewhere.sent_at) == (S.DNC, None)
    assert second.calls.filter(status=S.QUEUED).count() == 4  # nobody else's call changed
    call.refresh_from_db()
    assert (call.status, call.answer_label) == (S.ANSWERED, "退订")

    # The call record comes later; the answer counts, the second campaign never dials the number.
    post_receipts([receipt_for(call, record(0, dtmf="9"))])
    assert progress(first, fresh=True)["answers"] == {"退订": 1}
    client = RecordingClient()
    dispatch.dial_campaign(second.pk, max_seconds=5, client=client)
    assert call.phone not in client.dialled()
    assert progress(second, fresh=True)["dnc"] == 1


def test_a_replayed_key_press_changes_nothing(two_running, post_receipts, redis_conn):
    first, _second = two_running
    call = first.calls.order_by("phone").first()
    element = receipt_for(call, key_press(0, "9"))
    post_receipts([element])
    before = DoNotCall.objects.get(phone=call.phone)

    post_receipts([element])

    assert DoNotCall.objects.get(phone=call.phone) == before
    assert DoNotCall.objects.count() == 1


def test_other_keys_opt_nobody_out(two_running, post_receipts, redis_conn):
    first, second = two_running
    call = first.calls.order_by("phone").first()
    post_receipts([receipt_for(call, record(0, dtmf="1"))])
    assert not DoNotCall.objects.exists()
    assert second.calls.get(phone=call.phone).status == S.QUEUED


def test_menu_json_action_and_snapshot(tmp_path):
    from django.core.management import call_command

    menu = {
        "name": "退订演示",
        "start_code": "TTS_1",
        "options": [{"key": "1", "label": "满意"}, {"key": "9", "label": "退订", "action": "opt_out"}],
    }
    path = tmp_path / "menu.json"
    path.write_text(json.dumps(menu, ensure_ascii=False), encoding="utf-8")
    call_command("menu", "load", str(path), stdout=io.StringIO())

    loaded = MenuOption.objects.get(template__name="退订演示", key="9")
    assert loaded.opt_out is True
    snapshot = loaded.template.snapshot()
    assert [o.get("action") for o in snapshot["options"]] == [None, OPT_OUT]


def test_menu_json_refuses_an_unknown_action(tmp_path):
    from django.core.management import CommandError, call_command

    menu = {"name": "坏", "start_code": "TTS_1", "options": [{"key": "9", "label": "退订", "action": "unsubscribe"}]}
    path = tmp_path / "menu.json"
    path.write_text(json.dumps(menu, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CommandError, match="unknown action “unsubscribe”"):
        call_command("menu", "load", str(path), stdout=io.StringIO(), stderr=io.StringIO())


def test_admin_checkbox(staff_client, menu):
    data = {
        "name": menu.name,
        "start_code": menu.start_code,
        "start_tts_params": menu.start_tts_params,
        "play_times": "2",
        "timeout_ms": "5000",
        "bye_code": menu.bye_code,
        "bye_tts_params": menu.bye_tts_params,
        "options-TOTAL_FORMS": "4",
        "options-INITIAL_FORMS": "3",
    }
    for n, option in enumerate(menu.options.order_by("position")):
        data |= {
            f"options-{n}-id": option.pk,
            f"options-{n}-template": menu.pk,
            f"options-{n}-position": option.position,
            f"options-{n}-key": option.key,
            f"options-{n}-label": option.label,
            f"options-{n}-code": option.code,
        }
    data |= {"options-3-template": menu.pk, "options-3-position": "9", "options-3-key": "9"}
    data |= {"options-3-label": "退订", "options-3-code": "TTS_9", "options-3-opt_out": "on"}

    response = staff_client.post(f"/admin/campaigns/menutemplate/{menu.pk}/change/", data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert MenuOption.objects.get(template=menu, key="9").opt_out is True
    assert not MenuOption.objects.get(template=menu, key="1").opt_out
