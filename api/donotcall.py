"""Numbers given to the do-not-call endpoints, normalised like an import's; a number that is
not one is reported back. The changes are the actions layer's (`campaigns.actions.donotcall`)."""

from __future__ import annotations

from campaigns import reasons
from campaigns.contacts.phones import InvalidNumber, normalize


def normalise_all(raw: list[str]) -> tuple[list[str], list[dict]]:
    """(distinct national numbers, [{"phone": as given, "reason": words}] for those refused)."""
    phones: dict[str, None] = {}
    refused = []
    for value in raw:
        try:
            phones[normalize(value)] = None
        except InvalidNumber as exc:
            refused.append({"phone": value, "code": exc.reason.get("code", ""), "reason": reasons.describe(exc.reason)})
    return list(phones), refused
