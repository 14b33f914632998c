"""Placing a test call: one dial of a menu to the number a staff member types (their own),
with a sample contact's variables, outside every campaign (`campaigns.models.TestCall`).

It goes the way a campaign's call goes, minus the campaign: refused when the number is on
the do-not-call list or the callee frequency guard holds it back; a caller number with room
(the campaign's, else any active one) and that number's account client; a slot under that
account's QPS budget from the shared pacer; OutId and `sending` stored before the request;
what Aliyun answered recorded on it. Its receipts arrive through the receipt webhook
(`receipts.ingest` routes them here by OutId). The actor is audited.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.actors import Actor
from audit.record import record
from campaigns import accounts, reasons
from campaigns.contacts.phones import InvalidNumber, normalize
from campaigns.dialling import aliyun, claiming, guard, pacing
from campaigns.dialling.dispatch import OUT_ID_ALPHABET, ivr_request
from campaigns.models import Call, CallerNumber, Campaign, Contact, DoNotCall, MenuTemplate, TestCall
from campaigns.models.test_calls import OUT_ID_PREFIX
from campaigns.outcomes import answer_for_keys, status_for_receipt
from campaigns.privacy import mask_phone

log = logging.getLogger(__name__)
S = TestCall.Status
# The guard's members name calls by id; a test call's entry must never replace a real call's.
GUARD_ID_OFFSET = -1


def sample_contact(campaign: Campaign | None, menu: MenuTemplate) -> Contact | None:
    """The contact whose variables fill the menu: the first of the campaign's lists, else of
    the lists of the latest campaign that uses the menu (None: no variables)."""
    if campaign is None:
        campaign = Campaign.objects.filter(menu=menu).order_by("-pk").first()
    if campaign is None:
        return None
    contacts = Contact.objects.filter(contact_list__campaigns=campaign, do_not_call=False)
    return contacts.order_by("contact_list_id", "pk").first()


def _caller_number(campaign: Campaign | None) -> CallerNumber | None:
    numbers = list(
        (campaign.caller_numbers if campaign is not None else CallerNumber.objects).filter(active=True).order_by("pk")
    )
    if not numbers:
        return None
    room = claiming.caller_capacity(campaign, timezone.now(), numbers)  # type: ignore[arg-type]
    free = [number for number in numbers if room.get(number.pk, 0) > 0]
    return max(free, key=lambda number: room[number.pk]) if free else None


def _new_out_id() -> str:
    return OUT_ID_PREFIX + "".join(secrets.choice(OUT_ID_ALPHABET) for _ in range(13))


def _refuse(test_call: TestCall, code: str, note: reasons.Reason) -> TestCall:
    test_call.status = TestCall.Status.REFUSED
    test_call.code, test_call.note = code, note
    test_call.save()
    return test_call


def place(
    actor: Actor,
    user,
    raw_phone: str,
    menu: MenuTemplate,
    campaign: Campaign | None = None,
    client: aliyun.VoiceClient | None = None,
) -> TestCall:
    """Dial the menu to one number now. Raises InvalidNumber for a number that cannot be dialled;
    else returns the TestCall, `refused` (with a note) when it was not dialled."""
    phone = normalize(raw_phone)
    contact = sample_contact(campaign, menu)
    context = contact.tts_context() if contact is not None else {}
    context["phone"] = phone
    test_call = TestCall(menu=menu, campaign=campaign, phone=phone, sample_contact=contact, created_by=user)
    with transaction.atomic():
        test_call.save()
        record(
            actor,
            "test_call.placed",
            test_call,
            campaign_id=campaign.pk if campaign is not None else None,
            changes={"number": [None, mask_phone(phone)], "menu": [None, str(menu)]},
        )
    if DoNotCall.objects.blocking().filter(phone=phone).exists() or DoNotCall.erased_among([phone]):
        return _refuse(test_call, "DoNotCall", reasons.reason("test_call.do_not_call"))
    caller = _caller_number(campaign)
    if caller is None:
        return _refuse(test_call, "NoCallerNumber", reasons.reason("test_call.no_caller_number"))
    test_call.caller_number = caller
    probe = Call(pk=GUARD_ID_OFFSET - test_call.pk, phone=phone)
    held = guard.screen([probe])
    if held:
        when = timezone.localtime(held[probe.pk]).strftime("%H:%M:%S")
        return _refuse(test_call, "CalleeLimit", reasons.reason("test_call.callee_limit", time=when))
    try:
        client = client or accounts.client_for(caller.account_id)
    except accounts.SecretUnreadable:
        guard.forget([probe])
        return _refuse(test_call, "SecretUnreadable", reasons.reason("test_call.account_unreadable"))
    snapshot = campaign.menu_snapshot if campaign is not None and campaign.menu_snapshot else menu.snapshot()
    test_call.out_id = _new_out_id()
    test_call.status = TestCall.Status.SENDING
    test_call.save()  # OutId and `sending` before the request (design rule 1)
    signed = client.prepare_ivr_call(ivr_request(caller.number, phone, test_call.out_id, snapshot, context))
    route = accounts.routes_by_account({caller.account_id})[caller.account_id]
    pacer = pacing.Pacer(pacing.redis_connection(settings.REDIS_URL), route.qps, account_key=route.pace_key)
    slot = pacer.next_slot({})
    if slot is None or not pacer.keep_slot({}, slot):
        guard.forget([probe])
        return _refuse(test_call, "NoSlot", reasons.reason("test_call.no_slot"))
    result = client.send(signed)
    test_call.code = result.code
    test_call.note = reasons.reason(result.reason or f"api.{result.outcome}", code=result.code)
    if result.outcome == aliyun.Outcome.PLACED:
        test_call.status = TestCall.Status.PLACED
        test_call.call_id = result.call_id or ""
    elif result.outcome == aliyun.Outcome.UNKNOWN:
        test_call.status = TestCall.Status.UNKNOWN
    else:
        test_call.status = TestCall.Status.FAILED
        if result.outcome != aliyun.Outcome.FREQUENCY_LIMITED:
            guard.forget([probe])  # refused before dialling: it does not count against the callee
    TestCall.objects.filter(pk=test_call.pk, status=S.SENDING).update(
        status=TestCall.Status(test_call.status), call_id=test_call.call_id, code=test_call.code, note=test_call.note
    )
    test_call.refresh_from_db()  # a receipt may have settled it meanwhile
    log.info("test call %s: %s", test_call.out_id, result.code)
    return test_call


RECEIPT_STATES = (S.PLACED, S.UNKNOWN, S.SENDING, S.ANSWERED, S.NOT_ANSWERED)


def settle(test_call: TestCall, receipts: list) -> None:
    """Derive the test call's keys, answer and outcome afresh from all its stored receipts
    (`receipts.models.Receipt`, in time order): a replayed or late receipt changes nothing."""
    if test_call.status not in RECEIPT_STATES:
        return
    if test_call.status in (S.ANSWERED, S.NOT_ANSWERED):  # derived afresh below
        test_call.status = TestCall.Status.PLACED
    presses = "".join(r.dtmf for r in receipts if r.kind == "key_press" and r.dtmf)
    records = [r for r in receipts if r.kind == "call_record"]
    record = records[-1] if records else None
    test_call.dtmf = ((record.dtmf if record is not None and record.dtmf else "") or presses)[:64]
    test_call.answer_label = answer_for_keys(test_call.menu.snapshot(), test_call.dtmf)[1][:200]
    test_call.receipts = len(receipts)
    if record is not None:
        test_call.status_code, test_call.duration = record.status_code, record.duration
        final = status_for_receipt(record.status_code, answered=bool(record.start_time or test_call.dtmf))
        if final is not None:
            answered = final == Call.Status.ANSWERED
            test_call.status = TestCall.Status.ANSWERED if answered else TestCall.Status.NOT_ANSWERED
    elif test_call.dtmf:
        test_call.status = TestCall.Status.ANSWERED  # somebody pressed a key
    test_call.save()


__all__ = ["InvalidNumber", "place", "sample_contact", "settle"]


def delete_expired_test_calls(now: dt.datetime | None = None) -> int:
    """Test calls (a staff member's own number, its receipt's answer) are kept for
    TEST_CALL_RETENTION_DAYS, then deleted by the hourly housekeeping; returns how many went."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.TEST_CALL_RETENTION_DAYS)
    return TestCall.objects.filter(created_at__lt=cutoff).delete()[0]
