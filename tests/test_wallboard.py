"""The wallboard: one live page for every running (and paused) campaign — rate against its bound,
answered, opt-outs, unknown calls, caller numbers at or near their concurrency, what is paused and
why — drawn from a small JSON endpoint it polls; campaign viewers only; no phone numbers."""

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns import reasons
from campaigns.models import Call, CallerNumber, Campaign, DoNotCall

pytestmark = pytest.mark.django_db
S = Call.Status


@pytest.fixture
def board(running_campaign, contact_list, menu, caller, redis_conn):
    caller.max_concurrent_calls = 3
    caller.label = "杭州一号"
    caller.save()
    contacts = list(contact_list.contacts.order_by("phone"))
    now = timezone.now()
    Call.objects.bulk_create(
        [
            Call(campaign=running_campaign, contact=contacts[0], phone=contacts[0].phone, status=S.ANSWERED,
                 sent_at=now, answer_key="1", answer_label="满意", dtmf="1", caller_number=caller),
            Call(campaign=running_campaign, contact=contacts[1], phone=contacts[1].phone, status=S.PLACED,
                 sent_at=now, caller_number=caller),
            Call(campaign=running_campaign, contact=contacts[2], phone=contacts[2].phone, status=S.SENDING,
                 sent_at=now, caller_number=caller),
            Call(campaign=running_campaign, contact=contacts[3], phone=contacts[3].phone, status=S.UNKNOWN,
                 sent_at=now, caller_number=caller),
            Call(campaign=running_campaign, contact=contacts[4], phone=contacts[4].phone, status=S.QUEUED),
        ]
    )  # fmt: skip
    opted = reasons.reason("dnc.opted_out", key="9", campaign=running_campaign.name, date="2026-12-06")
    DoNotCall.objects.create(phone=contacts[0].phone, campaign=running_campaign, reason=opted)
    paused = Campaign.objects.create(
        name="暂停的回访",
        menu=menu,
        state=Campaign.State.PAUSED,
        menu_snapshot=menu.snapshot(),
        state_reason=reasons.reason("paused.command_line"),
    )
    paused.caller_numbers.add(CallerNumber.objects.create(number="13800000009", max_concurrent_calls=3))
    Campaign.objects.create(name="草稿", menu=menu)  # drafts are not on the board
    return running_campaign


def test_the_json_has_every_running_and_paused_campaign(staff_client, board):
    data = staff_client.get(reverse("results:wallboard-data")).json()
    rows = {row["name"]: row for row in data["campaigns"]}
    assert set(rows) == {board.name, "暂停的回访"}
    running = rows[board.name]
    assert (running["answered"], running["unknown"], running["opt_outs"], running["state"]) == (1, 1, 1, "running")
    assert running["bound"] > 0 and running["binds"] and running["rate"] is not None
    assert rows["暂停的回访"]["paused_because"] == "Paused from the command line."
    numbers = {row["name"]: row for row in data["caller_numbers"]}
    hangzhou = numbers["杭州一号"]
    assert (hangzhou["in_flight"], hangzhou["concurrency"], hangzhou["at_cap"]) == (3, 3, True)
    assert numbers["138****0009"]["in_flight"] == 0  # no label: masked
    body = str(data)
    assert "13800130000" not in body and "13800000009" not in body  # no phone numbers


def test_the_page_shows_the_board_in_chinese(staff_client, board):
    page = staff_client.get(reverse("results:wallboard"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "看板" in page and board.name in page and "暂停的回访" in page and "已通过命令行暂停。" in page
    assert reverse("results:wallboard-data") in page and "wallboard.js" in page
    assert "13800130000" not in page
    changelist = staff_client.get(reverse("admin:campaigns_campaign_changelist")).content.decode()
    assert reverse("results:wallboard") in changelist


def test_campaign_viewers_only(client, staff_with, board):
    for url in (reverse("results:wallboard"), reverse("results:wallboard-data")):
        assert client.get(url).status_code == 302  # not logged in: to the login page
    client = staff_with("view_contactlist")
    for url in (reverse("results:wallboard"), reverse("results:wallboard-data")):
        assert client.get(url).status_code == 403
    client = staff_with("view_campaign")
    assert client.get(reverse("results:wallboard-data")).status_code == 200


def test_a_caller_number_whose_answers_dropped_is_flagged_on_the_board(staff_client, board, caller):
    import datetime as dt

    from django.utils import timezone

    from campaigns import reasons
    from campaigns.actions.callers import do_flag_caller_number
    from tests.actors import OPERATOR

    why = reasons.reason(
        "caller_number.answer_rate_dropped",
        rate="2%",
        calls=120,
        baseline="31%",
        basis=reasons.reason("caller_number.basis_own"),
    )
    do_flag_caller_number(caller, why, actor=OPERATOR, rest_until=timezone.now() + dt.timedelta(hours=1))
    data = staff_client.get(reverse("results:wallboard-data")).json()
    hangzhou = {row["name"]: row for row in data["caller_numbers"]}["杭州一号"]
    assert (
        hangzhou["health"].startswith("Resting until ")
        and "Answer rate 2% over its last 120 calls" in hangzhou["health"]
    )
    assert "Resting until" in staff_client.get(reverse("results:wallboard")).content.decode()
