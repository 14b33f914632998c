"""Capacity forecast: how fast a campaign can dial, what limits it, and when it finishes.

`estimate` is pure arithmetic over its arguments (tested against hand-computed cases);
`campaign_forecast` gathers those arguments for a campaign from the database.

The bound on calls/s is the smallest of
- the QPS budgets of the accounts its caller numbers belong to (summed),
- its caller numbers' concurrency: Σ max concurrent calls ÷ mean holding time (a number is
  busy from the request until the call ends), by Little's law,
- its own max calls per second, if set.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from django.conf import settings

from campaigns import times
from campaigns.window import CallingWindow, DailyHours

ACCOUNT = "account"
CALLER_NUMBERS = "caller_numbers"
CAMPAIGN = "campaign"
# The campaign's own calls replace its defaults once it has this many.
MIN_SAMPLES = 20
SAMPLE_SIZE = 500


@dataclass(frozen=True)
class Forecast:
    bound_qps: float
    binds: str  # ACCOUNT, CALLER_NUMBERS or CAMPAIGN
    account_qps: float
    concurrency_qps: float
    campaign_qps: float | None
    caller_numbers: int
    concurrent_calls: int
    holding_seconds: float
    holding_measured: bool
    retry_share: float
    retry_share_measured: bool
    calls_left: int  # expected requests still to send, retries included
    seconds_needed: float  # of open window at the bound
    window_seconds_left_today: float
    window_days: int  # distinct local days with calling time used until the finish
    opens_at: dt.datetime | None  # when dialling can start or go on (now, or the next open moment)
    paused: bool  # a paused campaign has no expected finish
    finish_at: dt.datetime | None  # in the campaign's zone; None: paused, or not before its end / the horizon
    unfinished_at_end: int  # calls the window's end date leaves undone
    own_hours_contacts: list[dict]  # calls of contacts with their own hours: {"hours", "calls"}
    outside_window: int  # contacts whose own hours never meet the window: never dialled
    outside_window_hours: list[dict]  # those contacts by their hours: {"hours", "contacts"}
    no_local_number: int = 0  # local only: calls to people with no caller number near them (they wait)
    held_back: int = 0  # sample release: calls held back until quotas release them (not in calls_left)

    def as_json(self) -> dict:
        data = asdict(self)
        data["finish_at"] = self.finish_at.isoformat() if self.finish_at else None
        data["opens_at"] = self.opens_at.isoformat() if self.opens_at else None
        for key in ("bound_qps", "account_qps", "concurrency_qps", "holding_seconds", "seconds_needed"):
            data[key] = round(data[key], 2)
        data["retry_share"] = round(self.retry_share, 3)
        data["window_seconds_left_today"] = round(self.window_seconds_left_today)
        return data


def expected_dials(attempt: int, max_attempts: int, retry_share: float, already_sent: bool) -> float:
    """Requests a contact whose latest call is attempt `attempt` still needs on average: this
    one (unless already sent) plus each later attempt, reached with probability retry_share^k."""
    first = 1 if already_sent else 0
    return sum(retry_share**k for k in range(first, max(0, max_attempts - attempt) + 1))


def _walk(
    window: CallingWindow, now: dt.datetime, seconds: float
) -> tuple[dt.datetime | None, set[dt.date], float, float]:
    """Spend `seconds` of the window's open time from `now`: (when they are spent, or None before
    its end / the horizon; the local dates used; the seconds left over; the open time left today)."""
    left_today = 0.0
    today = now.astimezone(window.zone).date()
    finish: dt.datetime | None = now if seconds <= 0 else None
    days: set[dt.date] = set()
    for index, (begin, end) in enumerate(window.intervals(now)):
        if index == 0 and (begin <= now or begin.astimezone(window.zone).date() == today):
            left_today = (end - begin).total_seconds()
        if finish is not None:
            break
        span = (end - begin).total_seconds()
        days.add(begin.astimezone(window.zone).date())
        if span >= seconds:
            finish = begin + dt.timedelta(seconds=seconds)
            seconds = 0
            break
        seconds -= span
    return finish, days, seconds, left_today


def estimate(
    *,
    now: dt.datetime,
    window: CallingWindow,
    calls_left: float,
    account_qps: float,
    concurrent_calls: int,
    holding_seconds: float,
    campaign_qps: float | None = None,
    caller_numbers: int = 0,
    holding_measured: bool = False,
    retry_share: float = 0.0,
    retry_share_measured: bool = False,
    own_hours: Sequence[tuple[DailyHours, float]] = (),
    outside: Sequence[tuple[DailyHours, int]] = (),
    paused: bool = False,
    no_local_number: int = 0,
    held_back: int = 0,
) -> Forecast:
    """The forecast from plain figures; `calls_left` already includes the expected retries.

    `own_hours` holds the calls (among `calls_left`) of contacts with their own hours, by those
    hours: each group can only be dialled when the window and its hours are both open, so the
    finish is the latest of the whole lot's at the bound and each group's in its narrower window
    (as if it had the whole bound to itself then: a lower bound). `outside_window` contacts have
    hours that never meet the window (`outside`, by hours): they are never dialled and are not in `calls_left`.
    """
    concurrency_qps = concurrent_calls / holding_seconds if holding_seconds > 0 else math.inf
    candidates = [(account_qps, ACCOUNT), (concurrency_qps, CALLER_NUMBERS)]
    if campaign_qps:
        candidates.append((float(campaign_qps), CAMPAIGN))
    bound, binds = min(candidates, key=lambda c: c[0])  # first wins a tie: the account
    seconds_needed = calls_left / bound if bound > 0 else math.inf

    finish, days, remaining, left_today = _walk(window, now, seconds_needed)
    unfinished = 0 if finish or remaining <= 0 else math.ceil(remaining * bound) if bound > 0 else int(calls_left)
    for hours, calls in own_hours:
        own_finish, own_days, own_remaining, _today = _walk(
            window.for_contact(hours), now, calls / bound if bound > 0 else math.inf
        )
        days |= own_days
        if own_finish is None:
            unfinished += math.ceil(own_remaining * bound)
        if finish is not None:
            finish = max(finish, own_finish) if own_finish else None
    opens = window.next_open(now)
    return Forecast(
        bound_qps=bound if bound != math.inf else 0.0,
        binds=binds,
        account_qps=account_qps,
        concurrency_qps=concurrency_qps if concurrency_qps != math.inf else 0.0,
        campaign_qps=float(campaign_qps) if campaign_qps else None,
        caller_numbers=caller_numbers,
        concurrent_calls=concurrent_calls,
        holding_seconds=holding_seconds,
        holding_measured=holding_measured,
        retry_share=retry_share,
        retry_share_measured=retry_share_measured,
        calls_left=math.ceil(calls_left),
        seconds_needed=seconds_needed if seconds_needed != math.inf else 0.0,
        window_seconds_left_today=left_today,
        window_days=len(days),
        opens_at=opens.astimezone(window.zone) if opens else None,
        paused=paused,
        finish_at=finish.astimezone(window.zone) if finish and not paused else None,
        unfinished_at_end=0 if paused else unfinished,
        own_hours_contacts=[{"hours": str(hours), "calls": math.ceil(calls)} for hours, calls in own_hours],
        outside_window=sum(n for _hours, n in outside),
        outside_window_hours=[{"hours": str(hours), "contacts": n} for hours, n in outside],
        no_local_number=no_local_number,
        held_back=held_back,
    )


# --- from the database ------------------------------------------------------------------


# A running campaign is measured without reading its calls (a page may show a 10 M-call
# campaign): counts of its contacts' latest attempts come from the stored results cube, the
# send rate from the per-minute counters in Redis.


def holding_from_receipts(campaign) -> float | None:
    """Mean time a call held its number, from our request to the end its receipt reports, over
    up to SAMPLE_SIZE of the campaign's ended calls (None below MIN_SAMPLES). Any sample will
    do, so the index on (campaign, latest, status) stops at SAMPLE_SIZE rows without a sort.
    Read when the result cube is refreshed and kept with it (`results.aggregates`), so pages
    showing the forecast read no call."""
    from campaigns.models import Call

    S = Call.Status
    ended = Call.objects.filter(
        campaign=campaign,
        is_latest=True,
        status__in=(S.ANSWERED, S.NO_ANSWER, S.BUSY, S.UNREACHABLE, S.FAILED),
        sent_at__isnull=False,
        ended_at__isnull=False,
    ).values_list("sent_at", "ended_at")[:SAMPLE_SIZE]
    # A receipt's end time has whole seconds: a call shorter than that may seem to end first.
    spans = [max(0.0, (end - sent).total_seconds()) for sent, end in ended]
    return sum(spans) / len(spans) if len(spans) >= MIN_SAMPLES else None


def measured_holding_seconds(in_flight: int, rate: float | None) -> float | None:
    """Mean time a call holds its number, by Little's law: calls in flight ÷ calls/s sent."""
    if not rate or rate < 0.1 or in_flight < MIN_SAMPLES:
        return None
    return in_flight / rate


