"""What the outbound webhooks say about campaigns, calls, contacts, imports and follow-ups:
each function builds the payloads and writes them to the outbox (`webhooks.outbox.emit`) in
the caller's transaction. Where no endpoint subscribes, they cost one small query."""

from __future__ import annotations

import datetime as dt

from campaigns.models import Call, Campaign, Contact
from webhooks import events
from webhooks.outbox import emit, subscribed


def _time(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def calls_settled(calls: list[Call], now: dt.datetime | None = None) -> int:
    """call.settled for calls newly final (their instances carry what the receipts wrote)."""
    if not calls or not subscribed(events.CALL_SETTLED):
        return 0
    contacts = {
        pk: (external_id, variables)
        for pk, external_id, variables in Contact.objects.filter(pk__in=[c.contact_id for c in calls]).values_list(
            "pk", "external_id", "variables"
        )
    }
    scales: dict[int, dict[str, float]] = {}
    payloads = []
    for call in calls:
        if call.campaign_id not in scales:
            options = (call.campaign.menu_snapshot or {}).get("options", [])
            scales[call.campaign_id] = {o["key"]: o["score"] for o in options if o.get("score") is not None}
        external_id, variables = contacts.get(call.contact_id, (None, {}))
        payloads.append(
            {
                "call_id": call.pk,
                "campaign_id": call.campaign_id,
                "contact_id": call.contact_id,
                "external_id": external_id,
                "phone": call.phone,
                "variables": variables or {},
                "attempt": call.attempt,
                "status": call.status,
                "answer_label": call.answer_label,
                "answer_key": call.answer_key,
                "score": scales[call.campaign_id].get(call.answer_key) if call.answer_key else None,
                "duration": call.duration,
                "answered_at": _time(call.answered_at),
                "ended_at": _time(call.ended_at),
                "settled_at": _time(call.settled_at),
            }
        )
    return emit(events.CALL_SETTLED, payloads, now)


def campaign_state_changed(campaign: Campaign, before: str | None, after: str) -> int:
    payload = {"campaign_id": campaign.pk, "name": campaign.name, "from": before, "to": str(after)}
    return emit(events.CAMPAIGN_STATE_CHANGED, [payload])


def contacts_opted_out(calls: list[Call]) -> int:
    if not calls or not subscribed(events.CONTACT_OPTED_OUT):
        return 0
    return emit(
        events.CONTACT_OPTED_OUT,
        [{"phone": c.phone, "campaign_id": c.campaign_id, "call_id": c.pk, "contact_id": c.contact_id} for c in calls],
    )


def import_finished(list_id: int, summary: dict, source: str) -> int:
    counts = {key: summary.get(key) for key in ("created", "updated", "skipped", "rejected_count")}
    return emit(events.IMPORT_FINISHED, [{"contact_list_id": list_id, "source": source, **counts}])


def followup_ready(campaign_id: int, source_id: int | None, contacts: int) -> int:
    payload = {"campaign_id": campaign_id, "followup_of": source_id, "contacts": contacts}
    return emit(events.FOLLOWUP_READY, [payload])
