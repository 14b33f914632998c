"""Reasons are stored as a code and parameters and put into words when shown, in the
reader's language, whatever language the worker that stored them spoke."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from campaigns import reasons
from campaigns.actions import calls as call_actions
from campaigns.actions import campaigns as actions
from campaigns.dialling import dispatch
from campaigns.dialling.aliyun import Outcome
from campaigns.models import Call, Campaign
from tests.actors import OPERATOR
from tests.dialling import RecordingClient, result

pytestmark = pytest.mark.django_db
S = Call.Status


def test_a_pause_by_the_dispatcher_reads_in_each_readers_language(campaign, redis_conn, staff_client):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    with translation.override("en"):  # the worker's language
        dispatch.dial_campaign(
            campaign.pk,
            max_seconds=5,
            client=RecordingClient(default=result(Outcome.CONFIG_ERROR, "isv.AMOUNT_NOT_ENOUGH")),
        )

    campaign.refresh_from_db()
    assert campaign.state_reason["code"] == "paused.config_error"
    assert campaign.state_reason["params"]["code"] == "isv.AMOUNT_NOT_ENOUGH"
    with translation.override("en"):
        assert campaign.state_reason_text.startswith("Paused by the dispatcher")
    with translation.override("zh-hans"):
        assert campaign.state_reason_text.startswith("调度器已暂停任务")

    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = staff_client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).content.decode()
    assert "调度器已暂停任务" in page and "isv.AMOUNT_NOT_ENOUGH" in page


def test_an_operators_note_on_a_call_reads_in_each_readers_language(campaign, staff_client):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    call = campaign.calls.order_by("pk").first()
    Call.objects.filter(pk=call.pk).update(status=S.UNKNOWN)
    with translation.override("en"):
        call_actions.do_settle_unknown_calls([call.pk], placed=True, actor=OPERATOR)

    call.refresh_from_db()
    assert call.note == {"code": "call.settled_by_operator", "params": {}}
    with translation.override("zh-hans"):
        assert call.note_text == "已由操作员处理。"
    with translation.override("en"):
        assert call.note_text == "Settled by an operator."
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = staff_client.get(reverse("admin:campaigns_call_change", args=[call.pk])).content.decode()
    assert "已由操作员处理。" in page


def test_what_aliyun_said_is_kept_in_its_words_beside_our_note(campaign, redis_conn):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    answer = result(Outcome.INVALID_NUMBER, "isv.MOBILE_NUMBER_ILLEGAL")
    dispatch.dial_campaign(campaign.pk, max_seconds=5, client=RecordingClient(default=answer))

    call = campaign.calls.filter(status=S.INVALID).first()
    assert call.note["code"] == "api.invalid_number"
    with translation.override("en"):
        english = call.note_text
    with translation.override("zh-hans"):
        chinese = call.note_text
    assert "isv.MOBILE_NUMBER_ILLEGAL" in english and "isv.MOBILE_NUMBER_ILLEGAL" in chinese
    assert english.startswith("Aliyun rejected the called number") and chinese != english


def test_text_a_person_typed_is_shown_as_typed(campaign):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    actions.do_pause_campaign(campaign, reason="午休", actor=OPERATOR)
    campaign.refresh_from_db()
    assert campaign.state_reason == {"text": "午休"}
    with translation.override("en"):
        assert campaign.state_reason_text == "午休"
    assert Campaign.objects.get(pk=campaign.pk).state == Campaign.State.PAUSED


def test_every_reason_code_has_a_chinese_text():
    for code, text in reasons.MESSAGES.items():
        with translation.override("en"):
            english = str(text)
        with translation.override("zh-hans"):
            assert str(text) != english, code