def measured_retry_share(by_status: dict[str, int], retry_outcomes: list[str]) -> float | None:
    """Share of the finished latest attempts whose outcome the campaign retries."""
    from campaigns.models import Call

    S = Call.Status
    finished = sum(by_status.get(s, 0) for s in (S.ANSWERED, S.NO_ANSWER, S.BUSY, S.UNREACHABLE, S.FAILED))
    if finished < MIN_SAMPLES:
        return None
    return sum(by_status.get(s, 0) for s in retry_outcomes) / finished


def remaining_dials(campaign, by_status: dict[str, int], retry_share: float) -> float:
    """Expected requests still to send: pending contacts' calls and their expected retries
    (each pending contact counted as on its first attempt: the cube keeps no attempt numbers)."""
    from campaigns.enrolment import numbers_to_call
    from campaigns.models import Call

    S = Call.Status
    if campaign.state == campaign.State.DRAFT:
        contacts = numbers_to_call(campaign)
        return contacts * expected_dials(1, campaign.max_attempts, retry_share, already_sent=False)
    if campaign.state in (campaign.State.COMPLETED, campaign.State.CANCELLED):
        return 0.0
    unsent = sum(by_status.get(s, 0) for s in (S.QUEUED, S.CLAIMED))
    sent = sum(by_status.get(s, 0) for s in (S.SENDING, S.PLACED, S.UNKNOWN))
    return unsent * expected_dials(1, campaign.max_attempts, retry_share, already_sent=False) + sent * (
        expected_dials(1, campaign.max_attempts, retry_share, already_sent=True)
    )


