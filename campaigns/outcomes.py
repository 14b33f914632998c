"""What a call's receipt means for the call, and a campaign's figures.

Receipt status codes come from Aliyun's VoiceReport (see shared/aliyun-ivrcall.md). The
receipts app derives a call's outcome with `status_for_receipt` and `answer_for_keys`,
then writes it with `campaigns.transitions.do_settle_by_receipts`.
"""

from __future__ import annotations

from django.db.models import Count, Q

from campaigns.models import Call, Campaign

S = Call.Status

RECEIPT_STATUS = {
    "200000": S.ANSWERED,  # listened to the end
    "200001": S.ANSWERED,  # answered, hung up early
    "200008": S.ANSWERED,  # answered, no key before the timeout
    "200100": S.ANSWERED,  # call ended normally
    "200102": S.ANSWERED,
    "200103": S.ANSWERED,
    "200002": S.BUSY,
    "200003": S.NO_ANSWER,
    "200004": S.INVALID,
    "200005": S.UNREACHABLE,
    "200007": S.UNREACHABLE,
    "200010": S.UNREACHABLE,
    "200011": S.UNREACHABLE,
}
KEY_PRESS_STATUS = "300000"
# Not final: the call is still being set up.
INTERIM_STATUSES = {"200101"}


def status_for_receipt(status_code: str, answered: bool = False) -> str | None:
    """The final Call status a VoiceReport status code stands for (None: not a final record).

    `answered` is whether the receipt carries an answer time (start_time): a call that was
    picked up is answered whatever the hang-up code says.
    """
    code = str(status_code or "").strip()
    if code == KEY_PRESS_STATUS or code in INTERIM_STATUSES or not code:
        return None
    if answered:
        return S.ANSWERED
    return RECEIPT_STATUS.get(code, S.FAILED)


def answer_for_keys(snapshot: dict | None, dtmf: str) -> tuple[str, str]:
    """Map pressed keys to (key, label) through a frozen menu: the first key that is an option."""
    options = {o["key"]: o["label"] for o in (snapshot or {}).get("options", [])}
    for key in dtmf or "":
        if key in options:
            return key, options[key]
    return "", ""


def progress(campaign: Campaign) -> dict:
    """Per-contact figures: each contact counted once, by its latest attempt (one scan)."""
    rows = (
        campaign.calls.filter(is_latest=True)
        .values_list("status", "answer_label")
        .annotate(n=Count("id"), dialled=Count("id", filter=Q(attempt__gt=1) | Q(sent_at__isnull=False)))
        .order_by()
    )
    counts: dict[str, int] = {}
    answers: dict[str, int] = {}
    dialled = 0
    for status, label, n, sent in rows:
        counts[status] = counts.get(status, 0) + n
        dialled += sent
        if status == S.ANSWERED and label:
            answers[label] = answers.get(label, 0) + n
    failed_statuses = (S.NO_ANSWER, S.BUSY, S.UNREACHABLE, S.FAILED, S.INVALID, S.CANCELLED)
    return {
        "state": campaign.state,
        "contacts": sum(counts.values()),
        "dialled": dialled,
        "answered": counts.get(S.ANSWERED, 0),
        "unknown": counts.get(S.UNKNOWN, 0),
        "failed": sum(counts.get(s, 0) for s in failed_statuses),
        "dnc": counts.get(S.DNC, 0),
        "pending": sum(counts.get(s, 0) for s in Call.PENDING),
        "answers": answers,
        "by_status": counts,
    }


def status_report(campaign: Campaign):
    """`campaign status --json` (and the API's campaign status): the figures, the follow-up
    links and the forecast; returns (figures, forecast)."""
    from campaigns.forecast import campaign_forecast
    from campaigns.models import Contact, FollowupBuild

    figures = progress(campaign)
    figures.update({"id": campaign.pk, "name": campaign.name, "reason": campaign.state_reason_text})
    if campaign.state == Campaign.State.DRAFT:
        # No calls yet: the contacts it will enrol, one per number.
        contacts = Contact.objects.filter(contact_list__campaigns=campaign)
        figures["contacts"] = contacts.values("phone").distinct().count()
    if campaign.followup_of_id:
        build = FollowupBuild.objects.filter(campaign=campaign).first()
        figures["followup_of"] = {
            "id": campaign.followup_of_id,
            "segments": campaign.followup_segments,
            "copy": build.status if build else None,
        }
    figures["followups"] = list(campaign.followups.order_by("pk").values_list("pk", flat=True))
    forecast = campaign_forecast(campaign)
    figures["forecast"] = forecast.as_json()
    return figures, forecast
