"""Script experiments: a campaign carries two or more menu variants with shares; each contact
hears one.

The variant is drawn from a hash of the campaign and the number (SHA-256, so as good as random
and the same however often it is drawn), stored on the call at enrolment and copied to every
retry. The variants' menus are frozen with the campaign's own, under `"variants"` in its menu
snapshot, so a dial request and a receipt read the variant's codes and labels without a query.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools

from django.db.models import Q

from campaigns.models import Call, Campaign, ScriptVariant

CHUNK = 10_000  # calls read and written per round at enrolment


def pick(campaign_id: int, phone: str, names: list[str], weights: list[int]) -> str:
    """The variant of one number: its hash, as a point in [0, total weight), falls in one share."""
    digest = hashlib.sha256(f"{campaign_id}:{phone}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") % sum(weights)
    return names[bisect.bisect_right(list(itertools.accumulate(weights)), point)]


def snapshot_for(variant: str, snapshot: dict | None) -> dict | None:
    """The frozen menu a call with this variant plays: the variant's, else the campaign's own."""
    if variant and snapshot and variant in snapshot.get("variants", {}):
        return snapshot["variants"][variant]
    return snapshot


def assign_variants(campaign: Campaign) -> int:
    """Freeze the variants' menus and give each enrolled call its variant (the enrolment job
    runs this before the campaign runs). Returns the calls assigned; 0 without an experiment."""
    variants = list(ScriptVariant.objects.filter(campaign=campaign).select_related("menu").order_by("name"))
    if len(variants) < 2:
        return 0
    snapshot = dict(campaign.menu_snapshot or campaign.menu.snapshot())
    snapshot["variants"] = {v.name: v.menu.snapshot() for v in variants}
    Campaign.objects.filter(pk=campaign.pk).update(menu_snapshot=snapshot)
    campaign.menu_snapshot = snapshot
    names, weights = [v.name for v in variants], [v.weight for v in variants]
    unassigned = Call.objects.filter(campaign=campaign, variant="").order_by("pk")
    assigned, last = 0, 0
    while True:
        chunk = list(unassigned.filter(pk__gt=last).values_list("pk", "phone")[:CHUNK])
        if not chunk:
            return assigned
        by_variant: dict[str, list[int]] = {}
        for pk, phone in chunk:
            by_variant.setdefault(pick(campaign.pk, phone, names, weights), []).append(pk)
        for name, ids in by_variant.items():
            assigned += Call.objects.filter(Q(pk__in=ids), variant="").update(variant=name)
        last = chunk[-1][0]
