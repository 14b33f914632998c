"""A finished campaign with one contact per kind of outcome, some of them retried."""

from __future__ import annotations

import datetime as dt

from campaigns.actions import campaigns as actions
from campaigns.models import Call, Campaign, Contact, ContactList
from tests.actors import OPERATOR

S = Call.Status
T0 = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)

# phone → attempts in order as (status, key); the last one is the latest.
OUTCOMES = {
    "13900000001": [(S.ANSWERED, "1")],
    "13900000002": [(S.NO_ANSWER, ""), (S.ANSWERED, "3")],  # retried, then unhappy
    "13900000003": [(S.ANSWERED, "3")],
    "13900000004": [(S.ANSWERED, "")],  # answered, pressed nothing
    "13900000005": [(S.NO_ANSWER, ""), (S.NO_ANSWER, "")],  # retried, never answered
    "13900000006": [(S.BUSY, "")],
    "13900000007": [(S.UNREACHABLE, "")],
    "13900000008": [(S.FAILED, "")],
    "13900000009": [(S.INVALID, "")],
    "13900000010": [(S.UNKNOWN, "")],
    "13900000011": [(S.ANSWERED, "2")],
    "13900000012": [(S.BUSY, ""), (S.ANSWERED, "1")],
}
LABELS = {"1": "满意", "2": "一般", "3": "不满意"}


def finished_campaign(caller, menu, name: str = "回访一期", variables=None) -> Campaign:
    """Start a campaign over a fresh list, then write the OUTCOMES as its calls' results."""
    contact_list = ContactList.objects.create(name=f"{name} 名单")
    Contact.objects.bulk_create(
        Contact(
            contact_list=contact_list,
            phone=phone,
            name=f"客户{phone[-2:]}",
            variables=(variables or {}).get(phone, {"product": "宽带", "city": "杭州"}),
        )
        for phone in OUTCOMES
    )
    campaign = Campaign.objects.create(
        name=name, menu=menu, daily_start=dt.time(0, 0), daily_end=dt.time(0, 0), max_attempts=3
    )
    campaign.contact_lists.add(contact_list)
    campaign.caller_numbers.add(caller)
    actions.do_start_campaign(campaign, actor=OPERATOR)
    for phone, attempts in OUTCOMES.items():
        first = Call.objects.get(campaign=campaign, phone=phone)
        for n, (status, key) in enumerate(attempts, start=1):
            call = first if n == 1 else Call(campaign=campaign, contact=first.contact, phone=phone, attempt=n)
            call.status = status
            call.answer_key = key
            call.answer_label = LABELS.get(key, "")
            call.is_latest = n == len(attempts)
            call.sent_at = T0 + dt.timedelta(hours=n)
            call.answered_at = call.sent_at if status == S.ANSWERED else None
            call.save()
    campaign.state = Campaign.State.COMPLETED
    campaign.save(update_fields=["state"])
    return campaign
