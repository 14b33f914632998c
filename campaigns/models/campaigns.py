"""Campaigns, their calling window and no-call days."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns import reasons
from campaigns.models.base import validate_timezone
from campaigns.models.callers import CallerNumber
from campaigns.models.contacts import ContactList
from campaigns.models.menus import MenuTemplate
from campaigns.window import CallingWindow


class NoCallDay(models.Model):
    """A date on which no campaign dials (unless it opts in), e.g. 春节; in each campaign's zone."""

    date = models.DateField(_("date"), unique=True)
    label = models.CharField(_("label"), max_length=100, help_text=_("E.g. 春节 (Spring Festival)."))

    class Meta:
        verbose_name = _("no-call day")
        verbose_name_plural = _("no-call days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.label}"


def default_retry_outcomes() -> list[str]:
    return ["no_answer", "busy", "unreachable"]


def default_weekdays() -> list[int]:
    return [0, 1, 2, 3, 4, 5, 6]


class CampaignQuerySet(models.QuerySet):
    def dialled(self) -> CampaignQuerySet:
        """Campaigns that began calling: past draft, or with a call beyond queued/dnc. They are
        the record of who was called and what they answered: cancelled, never deleted."""
        from campaigns.models.calls import Call

        undialled = [Call.Status.QUEUED, Call.Status.DNC]
        began = Call.objects.exclude(status__in=undialled).values("campaign_id")
        return self.filter(~models.Q(state=Campaign.State.DRAFT) | models.Q(pk__in=began))


class Campaign(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        STARTING = "starting", _("enrolling contacts")  # a background job turns contacts into calls
        RUNNING = "running", _("running")
        PAUSED = "paused", _("paused")
        COMPLETED = "completed", _("completed")
        CANCELLED = "cancelled", _("cancelled")

    class Purpose(models.TextChoices):
        SURVEY = "survey", _("survey")
        SERVICE = "service", _("service notice")
        MARKETING = "marketing", _("marketing")

    name = models.CharField(_("name"), max_length=200)
    purpose = models.CharField(
        _("purpose"),
        max_length=10,
        choices=Purpose.choices,
        default=Purpose.SURVEY,
        help_text=_("Marketing calls only contacts with recorded consent, and its menu must offer an opt-out key."),
    )
    contact_lists = models.ManyToManyField(ContactList, related_name="campaigns", verbose_name=_("contact lists"))
    caller_numbers = models.ManyToManyField(CallerNumber, related_name="campaigns", verbose_name=_("caller numbers"))
    menu = models.ForeignKey(MenuTemplate, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("menu"))
    menu_snapshot = models.JSONField(_("frozen menu"), null=True, blank=True, editable=False)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    # A reason code and its parameters (campaigns.reasons), put into words when shown.
    state_reason = models.JSONField(
        _("reason"), default=dict, blank=True, editable=False, help_text=_("Why it was paused, if it was.")
    )

    # Calling window, evaluated in `timezone`.
    timezone = models.CharField(
        _("time zone"), max_length=64, default=settings.DEFAULT_CAMPAIGN_TIMEZONE, validators=[validate_timezone]
    )
    starts_at = models.DateTimeField(_("not before"), null=True, blank=True)
    ends_at = models.DateTimeField(_("not after"), null=True, blank=True)
    daily_start = models.TimeField(_("daily start"), default=dt.time(9, 0))
    daily_end = models.TimeField(
        _("daily end"), default=dt.time(20, 0), help_text=_("Exclusive. Equal to the start: all day.")
    )
    weekdays = models.JSONField(_("weekdays"), default=default_weekdays, help_text=_("0 = Monday … 6 = Sunday."))
    dial_on_no_call_days = models.BooleanField(
        _("dial on no-call days"),
        default=False,
        help_text=_("Call on the global no-call days (public holidays) too."),
    )

    class LocalPresence(models.TextChoices):
        OFF = "off", _("any caller number")
        FIRST = "first", _("local first")
        ONLY = "only", _("local only")

    # Which caller number a call goes out on (campaigns.dialling.local).
    local_presence = models.CharField(
        _("local presence"),
        max_length=5,
        choices=LocalPresence.choices,
        default=LocalPresence.OFF,
        db_default=LocalPresence.OFF,
        help_text=_(
            "Local first: each call goes out on a caller number with room in the callee's city, else "
            "province, else any. Local only: a call with no local number waits for one."
        ),
    )
    rest_unhealthy_numbers = models.BooleanField(
        _("rest caller numbers whose answer rate drops"),
        default=False,
        db_default=False,
        help_text=_(
            "Stop dialling on such a number for a while (CALLER_REST_MINUTES); its calls go out on the others."
        ),
    )

    # Pacing and retries.
    max_qps = models.PositiveIntegerField(
        _("max calls per second"), null=True, blank=True, help_text=_("Blank: the account's whole rate.")
    )
    max_attempts = models.PositiveSmallIntegerField(_("max attempts"), default=3)
    retry_delay_seconds = models.PositiveIntegerField(_("retry delay (s)"), default=1800)
    retry_outcomes = models.JSONField(_("outcomes that retry"), default=default_retry_outcomes, blank=True)
    expected_call_seconds = models.PositiveIntegerField(
        _("expected call length (s)"),
        default=40,
        help_text=_(
            "How long a call holds its caller number, for the forecast until this campaign's own calls measure it."
        ),
    )

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Progress of the enrolment job while the campaign is `starting`.
    contacts_to_enrol = models.PositiveIntegerField(_("contacts to enrol"), default=0, editable=False)
    contacts_enrolled = models.PositiveIntegerField(_("contacts enrolled"), default=0, editable=False)

    # A follow-up campaign calls one or more result segments of an earlier one again.
    followup_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followups",
        verbose_name=_("follow-up of"),
        editable=False,
    )
    followup_segments = models.JSONField(_("segments of origin"), default=list, blank=True, editable=False)

    # Personal data (campaigns.retention): names, variables and numbers go this long after it ends.
    retention_days = models.PositiveIntegerField(
        _("keep personal data (days)"),
        null=True,
        blank=True,
        help_text=_("Days after the campaign ends; blank: the default (PERSONAL_DATA_RETENTION_DAYS)."),
    )
    keep_personal_data = models.BooleanField(
        _("keep personal data"), default=False, help_text=_("Never remove it automatically (say why).")
    )
    keep_reason = models.CharField(_("why it is kept"), max_length=300, blank=True)
    personal_data_removed_at = models.DateTimeField(_("personal data removed"), null=True, blank=True, editable=False)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def clean(self) -> None:
        if self.keep_personal_data and not self.keep_reason.strip():
            raise ValidationError({"keep_reason": _("Say why its personal data is kept past the retention period.")})
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The campaign must end after it starts.")})
        bad = [w for w in self.weekdays or [] if w not in range(7)]
        if bad or not self.weekdays:
            raise ValidationError({"weekdays": _("Pick at least one weekday, 0 (Monday) to 6 (Sunday).")})
        unknown = set(self.retry_outcomes or []) - set(self.calls.model.RETRYABLE_CHOICES)
        if unknown:
            raise ValidationError(
                {"retry_outcomes": _("Unknown outcomes: %(names)s") % {"names": ", ".join(sorted(unknown))}}
            )

    @property
    def window(self) -> CallingWindow:
        """Its calling window (`campaigns.window`): hours, weekdays, dates, zone, no-call days."""
        return CallingWindow.of(self)

    def in_window(self, when: dt.datetime) -> bool:
        """Whether `when` (aware) falls inside the calling window."""
        return self.window.is_open(when)

    def next_window_start(self, when: dt.datetime) -> dt.datetime | None:
        """The first moment at or after `when` that is inside the window (None: never again)."""
        return self.window.next_open(when)

    def next_calling_day(self, when: dt.datetime) -> dt.date | None:
        """The local date of the next window start at or after `when` (None: never again)."""
        window = self.window
        start = window.next_open(when)
        return None if start is None else window.calling_day_of(start)

    @property
    def frozen_menu(self) -> dict:
        """The menu it plays: the copy frozen at Start, or (a draft) its template as it is now."""
        return self.menu_snapshot or self.menu.snapshot()

    def played_menus(self) -> list[MenuTemplate]:
        """The menus it plays, each once: its own and, in an experiment, each script variant's (a
        contact assigned to a variant hears that menu)."""
        menus = {self.menu.pk: self.menu}
        if self.pk:
            for variant in self.script_variants.select_related("menu"):
                menus.setdefault(variant.menu.pk, variant.menu)
        return list(menus.values())

    @property
    def menu_options(self) -> list[dict]:
        """The options of `frozen_menu` (key, label, code, tts_params, and action/score if set)."""
        return list(self.frozen_menu.get("options", []))

    @property
    def personal_data_expires_at(self) -> dt.datetime | None:
        """When its contacts' personal data is due for removal (None: not ended, or kept)."""
        if self.keep_personal_data or self.finished_at is None:
            return None
        days = settings.PERSONAL_DATA_RETENTION_DAYS if self.retention_days is None else self.retention_days
        return self.finished_at + dt.timedelta(days=days)

    @property
    def state_reason_text(self) -> str:
        """Why it was paused, in the active language."""
        return reasons.describe(self.state_reason)

    @property
    def has_dialled(self) -> bool:
        """Whether it began calling (see `CampaignQuerySet.dialled`): then it cannot be deleted."""
        if self.state != self.State.DRAFT:
            return True  # without reading its calls: pages of a big campaign must not scan them
        return self.pk is not None and Campaign.objects.dialled().filter(pk=self.pk).exists()
