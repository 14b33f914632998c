"""Caller-number health: calls, answer rate and refusals of each number over the last hour and
day, against its own history and its campaigns' other numbers, from the stored cube
(`CallStats`, one row per hour, number and callee region), never a scan of the calls.

`check` (from the dispatcher's tick, at most once a minute) flags a number whose answer rate over
the last CALLER_HEALTH_WINDOW_MINUTES fell by CALLER_HEALTH_DROP below its baseline, over at
least CALLER_HEALTH_MIN_CALLS calls: a sign that phone-security apps mark it as spam. A running
campaign that allows it (`rest_unhealthy_numbers`) has the number rested for CALLER_REST_MINUTES;
claims skip a resting number, so its calls go out on the others. Once judged again on calls made
after the flag (or the rest), a number that answers as before is cleared.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actors import DISPATCHER
from campaigns import reasons
from campaigns.actions.callers import do_clear_caller_number_flag, do_flag_caller_number
from campaigns.call_stats import hour_of
from campaigns.models import CallerNumber, CallStats, Campaign

HISTORY_DAYS = 7


@dataclass
class Figures:
    calls: int = 0
    answered: int = 0
    refused: int = 0

    @property
    def rate(self) -> float | None:
        return self.answered / self.calls if self.calls else None

    def __add__(self, other: Figures) -> Figures:
        return Figures(self.calls + other.calls, self.answered + other.answered, self.refused + other.refused)

    def __sub__(self, other: Figures) -> Figures:
        return Figures(self.calls - other.calls, self.answered - other.answered, self.refused - other.refused)


def _sums(rows: QuerySet, *by: str) -> dict:
    totals = rows.values_list(*by).annotate(c=Sum("calls"), a=Sum("answered"), r=Sum("refused")).order_by()
    return {tuple(row[: len(by)]) if len(by) > 1 else row[0]: Figures(*row[len(by) :]) for row in totals}


def figures(number: CallerNumber, now: dt.datetime | None = None) -> dict[str, Figures]:
    """The number's last hour, last day, its history (the HISTORY_DAYS before that) and the last
    day of the other numbers of the campaigns it dialled for."""
    now = now or timezone.now()
    hour, day = hour_of(now - dt.timedelta(hours=1)), hour_of(now - dt.timedelta(days=1))
    own = CallStats.objects.filter(caller_number=number)
    campaigns = own.filter(hour__gte=day).values("campaign_id")
    others = CallStats.objects.filter(campaign_id__in=campaigns, hour__gte=day).exclude(caller_number=number)
    return {
        "hour": _sums(own.filter(hour__gte=hour), "caller_number_id").get(number.pk, Figures()),
        "day": _sums(own.filter(hour__gte=day), "caller_number_id").get(number.pk, Figures()),
        "history": _sums(
            own.filter(hour__gte=day - dt.timedelta(days=HISTORY_DAYS), hour__lt=day), "caller_number_id"
        ).get(number.pk, Figures()),
        "campaigns": sum(_sums(others, "campaign_id").values(), Figures()),
    }


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{100 * rate:.1f}%"


def verdict(recent: Figures, history: Figures, others: Figures) -> reasons.Reason | None:
    """Why the recent figures look wrong against the baseline (its history when it has enough
    calls, else its campaigns' other numbers), or None."""
    minimum = settings.CALLER_HEALTH_MIN_CALLS
    if recent.calls < minimum or recent.rate is None:
        return None
    if history.calls >= minimum:
        baseline, basis = history.rate, reasons.reason("caller_number.basis_own")
    elif others.calls >= minimum:
        baseline, basis = others.rate, reasons.reason("caller_number.basis_campaigns")
    else:
        return None
    if not baseline or recent.rate >= baseline * (1 - settings.CALLER_HEALTH_DROP):
        return None
    return reasons.reason(
        "caller_number.answer_rate_dropped",
        rate=percent(recent.rate),
        calls=recent.calls,
        baseline=percent(baseline),
        basis=basis,
    )


def check(now: dt.datetime | None = None) -> dict[str, int]:
    """Judge every number with enough recent calls; flag, rest or clear as the figures say."""
    now = now or timezone.now()
    start = hour_of(now - dt.timedelta(minutes=settings.CALLER_HEALTH_WINDOW_MINUTES))
    recent = CallStats.objects.filter(hour__gte=start)
    by_number = _sums(recent, "caller_number_id")
    busy = [pk for pk, f in by_number.items() if f.calls >= settings.CALLER_HEALTH_MIN_CALLS]
    numbers = CallerNumber.objects.filter(pk__in=busy, active=True).exclude(rested_until__gt=now)
    summary = {"flagged": 0, "rested": 0, "cleared": 0}
    if not busy:
        return summary
    history = _sums(
        CallStats.objects.filter(
            caller_number_id__in=busy, hour__gte=start - dt.timedelta(days=HISTORY_DAYS), hour__lt=start
        ),
        "caller_number_id",
    )
    per_campaign = _sums(recent.filter(caller_number_id__in=busy), "caller_number_id", "campaign_id")
    campaign_totals = _sums(recent.filter(campaign_id__in={c for _n, c in per_campaign}), "campaign_id")
    campaigns_of: dict[int, list[int]] = defaultdict(list)
    for number_id, campaign_id in per_campaign:
        campaigns_of[number_id].append(campaign_id)
    resting = set(
        Campaign.objects.filter(
            caller_numbers__in=busy, state=Campaign.State.RUNNING, rest_unhealthy_numbers=True
        ).values_list("caller_numbers", flat=True)
    )
    for number in numbers:
        own = by_number[number.pk]
        judged_since = _judged_since(number)
        if judged_since is not None and judged_since > start:
            own = _sums(recent.filter(caller_number=number, hour__gte=judged_since), "caller_number_id").get(
                number.pk, Figures()
            )
        others = sum((campaign_totals[c] - per_campaign[(number.pk, c)] for c in campaigns_of[number.pk]), Figures())
        for outcome, n in _act(number, verdict(own, history.get(number.pk, Figures()), others), own, now, resting):
            summary[outcome] += n
    return summary


def _judged_since(number: CallerNumber) -> dt.datetime | None:
    """Calls before this hour were judged already (a flagged number is judged on later calls)."""
    if not number.health_flag:
        return None
    if number.rested_until is not None:
        return hour_of(number.rested_until)
    flagged = (number.health_flag.get("params") or {}).get("at")
    return hour_of(dt.datetime.fromisoformat(flagged)) + dt.timedelta(hours=1) if flagged else None


def _act(
    number: CallerNumber, reason: reasons.Reason | None, own: Figures, now: dt.datetime, resting: set
) -> list[tuple[str, int]]:
    if _judged_since(number) is not None and own.calls < settings.CALLER_HEALTH_MIN_CALLS:
        return []  # not enough calls since it was flagged to judge it again
    if reason is None:
        cleared = bool(number.health_flag) and do_clear_caller_number_flag(number, actor=DISPATCHER)
        return [("cleared", 1)] if cleared else []
    reason["params"]["at"] = now.isoformat()
    rest_until = now + dt.timedelta(minutes=settings.CALLER_REST_MINUTES) if number.pk in resting else None
    if do_flag_caller_number(number, reason, actor=DISPATCHER, rest_until=rest_until):
        return [("rested" if rest_until else "flagged", 1)]
    return []


def flag_text(number: CallerNumber) -> str:
    """The warning, and the rest if it is resting; "" when healthy."""
    if number.is_rested():
        until = timezone.localtime(number.rested_until).strftime("%Y-%m-%d %H:%M")
        return _("Resting until %(until)s. %(why)s") % {"until": until, "why": number.health_flag_text}
    if number.health_flag:
        return _("Answer rate dropped: %(why)s") % {"why": number.health_flag_text}
    return ""
