"""Aliyun accounts: their key pairs, endpoints and request budgets."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from audit.actors import Actor
from audit.record import HIDDEN, diff, record
from campaigns.accounts import VoiceAccount, mask

AUDITED = ("access_key_id", "qps", "endpoint", "price_per_minute")


def _audited(values: dict) -> dict:
    return {**values, "access_key_id": mask(values["access_key_id"])}


def do_save_account(
    name: str,
    *,
    access_key_id: str,
    secret: str,
    actor: Actor,
    qps: int | None = None,
    endpoint: str | None = None,
    price_per_minute: Decimal | None = None,
) -> tuple[VoiceAccount, bool]:
    """Add the account, or give an existing one of that name a new key pair (and QPS or endpoint
    when given). Raises ValidationError (nothing saved) on bad values. Returns (account, created).
    The event says what changed, the key ID masked and the secret only as changed."""
    account = VoiceAccount.objects.filter(name=name).first() or VoiceAccount(name=name)
    created = account.pk is None
    before = {} if created else _audited({field: getattr(account, field) for field in AUDITED})
    account.access_key_id = access_key_id.strip()
    if qps is not None:
        account.qps = qps
    if endpoint:
        account.endpoint = endpoint
    if price_per_minute is not None:
        account.price_per_minute = price_per_minute
    account.set_secret(secret.strip())
    account.full_clean()
    with transaction.atomic(durable=True):
        account.save()
        after = _audited({field: getattr(account, field) for field in AUDITED})
        changes = {**diff(before, after), "secret": [None if created else HIDDEN, HIDDEN]}
        record(actor, "account.added" if created else "account.changed", account, changes=changes)
    return account, created
