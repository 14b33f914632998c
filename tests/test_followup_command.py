"""`manage.py campaign followup`: the command-line contract from design.md "Later additions"."""

import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from campaigns.models import Campaign, Contact, DoNotCall
from tests.results_fixtures import finished_campaign

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("campaign", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def done(caller, menu):
    return finished_campaign(caller, menu)


def test_followup_by_answer_prints_the_new_id_and_status_reports_its_contacts(done):
    output = run("followup", str(done.pk), "--name", "不满意回访", "--answer", "不满意", "一般")

    followup = Campaign.objects.get(pk=int(output.strip().splitlines()[-1]))
    assert followup.name == "不满意回访"
    assert followup.state == Campaign.State.DRAFT
    status = json.loads(run("status", str(followup.pk), "--json"))
    assert status["state"] == "draft"
    assert status["contacts"] == 3
    assert status["followup_of"] == {"id": done.pk, "segments": ["answer:不满意", "answer:一般"], "copy": "done"}
    assert json.loads(run("status", str(done.pk), "--json"))["followups"] == [followup.pk]


def test_followup_by_status_with_menu_and_list_name(done, menu):
    DoNotCall.objects.create(phone="13900000006")
    output = run(
        "followup", str(done.pk), "--name", "未接通", "--status", "no_answer", "busy", "no_key",
        "--menu", menu.name, "--list-name", "未接通名单",
    )  # fmt: skip

    followup = Campaign.objects.get(pk=int(output.strip().splitlines()[-1]))
    (contact_list,) = followup.contact_lists.all()
    assert contact_list.name == "未接通名单"
    assert sorted(Contact.objects.filter(contact_list=contact_list).values_list("phone", flat=True)) == [
        "13900000004",
        "13900000005",
    ]  # the busy number is on the do-not-call list


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--status", "dialled"], "Unknown status"),
        (["--answer", "非常满意"], "No answer labelled '非常满意'"),
        (["--status", "invalid", "--menu", "nope"], "No menu template named 'nope'"),
        (["--status", "invalid", "--list-name", "回访一期 名单"], "already exists"),
    ],
)
def test_bad_input_is_one_clear_error_and_creates_nothing(done, args, message):
    before = Campaign.objects.count()
    with pytest.raises(CommandError, match=message):
        run("followup", str(done.pk), "--name", "x", *args)
    assert Campaign.objects.count() == before


def test_unknown_campaign_and_usage_errors_exit_with_status_1():
    env = {**os.environ, "DATABASE_URL": _test_database_url()}
    cases = [
        (["1", "--name", "x"], "one of the arguments --answer --status is required"),
        (["1", "--name", "x", "--answer", "a", "--status", "busy"], "not allowed with argument"),
    ]
    if "memory" not in str(settings.DATABASES["default"]["NAME"]):  # a subprocess sees the test database
        cases.append((["999999", "--name", "x", "--status", "busy"], "No campaign with id 999999"))
    for args, message in cases:
        result = subprocess.run(
            [sys.executable, "manage.py", "campaign", "followup", *args],
            capture_output=True, text=True, env=env, cwd=settings.BASE_DIR, timeout=60,
        )  # fmt: skip
        assert result.returncode == 1, result.stderr
        assert message in result.stderr
        assert result.stdout == ""


def _test_database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
