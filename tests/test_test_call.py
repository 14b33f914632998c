"""A test call: "Call me" on a menu or a campaign page dials the one number the staff member
types, with the menu and a sample contact's variables, outside the campaign's counts, through
the caller number's account client and the shared pacer; refused for a do-not-call number or
one the callee frequency guard holds back; its receipt (routed by OutId) shows on its page;
it needs its own permission and is audited with the acting user."""

import threading

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from campaigns.dialling import aliyun
from campaigns.models import Call, DoNotCall, TestCall

pytestmark = pytest.mark.django_db


class FakeClient:
    """Stands in for the account's VoiceClient at the outermost edge: records what would be sent."""

    def __init__(self):
        self.requests: list[aliyun.IvrCallRequest] = []
        self.lock = threading.Lock()

    def prepare_ivr_call(self, request):
        return request

    def send(self, request):
        assert TestCall.objects.get(out_id=request.out_id).status == "sending"  # OutId stored first
        with self.lock:
            self.requests.append(request)
        return aliyun.CallResult(aliyun.Outcome.PLACED, "116012354148^10281378", "OK", "OK", "req-1")


@pytest.fixture
def fake(monkeypatch, redis_conn):
    client = FakeClient()
    accounts_used = []

    def client_for(account_id):
        accounts_used.append(account_id)
        return client

    monkeypatch.setattr("campaigns.accounts.client_for", client_for)
    client.accounts = accounts_used
    return client


def place(client, phone="13912345678", **where):
    url = reverse("admin:campaigns_testcall_place")
    return client.post(url, {"phone": phone, **{k: v.pk for k, v in where.items()}}, follow=True)


def test_call_me_from_a_campaign_dials_one_number_and_shows_its_receipt(
    staff_client, staff_user, campaign, fake, post_receipts
):
    page = staff_client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).content.decode()
    place_url = reverse("admin:campaigns_testcall_place")
    assert f"{place_url}?campaign={campaign.pk}" in page
    form = staff_client.get(place_url, {"campaign": campaign.pk})
    assert form.status_code == 200 and "张三0" in form.content.decode()  # the sample contact

    live = place(staff_client, "139 1234 5678", campaign=campaign)
    assert live.status_code == 200
    test_call = TestCall.objects.get()
    assert (test_call.status, test_call.phone, test_call.campaign, test_call.created_by) == (
        "placed",
        "13912345678",
        campaign,
        staff_user,
    )
    [request] = fake.requests
    assert request.called_number == "13912345678"
    assert request.called_show_number == campaign.caller_numbers.get().number
    assert request.start_code == "TTS_100001"
    assert '"name":"张三0"' in request.start_tts_params and '"product":"宽带"' in request.start_tts_params
    assert fake.accounts == [None]  # the caller number's account (the environment's)
    assert request.out_id.startswith("T_") and len(request.out_id) <= 15
    assert Call.objects.count() == 0  # outside the campaign's counts
    assert 'http-equiv="refresh"' in live.content.decode()

    post_receipts(
        [
            {"call_id": test_call.call_id, "out_id": test_call.out_id, "status_code": "300000", "dtmf": "1",
             "status_time": "2026-12-06 10:00:05"},
            {"call_id": test_call.call_id, "out_id": test_call.out_id, "status_code": "200000", "duration": "12",
             "start_time": "2026-12-06 10:00:01", "end_time": "2026-12-06 10:00:13", "dtmf": "1"},
        ]
    )  # fmt: skip
    test_call.refresh_from_db()
    outcome = (test_call.status, test_call.dtmf, test_call.answer_label, test_call.duration)
    assert outcome == ("answered", "1", "满意", 12)
    page = staff_client.get(reverse("admin:campaigns_testcall_live", args=[test_call.pk])).content.decode()
    assert "满意" in page and "200000" in page and 'http-equiv="refresh"' not in page
    assert Call.objects.count() == 0

    event = AuditEvent.objects.get(event="test_call.placed")
    assert event.actor_user_id == staff_user.pk
    assert "13912345678" not in str(event.__dict__)  # masked in the trail


def test_call_me_from_a_menu(staff_client, menu, caller, fake):
    page = staff_client.get(reverse("admin:campaigns_menutemplate_change", args=[menu.pk])).content.decode()
    assert f"{reverse('admin:campaigns_testcall_place')}?menu={menu.pk}" in page
    place(staff_client, menu=menu)
    assert TestCall.objects.get().status == "placed" and len(fake.requests) == 1


def test_a_do_not_call_number_is_not_dialled(staff_client, campaign, fake):
    DoNotCall.objects.create(phone="13912345678")
    live = place(staff_client, campaign=campaign)
    assert TestCall.objects.get().status == "refused" and fake.requests == []
    assert "do-not-call" in live.content.decode()


def test_an_entry_past_its_expiry_stops_no_test_call(staff_client, campaign, fake):
    import datetime as dt

    from django.utils import timezone

    DoNotCall.objects.create(phone="13912345678", expires_at=timezone.now() - dt.timedelta(days=1))
    place(staff_client, campaign=campaign)
    assert TestCall.objects.get().status == "placed" and len(fake.requests) == 1


def test_the_callee_frequency_guard_holds_a_second_call_back(staff_client, campaign, fake, settings):
    settings.CALLEE_LIMITS = [(1, 60)]
    place(staff_client, campaign=campaign)
    live = place(staff_client, campaign=campaign)
    assert [t.status for t in TestCall.objects.order_by("pk")] == ["placed", "refused"]
    assert len(fake.requests) == 1 and "called too recently" in live.content.decode()


def test_a_bad_number_is_an_error_on_the_form(staff_client, campaign, fake):
    response = place(staff_client, "12345", campaign=campaign)
    assert response.status_code == 200 and TestCall.objects.count() == 0
    assert "errorlist" in response.content.decode()


def test_it_needs_its_own_permission(login_with, campaign, fake):
    client = login_with("view_campaign", "change_campaign", "view_menutemplate")
    page = client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).content.decode()
    assert reverse("admin:campaigns_testcall_place") not in page
    assert place(client, campaign=campaign).status_code == 403
    assert TestCall.objects.count() == 0 and fake.requests == []


def test_test_calls_are_deleted_after_their_retention_period(staff_client, campaign, fake, settings):
    import datetime as dt

    from django.utils import timezone

    from ivrsite import housekeeping

    place(staff_client, campaign=campaign)
    old = TestCall.objects.get()
    TestCall.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(days=settings.TEST_CALL_RETENTION_DAYS + 1)
    )
    place(staff_client, "13912345679", campaign=campaign)
    assert housekeeping.run()["delete_expired_test_calls"] == 1
    assert list(TestCall.objects.values_list("phone", flat=True)) == ["13912345679"]
