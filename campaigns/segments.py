"""Segments: the contacts of a campaign grouped by how their latest call ended.

A segment is an answer label (`answer:不满意`), a final status (`status:no_answer`) or
`status:no_key` (answered without pressing a menu key). Membership is decided by each
contact's latest attempt only (`Call.is_latest`), so a contact retried three times is in
exactly one outcome segment. Several segments together mean their union.

Segments are written as `kind:value` strings in URLs, forms and the database
(`Campaign.followup_segments`); the command line takes `--answer LABEL` / `--status NAME`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from campaigns.models import Call, Campaign

S = Call.Status
ANSWER = "answer"
STATUS = "status"
NO_KEY = "no_key"
# The final statuses a segment may name, in the order the dashboard lists them.
SEGMENT_STATUSES = ("answered", "no_answer", "busy", "unreachable", "failed", "invalid", "unknown", NO_KEY)


@dataclass(frozen=True)
class Segment:
    kind: str  # ANSWER or STATUS
    value: str  # an answer label, or one of SEGMENT_STATUSES

    @classmethod
    def parse(cls, code: str) -> Segment:
        """`answer:LABEL` or `status:NAME`; ValidationError on anything else."""
        kind, sep, value = (code or "").partition(":")
        if not sep or kind not in (ANSWER, STATUS) or not value or "\x00" in value:  # no label holds NUL
            raise ValidationError(_("Unknown segment “%(code)s”.") % {"code": code.replace("\x00", "")})
        if kind == STATUS and value not in SEGMENT_STATUSES:
            raise ValidationError(
                _("Unknown status “%(name)s”; one of: %(names)s.")
                % {"name": value, "names": ", ".join(SEGMENT_STATUSES)}
            )
        return cls(kind, value)

    @property
    def code(self) -> str:
        return f"{self.kind}:{self.value}"

    def q(self) -> Q:
        """The condition on a Call (to combine with is_latest=True): the one definition of the
        segment, for the changelist filter, exports and the follow-up copy alike."""
        if self.kind == ANSWER:
            return Q(status=S.ANSWERED, answer_label=self.value)
        if self.value == NO_KEY:
            return Q(status=S.ANSWERED, answer_key="")
        return Q(status=self.value)

    def label(self) -> str:
        if self.kind == ANSWER:
            return _("Answer: %(label)s") % {"label": self.value}
        if self.value == NO_KEY:
            return _("Answered without a menu key")
        return capfirst(str(S(self.value).label))


def parse_all(codes: list[str]) -> list[Segment]:
    """Distinct segments from their codes, in the order given; at least one."""
    segments = list(dict.fromkeys(Segment.parse(code) for code in codes))
    if not segments:
        raise ValidationError(_("Pick at least one segment."))
    return segments


def from_options(answers: list[str] | None = None, statuses: list[str] | None = None) -> list[Segment]:
    """Segments from the command line's `--answer` / `--status` values."""
    return parse_all([f"{ANSWER}:{a}" for a in answers or []] + [f"{STATUS}:{s}" for s in statuses or []])


def describe(segments: list[Segment]) -> str:
    return ", ".join(s.label() for s in segments)


def segment_calls(campaign: Campaign, segments: list[Segment]) -> QuerySet[Call]:
    """The latest calls of the campaign's contacts that fall in any of the segments."""
    condition = Q()
    for segment in segments:
        condition |= segment.q()
    return Call.objects.filter(campaign=campaign, is_latest=True).filter(condition)


def menu_labels(campaign: Campaign) -> list[tuple[str, str]]:
    """(key, label) of the campaign's menu options: the frozen copy once started."""
    return [(o["key"], o["label"]) for o in campaign.menu_options]


def counts_from_latest(campaign: Campaign, latest: list[tuple[str, str, int]]) -> list[dict]:
    """Every segment of the campaign with its contact count.

    `latest` holds (status, answer key, count) over the latest attempts — e.g. from the
    dashboard's stored cube, so a million calls cost nothing more here. Labels come from
    the frozen menu (key → label is one to one there).
    """
    by_status: Counter = Counter()
    by_key: Counter = Counter()
    for status, key, n in latest:
        by_status[status] += n
        if status == S.ANSWERED:
            by_key[key] += n
    rows = []
    for key, label in menu_labels(campaign):
        rows.append({"segment": Segment(ANSWER, label), "count": by_key[key], "key": key})
    for name in SEGMENT_STATUSES:
        count = by_key[""] if name == NO_KEY else by_status[name]
        rows.append({"segment": Segment(STATUS, name), "count": count, "key": None})
    for row in rows:
        row["code"] = row["segment"].code
        row["label"] = row["segment"].label()
    return rows


def counts(campaign: Campaign) -> list[dict]:
    """`counts_from_latest` straight from the calls (one GROUP BY)."""
    latest = (
        Call.objects.filter(campaign=campaign, is_latest=True)
        .values_list("status", "answer_key")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return counts_from_latest(campaign, list(latest))
