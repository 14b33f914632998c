"""Starting freezes the menu and enrols contacts; state changes follow the state machine."""

import pytest

from campaigns.actions import campaigns as actions
from campaigns.models import Call, Campaign, Contact, ContactList, DoNotCall, MenuOption
from tests.actors import OPERATOR

pytestmark = pytest.mark.django_db
S = Call.Status


def test_start_enrols_each_number_once_across_lists(campaign, contact_list):
    other = ContactList.objects.create(name="第二名单")
    Contact.objects.create(contact_list=other, phone="13800130000", name="重复", variables={"product": "x"})
    Contact.objects.create(contact_list=other, phone="13900139000", name="新人", variables={"product": "x"})
    campaign.contact_lists.add(other)

    enrolled = actions.do_start_campaign(campaign, actor=OPERATOR)

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.RUNNING
    assert enrolled == 6
    phones = list(campaign.calls.values_list("phone", flat=True))
    assert sorted(phones) == sorted({*phones})
    assert campaign.calls.get(phone="13800130000").contact.contact_list == contact_list


def test_dnc_numbers_are_enrolled_as_dnc_and_never_queued(campaign, contact_list):
    DoNotCall.objects.create(phone="13800130001")
    Contact.objects.filter(phone="13800130002").update(do_not_call=True)

    actions.do_start_campaign(campaign, actor=OPERATOR)

    statuses = dict(campaign.calls.values_list("phone", "status"))
    assert statuses["13800130001"] == S.DNC
    assert statuses["13800130002"] == S.DNC
    assert list(statuses.values()).count(S.QUEUED) == 3


def test_start_freezes_the_menu(campaign, menu):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    MenuOption.objects.filter(template=menu, key="1").update(label="changed later")
    menu.start_code = "TTS_999"
    menu.save()

    campaign.refresh_from_db()
    assert campaign.menu_snapshot["start_code"] == "TTS_100001"
    assert campaign.menu_snapshot["options"][0] == {
        "key": "1",
        "label": "满意",
        "code": "TTS_200001",
        "tts_params": "",
    }


def test_campaign_that_is_not_ready_does_not_start(campaign, menu):
    campaign.caller_numbers.clear()
    menu.start_tts_params = '{"x": "${nickname}"}'
    menu.save()

    with pytest.raises(actions.TransitionError) as error:
        actions.do_start_campaign(campaign, actor=OPERATOR)

    text = " ".join(error.value.messages)
    assert "caller number" in text
    assert "nickname" in text
    assert campaign.calls.count() == 0


def test_state_machine(campaign):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    with pytest.raises(actions.TransitionError):
        actions.do_start_campaign(campaign, actor=OPERATOR)
    with pytest.raises(actions.TransitionError):
        actions.do_resume_campaign(campaign, actor=OPERATOR)
    actions.do_pause_campaign(campaign, reason="lunch", actor=OPERATOR)
    campaign.refresh_from_db()
    assert (campaign.state, campaign.state_reason_text) == (Campaign.State.PAUSED, "lunch")
    actions.do_resume_campaign(campaign, actor=OPERATOR)
    campaign.refresh_from_db()
    assert (campaign.state, campaign.state_reason_text) == (Campaign.State.RUNNING, "")


def test_cancel_closes_every_call_not_yet_made(campaign):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    campaign.calls.filter(phone="13800130000").update(status=S.PLACED)

    cancelled = actions.do_cancel_campaign(campaign, actor=OPERATOR)

    assert cancelled == 4
    assert campaign.calls.filter(status=S.QUEUED).count() == 0
    assert campaign.calls.get(phone="13800130000").status == S.PLACED
    with pytest.raises(actions.TransitionError):
        actions.do_resume_campaign(campaign, actor=OPERATOR)