def campaign_forecast(campaign, now: dt.datetime | None = None) -> Forecast:
    from django.utils import timezone

    from campaigns.accounts import routes_by_account
    from campaigns.contacts.contact_hours import from_json, own_hours_counts
    from campaigns.models import Call

    now = now or timezone.now()
    numbers = [(n.account_id, n.concurrency(now)) for n in campaign.caller_numbers.filter(active=True)]
    routes = routes_by_account({account for account, _cap in numbers})
    holding = share = None
    by_status: dict[str, int] = {}
    if campaign.state == campaign.State.DRAFT:
        hours_counts = own_hours_counts(campaign)
    else:
        from results.aggregates import progress

        figures = progress(campaign, now)
        by_status = figures["by_status"]
        in_flight = by_status.get(Call.Status.SENDING, 0) + by_status.get(Call.Status.PLACED, 0)
        holding = figures["holding_seconds"]
        hours_counts = from_json(figures["own_hours"])
        if holding is None:
            holding = measured_holding_seconds(in_flight, live_rate(campaign, now))
        share = measured_retry_share(by_status, campaign.retry_outcomes or [])
    retry_share = share if share is not None else settings.FORECAST_RETRY_SHARE
    if not campaign.retry_outcomes or campaign.max_attempts <= 1:
        retry_share = 0.0
    per_contact = expected_dials(1, campaign.max_attempts, retry_share, already_sent=False)
    own_hours, outside = [], []
    window = campaign.window
    if campaign.state not in (campaign.State.COMPLETED, campaign.State.CANCELLED):
        for hours, contacts in hours_counts:
            if window.for_contact(hours).contact_hours_meet():
                own_hours.append((hours, contacts * per_contact))
            else:
                outside.append((hours, contacts))
    never = sum(n for _hours, n in outside)
    from campaigns.quotas import held_back

    held = held_back(campaign)
    calls_left = max(0.0, remaining_dials(campaign, by_status, retry_share) - (never + held) * per_contact)
    no_local = 0.0
    if campaign.local_presence == campaign.LocalPresence.ONLY:
        no_local = calls_left * share_without_local_number(campaign)
    return estimate(
        now=now,
        window=window,
        calls_left=calls_left - no_local,
        no_local_number=math.ceil(no_local),
        held_back=held,
        account_qps=float(sum(route.qps for route in routes.values())),
        concurrent_calls=sum(cap for _account, cap in numbers),
        holding_seconds=holding or float(campaign.expected_call_seconds),
        campaign_qps=campaign.max_qps,
        caller_numbers=len(numbers),
        holding_measured=holding is not None,
        retry_share=retry_share,
        retry_share_measured=share is not None,
        own_hours=own_hours,
        outside=outside,
        paused=campaign.state == campaign.State.PAUSED,
    )


def share_without_local_number(campaign) -> float:
    """Local only: the share of the people still to call with no active caller number in their city
    or province (they wait for one), from a sample of SAMPLE_SIZE of them (regions: by prefix)."""
    from campaigns import regions
    from campaigns.models import Call, Contact

    places = campaign.caller_numbers.filter(active=True).values_list("province", "city")
    provinces, cities = {p for p, _c in places if p}, {c for _p, c in places if c}
    if campaign.state == campaign.State.DRAFT:
        phones = Contact.objects.filter(contact_list__in=campaign.contact_lists.all()).values_list("phone", flat=True)
    else:
        phones = Call.objects.filter(campaign=campaign, status=Call.Status.QUEUED).values_list("phone", flat=True)
    sample = [regions.region_of(phone) for phone in phones[:SAMPLE_SIZE]]
    if not sample:
        return 0.0
    return sum(r.city not in cities and r.province not in provinces for r in sample) / len(sample)


