"""Every change of a call's status and of a campaign's state, and nothing else.

This package is the one place to read the state machine (README "How it works" has the
diagram): `table` (which states each event accepts), `campaigns` (a campaign's state),
`dialling` (a call on the dispatcher's path), `settling` (a sent call settled, and what follows).
Each `do_*` function is one event: an UPDATE conditional on the state(s) it accepts, so the
row count says whether it happened, with its side effects (retries, completion,
do-not-call, pausing) in the same transaction. `CALL_TRANSITIONS` and
`CAMPAIGN_TRANSITIONS` are the tables the functions filter on; a test drives every
event from every state through them.

Callers decide *what* happened (dispatch: what the API said; receipts: what the receipts
say; actions: what the operator chose); this module decides whether it may happen now.
"""

from __future__ import annotations

from campaigns.transitions.campaigns import (
    _ENROL_SQL,
    do_cancel_campaign,
    do_complete_campaign,
    do_enrol_contacts,
    do_finish_enrolment,
    do_pause_campaign,
    do_resume_campaign,
    do_start_campaign,
)
from campaigns.transitions.dialling import (
    do_claim_calls,
    do_defer_call,
    do_defer_call_and_pause,
    do_defer_claimed_calls,
    do_expire_calls,
    do_lose_call,
    do_place_call,
    do_place_calls,
    do_recover_dead_claims,
    do_recover_stale,
    do_reject_call,
    do_release_calls,
    do_send_call,
    do_settle_outside_hours,
)
from campaigns.transitions.settling import (
    RECEIPT_FIELDS,
    WITHDRAWN_BECAUSE,
    after_calls_settled,
    do_opt_out_calls,
    do_requeue_refused,
    do_retry_calls,
    do_settle_by_operator,
    do_settle_by_query,
    do_settle_by_receipts,
    do_withdraw_calls,
    do_withdraw_retries,
    should_retry,
)
from campaigns.transitions.table import (
    CALL_TRANSITIONS,
    CAMPAIGN_TRANSITIONS,
    RECEIPT_OUTCOMES,
    SENT,
    Transition,
    _from,
    lock_in_id_order,
)

__all__ = [
    "CALL_TRANSITIONS",
    "CAMPAIGN_TRANSITIONS",
    "RECEIPT_FIELDS",
    "RECEIPT_OUTCOMES",
    "SENT",
    "WITHDRAWN_BECAUSE",
    "_ENROL_SQL",
    "Transition",
    "_from",
    "after_calls_settled",
    "do_cancel_campaign",
    "do_claim_calls",
    "do_complete_campaign",
    "do_defer_call",
    "do_defer_call_and_pause",
    "do_defer_claimed_calls",
    "do_enrol_contacts",
    "do_expire_calls",
    "do_finish_enrolment",
    "do_lose_call",
    "do_opt_out_calls",
    "do_pause_campaign",
    "do_place_call",
    "do_place_calls",
    "do_recover_dead_claims",
    "do_recover_stale",
    "do_reject_call",
    "do_release_calls",
    "do_requeue_refused",
    "do_resume_campaign",
    "do_retry_calls",
    "do_send_call",
    "do_settle_by_operator",
    "do_settle_by_query",
    "do_settle_by_receipts",
    "do_settle_outside_hours",
    "do_start_campaign",
    "do_withdraw_calls",
    "do_withdraw_retries",
    "lock_in_id_order",
    "should_retry",
]
