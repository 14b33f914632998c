"""Follow-up campaigns: call a result segment of an earlier campaign again.

`create_followup` makes a new *draft* campaign (same caller numbers, window and retry
policy unless overridden) and a new contact list holding exactly the contacts whose latest
call falls in the chosen segments, with their variables. Do-not-call numbers are never
carried over (flagged contacts, the do-not-call list at the time of copying).

The copy is set-based (`INSERT … SELECT`, in a few slices of call ids so progress can be shown):
segments up to `settings.FOLLOWUP_INLINE_LIMIT` contacts are copied in the request, bigger
ones by an RQ job (`run_followup_build`) while the new campaign's page shows progress. A
follow-up cannot start before its copy is done (`start_problems`).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import BooleanField, DateTimeField, Exists, IntegerField, Max, Min, OuterRef, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actors import Actor
from audit.record import record
from campaigns import background, reasons, webhook_events
from campaigns.contacts.variables import read_variable_names, variable_names_of
from campaigns.models import Call, CallerNumber, Campaign, ContactList, DoNotCall, FollowupBuild, MenuTemplate
from campaigns.segments import Segment, describe, segment_calls

log = logging.getLogger(__name__)

# A big copy runs as SLICES statements over ranges of call ids, for progress to show. Each
# statement rescans the segment's index entries (measured: 20 slices of 300,000 calls cost
# 3× one statement), so a few wide slices, and one for anything up to MIN_SLICE ids.
SLICES = 5
MIN_SLICE = 200_000

# The SELECT is the segment's own query (`campaigns.segments.segment_calls`), compiled by the ORM.
_COPY_SQL = (
    "INSERT INTO campaigns_contact (contact_list_id, phone, name, variables, do_not_call, created_at, updated_at) "
)
# A number flagged do-not-call in another list of the source campaign since it started: one
# pass at the end (the flag has no index, so not a scan per slice).
_DROP_FLAGGED_SQL = """
DELETE FROM campaigns_contact
WHERE contact_list_id = %s AND phone IN (
    SELECT o.phone FROM campaigns_contact o
    WHERE o.do_not_call = %s
      AND o.contact_list_id IN (SELECT contactlist_id FROM campaigns_campaign_contact_lists WHERE campaign_id = %s)
)
"""


def default_list_name(source: Campaign, name: str) -> str:
    """`<follow-up name> (follow-up of #<source id>)`, numbered if that list name is taken."""
    base = _("%(name)s (follow-up of #%(id)d)") % {"name": name, "id": source.pk}
    candidate, n = base[:200], 2
    while ContactList.objects.filter(name=candidate).exists():
        suffix = f" ({n})"
        candidate, n = base[: 200 - len(suffix)] + suffix, n + 1
    return candidate


def create_followup(
    source: Campaign,
    name: str,
    segments: list[Segment],
    *,
    menu: MenuTemplate | None = None,
    list_name: str = "",
    caller_numbers: list[CallerNumber] | None = None,
    daily_start: dt.time | None = None,
    daily_end: dt.time | None = None,
    max_attempts: int | None = None,
    retry_delay_seconds: int | None = None,
    background: bool | None = None,
    actor: Actor,
) -> Campaign:
    """Create the draft follow-up and its list, then copy the contacts (now, or by a worker).

    `background=None` decides by size. Raises ValidationError (nothing created) on bad input.
    """
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Give the follow-up campaign a name."))
    if source.state == Campaign.State.DRAFT:
        raise ValidationError(_("Campaign “%(name)s” has not started: it has no results yet.") % {"name": source.name})
    if not segments:
        raise ValidationError(_("Pick at least one segment."))
    total = segment_calls(source, segments).count()
    if not total:
        raise ValidationError(
            _("No contact of “%(name)s” is in %(segments)s.") % {"name": source.name, "segments": describe(segments)}
        )
    list_name = (list_name or "").strip()
    if list_name and ContactList.objects.filter(name=list_name).exists():
        raise ValidationError(_("A contact list named “%(name)s” already exists.") % {"name": list_name})
    followup = Campaign(
        name=name,
        menu=menu or source.menu,
        timezone=source.timezone,
        daily_start=source.daily_start if daily_start is None else daily_start,
        daily_end=source.daily_end if daily_end is None else daily_end,
        weekdays=source.weekdays,
        max_qps=source.max_qps,
        max_attempts=source.max_attempts if max_attempts is None else max_attempts,
        retry_delay_seconds=source.retry_delay_seconds if retry_delay_seconds is None else retry_delay_seconds,
        retry_outcomes=source.retry_outcomes,
        # What the calls are for, and what the callees were promised: a follow-up of a marketing
        # campaign is marketing (consent, opt-out key), and keeps its source's retention period.
        purpose=source.purpose,
        retention_days=source.retention_days,
        dial_on_no_call_days=source.dial_on_no_call_days,
        local_presence=source.local_presence,
        rest_unhealthy_numbers=source.rest_unhealthy_numbers,
        followup_of=source,
        followup_segments=[s.code for s in segments],
    )
    followup.full_clean(exclude=["menu_snapshot"])
    with transaction.atomic():
        contact_list = ContactList.objects.create(
            name=list_name or default_list_name(source, name),
            description=_("Contacts of “%(campaign)s” in: %(segments)s.")
            % {"campaign": source.name, "segments": describe(segments)},
        )
        followup.save()
        followup.contact_lists.set([contact_list])
        followup.caller_numbers.set(caller_numbers if caller_numbers is not None else source.caller_numbers.all())
        build = FollowupBuild.objects.create(campaign=followup, contact_list=contact_list, total=total)
        record(
            actor,
            "followup.created",
            followup,
            changes={"followup_of": [None, source.pk], "segments": [None, followup.followup_segments]},
            rows=total,
        )
    if background is None:
        background = total > settings.FOLLOWUP_INLINE_LIMIT
    if background:
        enqueue_build(build)
    else:
        run_followup_build(build.pk)
    followup.refresh_from_db()
    log.info("follow-up %s of campaign %s: %s contacts in the segments", followup.pk, source.pk, total)
    return followup


def segments_of(campaign: Campaign) -> list[Segment]:
    return [Segment.parse(code) for code in campaign.followup_segments]


def copy_slices(build: FollowupBuild, progress=None) -> int:
    """Copy the segment's contacts into the build's list, one slice of call ids per statement."""
    followup = build.campaign
    source = followup.followup_of
    segment = segment_calls(source, segments_of(followup))
    bounds = Call.objects.filter(campaign=source, is_latest=True).aggregate(lo=Min("pk"), hi=Max("pk"))
    if bounds["lo"] is None:
        return 0
    now = timezone.now()
    copied = 0
    span = bounds["hi"] - bounds["lo"] + 1
    width = max(MIN_SLICE, -(-span // SLICES))
    start = bounds["lo"] - 1
    while start < bounds["hi"]:
        end = start + width
        select, params = copy_rows(segment.filter(pk__gt=start, pk__lte=end), build.contact_list_id, now)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_COPY_SQL + select, params)
            copied += cursor.rowcount
        if progress is not None:
            progress(copied, min(1.0, (end - bounds["lo"] + 1) / span))
        start = end
    with connection.cursor() as cursor:
        cursor.execute(_DROP_FLAGGED_SQL, [build.contact_list_id, True, source.pk])
        copied -= cursor.rowcount
    return copied


def copy_rows(calls: QuerySet[Call], contact_list_id: int, now: dt.datetime) -> tuple[str, tuple]:
    """The SELECT of the new list's contacts from these calls (never a do-not-call number), in
    `_COPY_SQL`'s column order, with its parameters."""
    rows = (
        calls.filter(contact__do_not_call=False)
        .exclude(Exists(DoNotCall.objects.blocking(now).filter(phone=OuterRef("phone"))))
        .annotate(
            list_id=Value(contact_list_id, output_field=IntegerField()),
            flag=Value(False, output_field=BooleanField()),
            stamp=Value(now, output_field=DateTimeField()),
        )
        .values_list("list_id", "phone", "contact__name", "contact__variables", "flag", "stamp", "stamp")
        .order_by()
    )
    return rows.query.sql_with_params()


