import datetime as dt
import json
import re

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from audit.actors import Actor, add_actor_argument
from audit.record import record
from campaigns import consent, reasons, times
from campaigns.accounts import VoiceAccount
from campaigns.actions import campaigns as actions
from campaigns.contacts.contact_hours import never_called
from campaigns.followups import create_followup
from campaigns.forecast import outside_window_messages
from campaigns.menu_variables import campaign_gaps
from campaigns.models import CallerNumber, Campaign, ContactList, MenuTemplate
from campaigns.segments import SEGMENT_STATUSES, from_options
from results.status import status_report

WINDOW_RE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


class Command(BaseCommand):
    help = "Create campaigns and start, pause, resume, cancel or inspect them."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a draft campaign; prints its id on the last line.")
        create.add_argument("name")
        create.add_argument("--list", dest="lists", nargs="+", required=True, help="Contact list names.")
        create.add_argument("--caller", dest="callers", action="append", required=True, help="Caller number.")
        create.add_argument("--menu", required=True, help="Menu template name.")
        create.add_argument("--qps", type=int, help="Max calls per second for this campaign.")
        create.add_argument("--max-attempts", type=int, default=3)
        create.add_argument("--retry-delay", type=int, default=1800, help="Seconds between attempts.")
        create.add_argument("--window", help="Daily hours HH:MM-HH:MM (start inclusive, end exclusive).")
        create.add_argument("--timezone", default="Asia/Shanghai")
        create.add_argument(
            "--purpose",
            choices=[p.value for p in Campaign.Purpose],
            default=Campaign.Purpose.SURVEY.value,
            help="Why it calls: marketing calls only contacts with recorded consent.",
        )
        create.add_argument(
            "--account", help="Aliyun account of the caller numbers this creates (default: the environment's)."
        )
        create.add_argument(
            "--local-presence",
            choices=[p.value for p in Campaign.LocalPresence],
            default=Campaign.LocalPresence.OFF.value,
            help="Call from a caller number in the callee's city or province: first, or only (default off).",
        )
        create.add_argument(
            "--rest-unhealthy",
            action="store_true",
            help="Rest caller numbers whose answer rate drops (CALLER_HEALTH_* settings).",
        )
        create.add_argument(
            "--retention-days",
            type=int,
            help="Days after it ends before its personal data is removed (default PERSONAL_DATA_RETENTION_DAYS).",
        )
        followup = sub.add_parser(
            "followup", help="Create a draft follow-up of a segment of a campaign; prints its id on the last line."
        )
        followup.add_argument("id", type=int)
        followup.add_argument("--name", required=True)
        chosen = followup.add_mutually_exclusive_group(required=True)
        chosen.add_argument("--answer", dest="answers", nargs="+", help="Answer labels of the latest call.")
        chosen.add_argument(
            "--status", dest="statuses", nargs="+", help=f"Final statuses: {', '.join(SEGMENT_STATUSES)}."
        )
        followup.add_argument("--menu", help="Menu template name (default: the source campaign's).")
        followup.add_argument("--list-name", help="Name of the new contact list (default: derived from the name).")
        for name in ("start", "pause", "resume", "cancel"):
            sub.add_parser(name).add_argument("id", type=int)
        for command in (create, followup, *(sub.choices[name] for name in ("start", "pause", "resume", "cancel"))):
            add_actor_argument(command)
        status = sub.add_parser("status")
        status.add_argument("id", type=int)
        status.add_argument("--json", action="store_true", dest="as_json")

    def run_from_argv(self, argv):
        try:
            super().run_from_argv(argv)
        except SystemExit as exc:
            # argparse reports a usage error with status 2; the contract says 1 for any bad input.
            raise SystemExit(1 if exc.code == 2 else exc.code) from None

    def handle(self, *args, action: str, **options):
        self.actor = Actor.command_line(options.pop("actor", None))
        try:
            getattr(self, f"do_{action}")(**options)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc

    def get(self, campaign_id: int) -> Campaign:
        try:
            return Campaign.objects.get(pk=campaign_id)
        except Campaign.DoesNotExist:
            raise CommandError(f"No campaign with id {campaign_id}.") from None

    def do_create(
        self,
        name,
        lists,
        callers,
        menu,
        qps,
        max_attempts,
        retry_delay,
        window,
        timezone,
        account,
        purpose,
        local_presence=Campaign.LocalPresence.OFF,
        rest_unhealthy=False,
        retention_days=None,
        **_,
    ):
        voice_account = None
        if account:
            voice_account = VoiceAccount.objects.filter(name=account).first()
            if voice_account is None:
                raise CommandError(f"No Aliyun account named {account!r} (see `account list`).")
        contact_lists = []
        for list_name in lists:
            try:
                contact_lists.append(ContactList.objects.get(name=list_name))
            except ContactList.DoesNotExist:
                raise CommandError(f"No contact list named {list_name!r}.") from None
        try:
            template = MenuTemplate.objects.get(name=menu)
        except MenuTemplate.DoesNotExist:
            raise CommandError(f"No menu template named {menu!r}.") from None
        campaign = Campaign(
            name=name,
            menu=template,
            max_qps=qps,
            max_attempts=max_attempts,
            retry_delay_seconds=retry_delay,
            timezone=timezone,
            purpose=purpose,
            local_presence=local_presence,
            rest_unhealthy_numbers=rest_unhealthy,
            retention_days=retention_days,
        )
        if window:
            match = WINDOW_RE.match(window)
            if not match:
                raise CommandError("--window must look like 09:00-20:00.")
            h1, m1, h2, m2 = map(int, match.groups())
            try:
                campaign.daily_start, campaign.daily_end = dt.time(h1, m1), dt.time(h2, m2)
            except ValueError as exc:
                raise CommandError(f"--window: {exc}") from None
        campaign.full_clean(exclude=["menu_snapshot"])
        with transaction.atomic(durable=True):
            campaign.save()
            campaign.contact_lists.set(contact_lists)
            campaign.caller_numbers.set(
                [CallerNumber.objects.get_or_create(number=n, defaults={"account": voice_account})[0] for n in callers]
            )
            record(self.actor, "campaign.created", campaign)
        for gap in campaign_gaps(campaign):  # saved all the same: Start refuses until it is fixed
            self.stderr.write(
                f"Warning: list {gap.contact_list.name!r} has no {', '.join(gap.missing)}, which the menu uses "
                f"(its variables: {', '.join(gap.has) or 'none'}): import those columns or change the menu."
            )
        self.stdout.write(f"Created campaign {campaign.name!r} (draft).")
        self.stdout.write(str(campaign.pk))

    def do_followup(self, id, name, answers, statuses, menu, list_name, **_):
        source = self.get(id)
        template = None
        if menu:
            try:
                template = MenuTemplate.objects.get(name=menu)
            except MenuTemplate.DoesNotExist:
                raise CommandError(f"No menu template named {menu!r}.") from None
        segments = from_options(answers, statuses)
        if answers:
            known = {o["label"] for o in source.menu_options}
            unknown = [a for a in answers if a not in known]
            if unknown:
                raise CommandError(
                    f"No answer labelled {unknown[0]!r} in the menu of campaign {id}; "
                    f"labels: {', '.join(sorted(known))}."
                )
        # The command waits for the copy, however big: a script reads the id once it is usable.
        followup = create_followup(
            source, name, segments, menu=template, list_name=list_name or "", background=False, actor=self.actor
        )
        contacts = followup.followup_build.copied
        self.stdout.write(f"Created follow-up {followup.name!r} (draft) with {contacts} contacts.")
        self.stdout.write(str(followup.pk))

    def do_start(self, id, **_):
        campaign = self.get(id)
        numbers = None
        if campaign.state == Campaign.State.DRAFT:
            never = [{"hours": str(hours), "contacts": n} for hours, n in never_called(campaign)]
            for message in outside_window_messages(never, campaign.window) + consent.warnings(campaign):
                self.stderr.write(f"Warning: {message}")
            numbers = consent.counts(campaign)
        enrolled = actions.do_start_campaign(campaign, actor=self.actor)
        self.stdout.write(f"Campaign {id} started: {enrolled} contacts enrolled.")
        if numbers:
            self.stdout.write(consent.counts_text(numbers, started=True))

    def do_pause(self, id, **_):
        actions.do_pause_campaign(self.get(id), actor=self.actor, reason=reasons.reason("paused.command_line"))
        self.stdout.write(f"Campaign {id} paused.")

    def do_resume(self, id, **_):
        actions.do_resume_campaign(self.get(id), actor=self.actor)
        self.stdout.write(f"Campaign {id} resumed.")

    def do_cancel(self, id, **_):
        cancelled = actions.do_cancel_campaign(self.get(id), actor=self.actor)
        self.stdout.write(f"Campaign {id} cancelled; {cancelled} calls will not be made.")

    def do_status(self, id, as_json: bool = False, **_):
        campaign = self.get(id)
        figures, forecast = status_report(campaign)
        if as_json:
            self.stdout.write(json.dumps(figures, ensure_ascii=False))
            return
        self.stdout.write(f"{campaign.name} [{campaign.state}] {campaign.state_reason_text}".rstrip())
        for key in ("contacts", "dialled", "answered", "unknown", "failed", "dnc", "pending"):
            self.stdout.write(f"  {key:<10} {figures[key]}")
        for label, count in figures["answers"].items():
            self.stdout.write(f"  answer {label}: {count}")
        if figures["consent"]:
            started = campaign.state != Campaign.State.DRAFT
            self.stdout.write(f"  consent    {consent.counts_text(figures['consent'], started=started)}")
        finish = times.stamp(forecast.finish_at, campaign.zone) if forecast.finish_at else "not within its window"
        if forecast.paused:
            finish = "none while paused"
        self.stdout.write(
            f"  forecast   {forecast.bound_qps:.1f} calls/s (bound by {forecast.binds}), "
            f"{forecast.calls_left} calls left, finish {finish}"
        )
        cost = figures["cost"]
        self.stdout.write(
            f"  cost       ¥{cost['spent']} spent ({cost['billed_minutes']} billed minutes), "
            f"up to ¥{cost['estimate_left']} still to come"
        )
        for message in outside_window_messages(forecast.outside_window_hours, campaign.window):
            self.stdout.write(f"  warning    {message}")
