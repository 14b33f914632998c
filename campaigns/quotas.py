"""Quotas of completes and sample released in batches, checked by the dispatcher's tick.

A **quota** asks for a number of completes (answered with a menu key other than the opt-out)
from one cell: the contacts whose variable has a value (`city` = 杭州), or the whole campaign.
Once a cell has them, its calls not made yet are withdrawn ("quota full",
`transitions.do_withdraw_calls`); calls already claimed or placed still finish, so a cell
ends at its target plus at most the calls in flight when it filled.

**Sample release** holds a campaign's calls back at enrolment (due at `HELD`, a date no
worker reaches) and releases `percent` of them at a time, in a fixed pseudo-random order (by a
hash of the number, so every city is in every batch). The next batch goes out when the
released sample is worked out, or when the quotas still open need more completes than the
released calls still open are expected to give at the rate so far (contact rate × cooperation
rate among worked cases, which is RR1 among them).
"""

from __future__ import annotations

import datetime as dt
import logging
import math

from django.db import transaction
from django.db.models import Count, F, Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import MD5
from django.utils import timezone

from campaigns import transitions
from campaigns.models import Call, Campaign, Quota, SampleRelease
from campaigns.opt_out import every_opt_out_key

log = logging.getLogger(__name__)
S = Call.Status

HELD = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)  # due "never": held back until released
WORKED = (S.ANSWERED, S.NO_ANSWER, S.BUSY, S.UNREACHABLE, S.FAILED, S.INVALID, S.UNKNOWN)


def completes(campaign: Campaign) -> Q:
    """The campaign's completed contacts: latest call answered with a menu key, not the opt-out."""
    opt_outs = sorted(every_opt_out_key(campaign.menu_snapshot))
    return Q(campaign=campaign, is_latest=True, status=S.ANSWERED) & ~Q(answer_key="") & ~Q(answer_key__in=opt_outs)


def cell_counts(campaign: Campaign, variable: str) -> dict[str, int]:
    """Completes per value of a contact variable ("" for the campaign as a whole)."""
    done = Call.objects.filter(completes(campaign))
    if not variable:
        return {"": done.count()}
    rows = (
        done.annotate(cell=KeyTextTransform(variable, "contact__variables")).values_list("cell").annotate(n=Count("pk"))
    )
    return {cell: n for cell, n in rows.order_by() if cell is not None}


def quota_status(campaign: Campaign) -> list[dict]:
    """Each quota with its completes so far and whether it is full."""
    counted: dict[str, dict[str, int]] = {}
    result = []
    for quota in campaign.quotas.order_by("variable", "value"):
        if quota.variable not in counted:
            counted[quota.variable] = cell_counts(campaign, quota.variable)
        done = counted[quota.variable].get(quota.value if quota.variable else "", 0)
        result.append({"quota": quota, "completes": done, "full": done >= quota.target})
    return result


def _queued_in_cell(campaign: Campaign, quota: Quota):
    queued = Call.objects.filter(campaign=campaign, status=S.QUEUED)
    if not quota.variable:
        return queued
    return queued.annotate(cell=KeyTextTransform(quota.variable, "contact__variables")).filter(cell=quota.value)


def enforce_quotas(campaign: Campaign, now: dt.datetime) -> int:
    """Withdraw the calls not made yet of every full cell; returns how many were withdrawn."""
    withdrawn = 0
    for item in quota_status(campaign):
        if item["full"]:
            ids = list(_queued_in_cell(campaign, item["quota"]).values_list("pk", flat=True))
            if ids:
                withdrawn += transitions.do_withdraw_calls(campaign, ids, "quota_full", now)
    if withdrawn:
        log.info("campaign %s: %s calls withdrawn, their quota is full", campaign.pk, withdrawn)
    return withdrawn


# --- Sample release ---


def hold_back(campaign: Campaign) -> int:
    """Hold every queued call of a campaign with a sample release, then release its first batch.
    Run by the enrolment job before the campaign runs. Returns the calls released."""
    release = SampleRelease.objects.filter(campaign=campaign).first()
    if release is None:
        return 0
    Call.objects.filter(campaign=campaign, status=S.QUEUED).update(due_at=HELD)
    return release_batch(campaign, release, timezone.now())


def release_batch(campaign: Campaign, release: SampleRelease, now: dt.datetime) -> int:
    """Make the next `percent` of the campaign's calls due now (in the order of a hash of the number)."""
    size = math.ceil(campaign.calls.filter(attempt=1).count() * release.percent / 100)
    with transaction.atomic():
        held = Call.objects.filter(campaign=campaign, status=S.QUEUED, due_at=HELD)
        batch = list(held.order_by(MD5(F("phone")), "pk").values_list("pk", flat=True)[:size])
        released = Call.objects.filter(pk__in=batch, due_at=HELD).update(due_at=now)
        SampleRelease.objects.filter(pk=release.pk).update(batches=F("batches") + 1)
    log.info("campaign %s: sample batch released, %s calls", campaign.pk, released)
    return released


def held_back(campaign: Campaign) -> int:
    """Calls a live campaign holds back until a batch releases them (the forecast leaves them out:
    quotas may fill without them). Only a campaign with a sample release counts them: the
    others' pages read no call."""
    live = campaign.state not in (Campaign.State.DRAFT, Campaign.State.COMPLETED, Campaign.State.CANCELLED)
    if not live or not SampleRelease.objects.filter(campaign=campaign).exists():
        return 0
    return Call.objects.filter(campaign=campaign, status=S.QUEUED, due_at=HELD).count()


def needs_next_batch(campaign: Campaign) -> bool:
    """Whether the released sample will not be enough: worked out, or expected to fall short of
    the open quotas at the rate so far."""
    latest = Call.objects.filter(campaign=campaign, is_latest=True)
    figures = latest.aggregate(
        open=Count("pk", filter=Q(status__in=[*Call.PENDING, S.UNKNOWN]) & ~Q(due_at=HELD)),
        held=Count("pk", filter=Q(status=S.QUEUED, due_at=HELD)),
        worked=Count("pk", filter=Q(status__in=WORKED)),
        done=Count("pk", filter=completes(campaign)),
    )
    if not figures["held"]:
        return False
    if not figures["open"]:
        return True
    wanted = sum(max(0, item["quota"].target - item["completes"]) for item in quota_status(campaign))
    if not wanted or not figures["worked"]:
        return False  # no quota to aim at, or no rate yet: wait for the batch to be worked
    expected = figures["open"] * figures["done"] / figures["worked"]
    return expected < wanted


def enforce_all(now: dt.datetime | None = None) -> dict[str, int]:
    """The tick's pass over running campaigns with quotas or a sample release."""
    now = now or timezone.now()
    summary = {"withdrawn": 0, "released": 0}
    running = Campaign.objects.filter(state=Campaign.State.RUNNING)
    for campaign in running.filter(Q(quotas__isnull=False) | Q(sample_release__isnull=False)).distinct():
        summary["withdrawn"] += enforce_quotas(campaign, now)
        release = SampleRelease.objects.filter(campaign=campaign).first()
        if release is not None and needs_next_batch(campaign):
            summary["released"] += release_batch(campaign, release, now)
    return summary
