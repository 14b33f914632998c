"""Every operator action, through the admin and the command line, leaves exactly one audit event
naming who did it; downloads of personal data are events with their row counts."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from audit.models import AuditEvent
from campaigns.models import Call, Campaign, DoNotCall
from tests.results_fixtures import finished_campaign

pytestmark = pytest.mark.django_db


def transition(client, campaign, action):
    return client.post(reverse("admin:campaigns_campaign_transition", args=[campaign.pk, action]))


def events(code):
    return list(AuditEvent.objects.filter(event=code))


def test_each_campaign_action_in_the_admin_is_one_event_by_its_user(staff_client, campaign):
    for action in ("start", "pause", "resume", "cancel"):
        assert transition(staff_client, campaign, action).status_code == 302

    for code, before, after in [
        ("campaign.started", "draft", "starting"),
        ("campaign.paused", "running", "paused"),
        ("campaign.resumed", "paused", "running"),
        ("campaign.cancelled", "running", "cancelled"),
    ]:
        (event,) = events(code)
        assert (event.actor_name, event.actor_kind, event.ip) == ("staff", "user", "127.0.0.1")
        assert event.campaign_id == campaign.pk
        assert event.changes == {"state": [before, after]}
    cancelled = Call.objects.filter(campaign=campaign, status=Call.Status.CANCELLED).count()
    assert events("campaign.cancelled")[0].rows == cancelled == 5  # queued calls never made
    page = staff_client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).content.decode()
    assert "campaign paused · <strong>staff</strong>" in page
    assert "campaign started · <strong>staff</strong>" in page


def test_a_refused_action_records_nothing(staff_client, campaign):
    transition(staff_client, campaign, "pause")  # a draft cannot be paused
    assert not AuditEvent.objects.exists()


def test_each_campaign_command_is_one_event_by_its_actor(campaign, capsys):
    call_command("campaign", "start", str(campaign.pk), "--actor", "ops-li")
    call_command("campaign", "pause", str(campaign.pk), "--actor", "ops-li")
    call_command("campaign", "resume", str(campaign.pk))
    call_command("campaign", "cancel", str(campaign.pk), "--actor", "值班-王")

    started, paused, resumed, cancelled = (
        events(f"campaign.{what}")[0] for what in ("started", "paused", "resumed", "cancelled")
    )
    assert (started.actor_name, started.actor_kind) == ("ops-li", "cli")
    assert paused.reason == {"code": "paused.command_line", "params": {}}
    assert resumed.actor_name  # the operating-system user
    assert cancelled.actor_name == "值班-王"
    assert cancelled.rows == Call.objects.filter(campaign=campaign, status=Call.Status.CANCELLED).count() > 0


def test_creating_a_campaign_from_the_command_line_is_an_event(contact_list, caller, menu, capsys):
    call_command(
        "campaign", "create", "回访", "--list", contact_list.name, "--caller", caller.number, "--menu", menu.name,
        "--actor", "ops-li",
    )  # fmt: skip
    campaign = Campaign.objects.get(name="回访")
    (created,) = events("campaign.created")
    assert (created.actor_name, created.campaign_id, created.object_repr) == ("ops-li", campaign.pk, "回访")


def test_an_operators_decision_on_unknown_calls_is_an_event(staff_client, placed_calls):
    unknown = placed_calls[:2]
    Call.objects.filter(pk__in=[c.pk for c in unknown]).update(status=Call.Status.UNKNOWN)
    response = staff_client.post(
        reverse("admin:campaigns_call_changelist"),
        {"action": "fail_unknown", "_selected_action": [c.pk for c in placed_calls]},
    )
    assert response.status_code == 302
    (event,) = events("calls.settled_by_operator")
    assert event.rows == 2
    assert event.changes == {"status": ["unknown", "failed"]}
    assert event.actor_name == "staff"


def test_a_results_download_records_its_rows(staff_client, placed_calls):
    campaign = placed_calls[0].campaign
    response = staff_client.get(reverse("results:export", args=[campaign.pk, "csv"]))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    (event,) = events("download.results")
    assert event.rows == len(body.strip().splitlines()) - 1 == len(placed_calls)
    assert (event.actor_name, event.campaign_id) == ("staff", campaign.pk)


def test_a_list_download_records_its_rows(staff_client, contact_list):
    url = reverse("admin:campaigns_contactlist_export", args=[contact_list.pk, "xlsx"])
    assert staff_client.get(url).status_code == 200
    (event,) = events("download.list")
    assert event.rows == contact_list.contacts.count()


def test_do_not_call_edits_in_the_admin_are_events(staff_client):
    staff_client.post(reverse("admin:campaigns_donotcall_add"), {"phone": "13800138000", "typed_reason": "asked"})
    entry = DoNotCall.objects.get()
    staff_client.post(reverse("admin:campaigns_donotcall_delete", args=[entry.pk]), {"post": "yes"})

    added, deleted = events("object.added")[0], events("object.deleted")[0]
    assert added.object_type == deleted.object_type == "campaigns.donotcall"
    assert added.changes["phone"] == [None, "13800138000"]
    assert added.actor_name == deleted.actor_name == "staff"


def test_an_account_secret_never_reaches_the_trail(staff_client):
    staff_client.post(
        reverse("admin:campaigns_voiceaccount_add"),
        {"name": "杭州", "access_key_id": "LTAIexample12345", "secret": "s3cr3t-value", "qps": 50,
         "endpoint": "https://dyvmsapi.aliyuncs.com/"},
    )  # fmt: skip
    (added,) = events("object.added")
    assert "s3cr3t-value" not in str(added.changes)
    assert added.changes["secret"] == [None, "••••••"]


def test_the_trail_is_read_only_in_the_admin_and_exports_as_csv(staff_client, campaign):
    call_command("campaign", "start", str(campaign.pk), "--actor", "ops-li")
    event = AuditEvent.objects.get()
    change = staff_client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert change.status_code == 200 and "ops-li" in change.content.decode()
    assert 'name="actor_name"' not in change.content.decode()
    assert staff_client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    assert (
        staff_client.post(reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    )

    export = staff_client.get(reverse("admin:audit_auditevent_export") + "?actor_kind__exact=cli")
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "ops-li" in text and "campaign.started" in text
    (download,) = events("download.audit")
    assert download.rows == 1


def test_a_followup_from_the_admin_and_from_the_command_line_is_an_event(staff_client, caller, menu):
    done = finished_campaign(caller, menu)
    staff_client.post(
        f"/admin/campaigns/campaign/{done.pk}/followup/",
        {"name": "后台回访", "segments": ["answer:不满意"], "menu": menu.pk, "caller_numbers": [caller.pk],
         "max_attempts": 1, "retry_delay_seconds": 600},
    )  # fmt: skip
    call_command("campaign", "followup", str(done.pk), "--name", "命令回访", "--status", "busy", "--actor", "ops-li")

    by_admin, by_cli = sorted(events("followup.created"), key=lambda e: e.object_repr)
    assert (by_admin.object_repr, by_admin.actor_name, by_admin.actor_kind) == ("后台回访", "staff", "user")
    assert (by_cli.object_repr, by_cli.actor_name, by_cli.actor_kind) == ("命令回访", "ops-li", "cli")
    assert by_admin.changes["followup_of"] == [None, done.pk]
    assert by_admin.rows == Campaign.objects.get(name="后台回访").followup_build.total


def test_account_and_import_commands_are_events(contact_list, tmp_path, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cr3t-value\n"))
    call_command(
        "account", "add", "杭州", "--access-key-id", "LTAIexample12345", "--actor", "ops-li", stdout=io.StringIO()
    )
    csv = tmp_path / "名单.csv"
    csv.write_text("phone,name\n13800138001,张三\nbad,李四\n", encoding="utf-8")
    call_command("import_contacts", contact_list.name, str(csv), "--actor", "ops-li", stdout=io.StringIO())

    (account,) = events("account.added")
    assert account.actor_name == "ops-li" and "s3cr3t-value" not in str(account.changes)
    assert account.changes["access_key_id"][1] != "LTAIexample12345"  # masked
    (imported,) = events("contacts.imported")
    assert imported.changes["file"] == [None, "名单.csv"]
    assert imported.changes["rejected"] == [None, 1] and imported.rows == 1