def live_rate(campaign, now: dt.datetime | None = None) -> float | None:
    """Requests the campaign sent per second over the last minute (None when Redis is away)."""
    import redis
    from django.utils import timezone

    from campaigns.dialling.rates import last_minute_rate

    try:
        return last_minute_rate(campaign.pk, now or timezone.now())
    except redis.RedisError:
        return None


def duration_text(seconds: float) -> str:
    from django.utils.translation import gettext as _

    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    if hours >= 48:
        return _("%(days).1f days") % {"days": hours / 24}
    if hours:
        return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


def summary(forecast: Forecast, window: CallingWindow, now: dt.datetime | None = None) -> dict:
    """What the campaign page says about a forecast, translated."""
    from django.utils import timezone
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    now = now or timezone.now()
    window_hours = window.hours.hours
    binds = {
        ACCOUNT: _("the accounts' QPS budget"),
        CALLER_NUMBERS: _("the caller numbers' concurrency"),
        CAMPAIGN: _("this campaign's own max calls per second"),
    }[forecast.binds]
    windows = ngettext(
        "%(days)d day of %(hours)s-hour windows", "%(days)d days of %(hours)s-hour windows", forecast.window_days
    ) % {"days": forecast.window_days, "hours": f"{window_hours:g}"}
    sentence = ngettext(
        "With %(numbers)d number at %(concurrent)d concurrent calls in all and ~%(holding)d s calls, "
        "%(calls)s calls take about %(needed)s of calling (%(windows)s).",
        "With %(numbers)d numbers at %(concurrent)d concurrent calls in all and ~%(holding)d s calls, "
        "%(calls)s calls take about %(needed)s of calling (%(windows)s).",
        forecast.caller_numbers,
    ) % {
        "numbers": forecast.caller_numbers,
        "concurrent": forecast.concurrent_calls,
        "holding": round(forecast.holding_seconds),
        "calls": f"{forecast.calls_left:,}",
        "needed": duration_text(forecast.seconds_needed),
        "windows": windows,
    }
    warning = ""
    if forecast.binds == CALLER_NUMBERS:
        warning = _(
            "The caller numbers, not the account, are the bottleneck: %(bound).1f calls/s of the accounts' "
            "%(account)g. Add caller numbers or raise their max concurrent calls to dial faster."
        ) % {"bound": forecast.bound_qps, "account": forecast.account_qps}
    notes = []
    if forecast.paused:
        notes.append(_("Paused: no expected finish until it is resumed."))
    if forecast.opens_at and forecast.opens_at > now:
        notes.append(
            _("The calling window is closed now; dialling starts %(when)s.")
            % {"when": times.stamp(forecast.opens_at, window.zone)}
        )
    if forecast.no_local_number:
        notes.append(
            _(
                "About %(calls)s calls are to people with no caller number in their city or province: "
                "the campaign calls from local numbers only, so they wait (add numbers there, or choose local first)."
            )
            % {"calls": f"{forecast.no_local_number:,}"}
        )
    if forecast.held_back:
        notes.append(
            ngettext(
                "%(calls)s call is held back by sample release and not counted here: quotas release it if needed.",
                "%(calls)s calls are held back by sample release and not counted here: quotas release them if needed.",
                forecast.held_back,
            )
            % {"calls": f"{forecast.held_back:,}"}
        )
    for group in forecast.own_hours_contacts:
        notes.append(
            _("%(calls)s calls are to contacts who asked to be called %(hours)s only; the finish allows for them.")
            % {"calls": f"{group['calls']:,}", "hours": group["hours"]}
        )
    return {
        "notes": notes,
        "outside_window": outside_window_messages(forecast.outside_window_hours, window),
        "binds": binds,
        "sentence": sentence,
        "warning": warning,
        "left_today": duration_text(forecast.window_seconds_left_today),
        "holding_source": _("measured from this campaign's calls")
        if forecast.holding_measured
        else _("expected call length, until calls measure it"),
    }


def outside_window_messages(groups: list[dict], window: CallingWindow) -> list[str]:
    """One sentence per hours of contacts that never meet the window (`{"hours", "contacts"}`)."""
    from django.utils.translation import ngettext

    return [
        ngettext(
            "%(count)d contact asked to be called %(hours)s only, which never meets the calling window "
            "(%(window)s): it will not be called.",
            "%(count)d contacts asked to be called %(hours)s only, which never meets the calling window "
            "(%(window)s): they will not be called.",
            group["contacts"],
        )
        % {"count": group["contacts"], "hours": group["hours"], "window": str(window.hours)}
        for group in groups
    ]
