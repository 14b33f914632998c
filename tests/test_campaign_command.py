"""`manage.py campaign ...`: the command-line contract from design.md."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from campaigns.models import Call, CallerNumber, Campaign

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("campaign", *args, stdout=out)
    return out.getvalue()


def test_create_prints_the_id_on_the_last_line(contact_list, menu):
    output = run(
        "create", "冬季回访", "--list", contact_list.name, "--caller", "02166668888", "--menu", menu.name,
        "--qps", "20", "--max-attempts", "2", "--retry-delay", "600", "--window", "09:30-18:00",
        "--timezone", "Asia/Urumqi",
    )  # fmt: skip

    campaign = Campaign.objects.get(pk=int(output.strip().splitlines()[-1]))
    assert campaign.name == "冬季回访"
    assert campaign.state == Campaign.State.DRAFT
    assert (campaign.max_qps, campaign.max_attempts, campaign.retry_delay_seconds) == (20, 2, 600)
    assert (str(campaign.daily_start), str(campaign.daily_end), campaign.timezone) == (
        "09:30:00",
        "18:00:00",
        "Asia/Urumqi",
    )
    assert list(campaign.contact_lists.all()) == [contact_list]
    assert CallerNumber.objects.filter(number="02166668888").exists()  # created because it was new


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--list", "nope"], "No contact list named 'nope'"),
        (["--window", "9-18"], "--window must look like"),
        (["--window", "25:00-26:00"], "--window"),
        (["--timezone", "Mars/Olympus"], "Unknown time zone"),
    ],
)
def test_create_refuses_bad_input_clearly(contact_list, menu, args, message):
    base = {"--list": contact_list.name, "--caller": "02166668888", "--menu": menu.name}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    flat = [item for pair in base.items() for item in pair]
    with pytest.raises(CommandError, match=message):
        run("create", "x", *flat)
    assert not Campaign.objects.exists()


def test_lifecycle_and_status_json(campaign):
    run("start", str(campaign.pk))
    Call.objects.filter(campaign=campaign, phone="13800130000").update(
        status=Call.Status.ANSWERED, answer_label="满意", answer_key="1"
    )
    Call.objects.filter(campaign=campaign, phone="13800130001").update(status=Call.Status.DNC)
    Call.objects.filter(campaign=campaign, phone="13800130002").update(status=Call.Status.UNKNOWN)
    run("pause", str(campaign.pk))

    status = json.loads(run("status", str(campaign.pk), "--json"))

    assert status["state"] == "paused"
    assert {k: status[k] for k in ("contacts", "answered", "unknown", "dnc", "pending", "failed")} == {
        "contacts": 5,
        "answered": 1,
        "unknown": 1,
        "dnc": 1,
        "pending": 2,
        "failed": 0,
    }
    assert status["answers"] == {"满意": 1}
    run("resume", str(campaign.pk))
    run("cancel", str(campaign.pk))
    assert json.loads(run("status", str(campaign.pk), "--json"))["state"] == "cancelled"


def test_wrong_transition_is_an_error(campaign):
    with pytest.raises(CommandError, match="draft"):
        run("pause", str(campaign.pk))
    with pytest.raises(CommandError, match="No campaign"):
        run("start", "999999")
