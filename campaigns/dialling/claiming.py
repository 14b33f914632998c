"""Claiming calls to dial: which caller numbers have room (their concurrency, counted from the
calls in flight), and the conditional UPDATE that takes up to a batch of queued calls for one
dial job (`claim`), spread over the numbers with room and their accounts' budgets."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from campaigns import accounts, transitions
from campaigns.dialling import claimers, local, pacing
from campaigns.models import Call, CallerNumber, Campaign

S = Call.Status

CLAIM_BATCH = 20
# A claim on a campaign with more caller numbers than this locks only this many of them.
NUMBERS_PER_CLAIM = 4
# Calls placed longer ago than this no longer hold a slot of their caller number.
CONCURRENCY_HORIZON = dt.timedelta(minutes=10)


def caller_capacity(campaign: Campaign, now: dt.datetime, numbers: list[CallerNumber] | None = None) -> dict[int, int]:
    """Free concurrent-call slots of the campaign's active caller numbers not resting, or of
    `numbers` (all campaigns count)."""
    if numbers is None:
        resting = Q(rested_until__gt=now)
        numbers = list(campaign.caller_numbers.filter(active=True).exclude(resting))
    caps = [(number.pk, number.concurrency(now)) for number in numbers]
    busy = calls_in_flight([n for n, _cap in caps], now)
    return {number: cap - busy.get(number, 0) for number, cap in caps if cap > busy.get(number, 0)}


def calls_in_flight(number_ids: list[int], now: dt.datetime) -> dict[int, int]:
    """Calls holding a slot of each of these caller numbers (every campaign's): claimed, or sent
    within CONCURRENCY_HORIZON and not yet settled. Numbers with none are left out."""
    return dict(
        Call.objects.filter(caller_number_id__in=number_ids)
        .filter(
            Q(status=S.CLAIMED) | Q(status__in=[S.SENDING, S.PLACED, S.UNKNOWN], sent_at__gte=now - CONCURRENCY_HORIZON)
        )
        .values_list("caller_number_id")
        .annotate(n=Count("id"))
        .values_list("caller_number_id", "n")
    )


# `claim(account=ANY)`: the numbers of every account (a number's account None: the environment's).
ANY = -1


def accounts_of(campaign: Campaign) -> list[int | None]:
    """The accounts of the campaign's active caller numbers, in a fixed order (None: the environment's)."""
    ids = set(CallerNumber.objects.filter(campaigns=campaign, active=True).values_list("account_id", flat=True))
    return sorted(ids, key=lambda account: -1 if account is None else account)


def claim_for_lane(campaign: Campaign, lane: int, limit: int = CLAIM_BATCH) -> list[Call]:
    """A batch of calls all through one account: a dial thread then waits for that account's
    request slots only, so calls for one account never wait behind another's pacing, and every
    account's budget is used at once. The account is the one whose slots are reserved least far
    ahead (the others have threads enough waiting on them; `lane` breaks ties, in turn), or the
    next with calls to give; a slower account's batches are smaller, so each batch holds its
    thread about as long."""
    lanes = accounts_of(campaign)
    if len(lanes) <= 1:
        return claim(campaign, limit)
    routes = accounts.routes_by_account(set(lanes))
    booked = pacing.backlog(pacing.redis_connection(settings.REDIS_URL), [routes[a].pace_key for a in lanes])
    order = sorted(range(len(lanes)), key=lambda i: (booked[i], (i - lane) % len(lanes)))
    fastest = max(route.qps for route in routes.values()) or 1
    for i in order:
        account = lanes[i]
        calls = claim(campaign, max(1, round(limit * routes[account].qps / fastest)), account=account)
        if calls:
            return calls
    return []


def claim(
    campaign: Campaign, limit: int = CLAIM_BATCH, now: dt.datetime | None = None, account: int | None = ANY
) -> list[Call]:
    """Atomically take up to `limit` due calls for this worker, each with a caller number (of
    `account` only, unless ANY).

    A campaign with several numbers of one account is claimed a few numbers at a time (those
    no other claim holds), so its dial threads claim side by side; only when those have no
    room does a claim look at all of them, waiting for the others' claims.
    """
    now = now or timezone.now()
    token = claimers.claim_token()
    ids = _claim(campaign, limit, now, token, few=True, account=account)
    if ids is None:
        ids = _claim(campaign, limit, now, token, few=False, account=account)
    if not ids:
        return []
    return list(
        Call.objects.filter(pk__in=ids, status=S.CLAIMED, claim_token=token)
        .select_related("contact", "caller_number")
        .order_by("pk")
    )


def _claim(
    campaign: Campaign, limit: int, now: dt.datetime, token: str, few: bool, account: int | None = ANY
) -> list[int] | None:
    """The ids claimed; None when `few` numbers were tried and had no room (all may have)."""
    localised = campaign.local_presence != Campaign.LocalPresence.OFF
    with transaction.atomic():
        # Locking caller numbers serialises capacity checks between workers.
        numbers, partial = lock_caller_numbers(campaign, few, now, limit if localised else 0, account)
        capacity = caller_capacity(campaign, now, numbers)
        room = min(limit, sum(capacity.values()))
        if room <= 0:
            return None if partial else []
        due = Call.objects.filter(campaign=campaign, status=S.QUEUED, due_at__lte=now).order_by("due_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, no_key=True)
        weights = account_weights(numbers) if len({n.account_id for n in numbers}) > 1 else None
        if localised:
            only = campaign.local_presence == Campaign.LocalPresence.ONLY
            look = room * local.LOCAL_ONLY_LOOKAHEAD if only else room
            calls = list(due.values_list("pk", "phone")[:look])
            assignments, how_local = local.choose(
                calls, capacity, local.index_for(campaign.pk), only, lambda ids, free: spread(ids, free, weights)
            )
            ids = sorted(pk for call_ids in assignments.values() for pk in call_ids)[:room]
            if not ids:  # local only: these numbers serve none of them; all of them may
                return None if partial else []
            kept = set(ids)
            assignments = {n: [pk for pk in c if pk in kept] for n, c in assignments.items()}
            transitions.do_claim_calls(assignments, token, now, how_local)
            return ids
        ids = list(due.values_list("pk", flat=True)[:room])
        if not ids:
            return []
        transitions.do_claim_calls(spread(ids, capacity, weights), token, now)
    return ids


def lock_caller_numbers(
    campaign: Campaign, few: bool, now: dt.datetime | None = None, local_for: int = 0, account: int | None = ANY
) -> tuple[list[CallerNumber], bool]:
    """The campaign's active caller numbers (not resting), locked, and whether that is only some
    of them: with `few`, up to NUMBERS_PER_CLAIM that no other claim holds, picked at random, when
    the numbers all belong to one account (its calls may go through any of them), plus (local
    presence, `local_for` > 0) up to that many free ones in the cities and provinces of the next
    `local_for` due calls; otherwise all, in id order, waiting for other claims. Only those of
    `account`, unless ANY."""
    now = now or timezone.now()
    active = CallerNumber.objects.filter(campaigns=campaign, active=True).filter(
        Q(rested_until__isnull=True) | Q(rested_until__lte=now)
    )
    if account != ANY:
        active = active.filter(account_id=account) if account is not None else active.filter(account__isnull=True)
    if few and connection.features.has_select_for_update_skip_locked:
        shape = active.aggregate(numbers=Count("id"), accounts=Count(Coalesce("account_id", 0), distinct=True))
        if shape["accounts"] == 1 and shape["numbers"] > NUMBERS_PER_CLAIM:
            free = []
            if local_for:
                phones = Call.objects.filter(campaign=campaign, status=S.QUEUED, due_at__lte=now).order_by(
                    "due_at", "pk"
                )
                cities, provinces = local.regions_wanted(phones.values_list("phone", flat=True)[:local_for])
                nearby = active.filter(Q(city__in=cities) | Q(province__in=provinces))
                free = list(nearby.select_for_update(skip_locked=True, no_key=True).order_by("?")[:local_for])
            others = active.exclude(pk__in=[n.pk for n in free]).select_for_update(skip_locked=True, no_key=True)
            free += list(others.order_by("?")[:NUMBERS_PER_CLAIM])
            if free:
                return free, True
    return list(active.select_for_update(no_key=True).order_by("pk")), False


def spread(
    call_ids: list[int], capacity: dict[int, int], weights: dict[int, float] | None = None
) -> dict[int, list[int]]:
    """Hand calls to caller numbers within their free capacity, in proportion to `weights`
    (smooth weighted round-robin; equal weights: plain round-robin, most free first)."""
    free = dict(capacity)
    weight = {number: (weights or {}).get(number, 1.0) for number in free}
    credit = dict.fromkeys(free, 0.0)
    order = {number: rank for rank, number in enumerate(sorted(free, key=lambda n: -free[n]))}
    assignments: dict[int, list[int]] = {}
    for call_id in call_ids:
        open_numbers = [number for number in free if free[number] > 0]
        if not open_numbers:
            break
        for number in open_numbers:
            credit[number] += weight[number]
        chosen = max(open_numbers, key=lambda n: (credit[n], -order[n]))
        credit[chosen] -= sum(weight[number] for number in open_numbers)
        free[chosen] -= 1
        assignments.setdefault(chosen, []).append(call_id)
    return assignments


def account_weights(numbers: list[CallerNumber]) -> dict[int, float]:
    """Each number's share of its account's QPS budget, so a campaign whose numbers span
    accounts hands each account as many calls as its budget can send."""
    routes = accounts.routes_by_account({number.account_id for number in numbers})
    per_account: dict[int | None, int] = {}
    for number in numbers:
        per_account[number.account_id] = per_account.get(number.account_id, 0) + 1
    return {number.pk: routes[number.account_id].qps / per_account[number.account_id] for number in numbers}