def enqueue_build(build: FollowupBuild) -> None:
    """Queue the copy on the `imports` RQ queue once the current transaction commits."""
    background.enqueue_on_commit("imports", run_followup_build, build.pk, job_timeout=3 * 3600)


def run_followup_build(build_id: int) -> None:
    """Copy the contacts (the RQ job, or inline for small segments), recording progress."""
    build = FollowupBuild.objects.select_related("campaign__followup_of").get(pk=build_id)
    if build.status == FollowupBuild.Status.DONE:
        return
    build.mark_running()
    # A rerun after a failure starts from an empty list.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM campaigns_contact WHERE contact_list_id = %s", [build.contact_list_id])

    def progress(copied: int, fraction: float) -> None:
        # Calls ids of the segment spread evenly enough over the id range for a progress bar.
        FollowupBuild.objects.filter(pk=build.pk).update(copied=copied, scanned=int(build.total * fraction))

    try:
        copied = copy_slices(build, progress)
    except Exception as exc:
        log.exception("follow-up build %s failed", build.pk)
        build.mark_failed(reasons.reason("followup.copy_failed", error=str(exc)))
        raise
    _remember_copied_variables(build)
    with transaction.atomic():
        build.mark_done(copied=copied, scanned=build.total)
        webhook_events.followup_ready(build.campaign_id, build.campaign.followup_of_id, copied)


