"""What a campaign costs: an estimate before Start, and the spend so far.

Aliyun bills a call by the minute, a part minute rounded up (a third-party quote, about
¥0.10–0.11 per minute: `/work/shared/aliyun-ivrcall.md`). Each account has its price
(`VoiceAccount.price_per_minute`; blank, and the environment's account: VOICE_PRICE_PER_MINUTE).

- The estimate: the forecast's calls still to make × the minutes a call holds (the measured or
  expected holding time, rounded up) × the price of the caller numbers' accounts (weighted by
  their numbers' concurrency, which is how calls spread over them). Unanswered calls are
  usually not billed, so it is an upper estimate.
- The spend so far: the billed minutes of the receipts' durations, per account (counted with the
  result cube, `billed_minutes`, so a page reads no call) × each account's price now.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F, IntegerField, Sum
from django.db.models.functions import Cast

from campaigns.accounts import default_price, routes_by_account
from campaigns.models import Call, Campaign

DEFAULT_ACCOUNT = ""  # the key of the environment's account in `billed_minutes`
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Estimate:
    calls: int  # still to make, retries included (the forecast's)
    minutes_per_call: int  # billed: the holding time rounded up to whole minutes
    price_per_minute: Decimal  # yuan, weighted over the accounts of its caller numbers
    amount: Decimal  # yuan
    holding_measured: bool

    @property
    def price_text(self) -> str:
        """The price without trailing zeros (0.1, 0.105)."""
        return format(self.price_per_minute.normalize(), "f")


def billed_minutes(campaign: Campaign) -> dict[str, int]:
    """Whole minutes billed so far per account id (`DEFAULT_ACCOUNT`: the environment's), from
    the durations receipts reported: each call's rounded up. One aggregate over the calls."""
    rows = (
        Call.objects.filter(campaign=campaign, duration__gt=0)
        .values("caller_number__account_id")
        .annotate(minutes=Sum(Cast((F("duration") + 59) / 60, IntegerField())))
        .order_by()
    )
    return {
        DEFAULT_ACCOUNT if row["caller_number__account_id"] is None else str(row["caller_number__account_id"]): int(
            row["minutes"] or 0
        )
        for row in rows
    }


def spend(minutes_by_account: dict[str, int]) -> tuple[int, Decimal]:
    """(billed minutes, yuan) of `billed_minutes`' figures at each account's price now."""
    ids = {None if key == DEFAULT_ACCOUNT else int(key) for key in minutes_by_account}
    routes = routes_by_account(ids)
    total = Decimal(0)
    for key, minutes in minutes_by_account.items():
        route = routes.get(None if key == DEFAULT_ACCOUNT else int(key))
        total += minutes * (route.price_per_minute if route else default_price())
    return sum(minutes_by_account.values()), total.quantize(CENT, ROUND_HALF_UP)


def campaign_price(campaign: Campaign) -> Decimal:
    """The price per minute of the campaign's calls: its active caller numbers' accounts' prices,
    weighted by the numbers' concurrency (the environment's price when it has no number)."""
    numbers = [(n.account_id, n.configured_concurrency) for n in campaign.caller_numbers.filter(active=True)]
    if not numbers:
        return default_price()
    routes = routes_by_account({account for account, _cap in numbers})
    weight = sum(cap for _account, cap in numbers)
    price = sum(routes[account].price_per_minute * cap for account, cap in numbers) / weight
    return Decimal(price).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def estimate(campaign: Campaign, calls: int, holding_seconds: float, holding_measured: bool) -> Estimate:
    """The cost of `calls` more calls of the campaign, each holding `holding_seconds`."""
    minutes = max(1, math.ceil(holding_seconds / 60)) if calls else 0
    price = campaign_price(campaign)
    return Estimate(
        calls=calls,
        minutes_per_call=minutes,
        price_per_minute=price,
        amount=(calls * minutes * price).quantize(CENT, ROUND_HALF_UP),
        holding_measured=holding_measured,
    )


def forecast_estimate(campaign: Campaign, forecast) -> Estimate:
    """The estimate beside a forecast (`campaigns.forecast.Forecast`)."""
    return estimate(campaign, forecast.calls_left, forecast.holding_seconds, forecast.holding_measured)
