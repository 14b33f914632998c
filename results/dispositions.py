"""Final dispositions in AAPOR's terms, mapped from our outcomes in one table, and the stored
"rates cube" they are counted from.

AAPOR Standard Definitions (10th edition, 2023) sort every case into complete (I), partial
(P), refusal and break-off (R), non-contact (NC), other (O), unknown eligibility (UH: unknown
if there is a respondent on the line at all; UO: reached, unknown if eligible) and not eligible
(NE). `DISPOSITIONS` says where each of our outcomes goes; `results.rates` turns the groups
into response, cooperation, refusal and contact rates.

The rates cube is one GROUP BY over the campaign's calls, kept beside the dashboard's cube in
`ResultSnapshot.rates_cube` (refreshed with it): (contact list, latest attempt?, attempt
number, caller number, status, answer key, why withdrawn, script variant) →
count. Nothing here reads a call per row. (Per day comes from the dashboard's cube, whose UTC
hours sent turn into the campaign's local days without a time-zone conversion per call: that
conversion tripled this scan's time on a million calls.)
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, F, IntegerField, Value, When
from django.db.models.fields.json import KeyTextTransform
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from campaigns.models import Call, Campaign

S = Call.Status

# AAPOR groups, in the order the tables show them.
COMPLETE, PARTIAL, REFUSAL, NON_CONTACT, OTHER, UNKNOWN_HOUSEHOLD, UNKNOWN_OTHER, NOT_ELIGIBLE = (
    "I",
    "P",
    "R",
    "NC",
    "O",
    "UH",
    "UO",
    "NE",
)
GROUPS = (COMPLETE, PARTIAL, REFUSAL, NON_CONTACT, OTHER, UNKNOWN_HOUSEHOLD, UNKNOWN_OTHER, NOT_ELIGIBLE)

# The reason codes of withdrawn calls (campaigns.transitions.WITHDRAWN_BECAUSE) → our outcome.
WITHDRAWN = {"call.quota_full": "quota_full", "call.branch_not_taken": "off_branch"}


@dataclass(frozen=True)
class Disposition:
    outcome: str  # ours: a key of DISPOSITIONS
    code: str  # AAPOR's code
    group: str  # AAPOR's group (I, P, R, NC, O, UH, UO, NE)
    name: Promise


_TABLE = [
    Disposition("complete", "1.1", COMPLETE, _("Complete: answered with a menu key")),
    Disposition("partial", "1.2", PARTIAL, _("Partial: a survey broken off after its first answer")),
    Disposition("opted_out", "2.11", REFUSAL, _("Refusal: pressed the opt-out key")),
    Disposition("no_key", "3.21", UNKNOWN_OTHER, _("Answered without a key (a person or a machine)")),
    Disposition("no_answer", "3.13", UNKNOWN_HOUSEHOLD, _("No answer")),
    Disposition("busy", "3.12", UNKNOWN_HOUSEHOLD, _("Busy")),
    Disposition("unreachable", "3.16", UNKNOWN_HOUSEHOLD, _("Unreachable (switched off, out of service area)")),
    Disposition("failed", "3.16", UNKNOWN_HOUSEHOLD, _("Technical failure")),
    Disposition("unknown", "3.90", UNKNOWN_HOUSEHOLD, _("Outcome unknown (no receipt)")),
    Disposition("not_attempted", "3.11", UNKNOWN_HOUSEHOLD, _("Not attempted (yet)")),
    Disposition("invalid", "4.31", NOT_ELIGIBLE, _("Non-working number")),
    Disposition("dnc", "4.90", NOT_ELIGIBLE, _("On the do-not-call list: never dialled")),
    Disposition("quota_full", "4.80", NOT_ELIGIBLE, _("Quota filled: not dialled")),
    Disposition("off_branch", "4.90", NOT_ELIGIBLE, _("Not on this branch of the survey: not dialled")),
]
DISPOSITIONS: dict[str, Disposition] = {d.outcome: d for d in _TABLE}

_BY_STATUS = {
    S.NO_ANSWER: "no_answer",
    S.BUSY: "busy",
    S.UNREACHABLE: "unreachable",
    S.FAILED: "failed",
    S.UNKNOWN: "unknown",
    S.INVALID: "invalid",
    S.DNC: "dnc",
    S.QUEUED: "not_attempted",
    S.CLAIMED: "not_attempted",
    S.SENDING: "not_attempted",
    S.PLACED: "not_attempted",
    S.CANCELLED: "not_attempted",
}


def outcome_of(status: str, answer_key: str, withdrawn: str | None, opt_outs: frozenset[str]) -> str:
    """Our outcome for one call (a key of `DISPOSITIONS`); `withdrawn`: a cancelled call's reason code."""
    if status == S.ANSWERED:
        if not answer_key:
            return "no_key"
        return "opted_out" if answer_key in opt_outs else "complete"
    if status == S.CANCELLED and withdrawn in WITHDRAWN:
        return WITHDRAWN[withdrawn]
    return _BY_STATUS.get(status, "not_attempted")


def disposition_of(call: Call, opt_outs: frozenset[str]) -> Disposition:
    """The disposition of one call as it stands (an export's column)."""
    withdrawn = (call.note or {}).get("code") if call.status == S.CANCELLED else None
    return DISPOSITIONS[outcome_of(call.status, call.answer_key, withdrawn, opt_outs)]


# Rates cube row layout (WITHDRAWN_BY: a cancelled call's reason code, else None).
LIST, LATEST, ATTEMPT, CALLER, STATUS, KEY, WITHDRAWN_BY, VARIANT, N = range(9)
# The statuses of an attempt that was dialled (a case of its own per attempt, caller and day).
DIALLED = frozenset(
    {S.SENDING, S.PLACED, S.UNKNOWN, S.ANSWERED, S.NO_ANSWER, S.BUSY, S.UNREACHABLE, S.FAILED, S.INVALID}
)


def compute_rates_cube(campaign: Campaign) -> list[list]:
    """One scan of the campaign's calls, grouped; see the module docstring for the row layout."""
    list_ids = list(campaign.contact_lists.values_list("pk", flat=True))
    single = len(list_ids) == 1
    list_expr = Value(list_ids[0], output_field=IntegerField()) if single else F("contact__contact_list_id")
    rows = (
        Call.objects.filter(campaign=campaign)
        .annotate(
            lst=list_expr,
            withdrawn=Case(When(status=S.CANCELLED, then=KeyTextTransform("code", "note")), default=None),
        )
        .values_list("lst", "is_latest", "attempt", "caller_number_id", "status", "answer_key", "withdrawn", "variant")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [
        [lst, bool(latest), attempt, caller, status, key, withdrawn, variant, n]
        for lst, latest, attempt, caller, status, key, withdrawn, variant, n in rows
    ]