def _remember_copied_variables(build: FollowupBuild) -> None:
    """The new list's variable names: those its copied contacts carry (read once, here in the
    build), in the source campaign's order."""
    carried = read_variable_names(build.contact_list_id)
    source = variable_names_of(list(build.campaign.followup_of.contact_lists.values_list("pk", flat=True)))
    ContactList.objects.filter(pk=build.contact_list_id).update(
        variable_columns=[n for n in source if n in carried] + [n for n in carried if n not in source]
    )


def start_problems(campaign: Campaign) -> list[str]:
    """What stops a follow-up from starting while its contacts are being copied."""
    build = FollowupBuild.objects.filter(campaign=campaign).first()
    if build is None or build.status == FollowupBuild.Status.DONE:
        return []
    if build.status == FollowupBuild.Status.FAILED:
        return [_("Copying the follow-up's contacts failed: %(error)s") % {"error": build.error_text}]
    return [_("The follow-up's contacts are still being copied (%(percent)d%%).") % {"percent": build.progress_percent}]


def chain(campaign: Campaign) -> list[Campaign]:
    """The campaign's whole chain: its first campaign, then every follow-up, breadth first."""
    root = campaign
    seen = {root.pk}
    while root.followup_of_id and root.followup_of_id not in seen:
        root = root.followup_of
        seen.add(root.pk)
    ordered, frontier = [root], [root]
    while frontier:
        children = list(Campaign.objects.filter(followup_of__in=frontier).order_by("created_at", "pk"))
        children = [c for c in children if c.pk not in {o.pk for o in ordered}]
        ordered += children
        frontier = children
    return ordered


def may_follow_up(user) -> bool:
    """A follow-up reads the source's calls and creates a campaign, a contact list and the
    segment's contacts in it: it needs the permissions of each."""
    return user.has_perms(
        [
            "campaigns.view_campaign",
            "campaigns.add_campaign",
            "campaigns.view_call",
            "campaigns.add_contactlist",
            "campaigns.add_contact",
            "campaigns.view_contact",
        ]
    )
