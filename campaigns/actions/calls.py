"""What an operator may do to calls."""

from __future__ import annotations

from django.db import transaction

from audit.actors import Actor
from campaigns import transitions


def do_settle_unknown_calls(call_ids: list[int], placed: bool, *, actor: Actor) -> int:
    """An operator's decision on calls whose outcome stayed unknown.

    placed=False: they were not placed, dial them again (same attempt). placed=True: treat
    them as made without an answer (failed; retried only if the campaign retries failures).
    Calls settled meanwhile (by a receipt) are left alone. Returns how many were settled; one
    audit event per campaign names them.
    """
    with transaction.atomic(durable=True):
        return transitions.do_settle_by_operator(list(call_ids), placed, actor)
