"""Contacts, lists, do-not-call, menus, campaigns and calls.

State changes with side effects live in `campaigns.actions` (start, pause, ...);
this module holds the data and the rules that need nothing but the data.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zoneinfo
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns import reasons
from campaigns.accounts import VoiceAccount

MENU_KEYS = [str(d) for d in range(10)] + ["*", "#"]
PLACEHOLDER_RE = re.compile(r"\$\{([^}]*)\}")
# Fields of a contact that TTS params may name besides its own variables.
BUILTIN_CONTACT_FIELDS = ("name", "phone")
# The menu option action that puts the caller's number on the do-not-call list.
OPT_OUT = "opt_out"


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(_("Unknown time zone: %(tz)s"), params={"tz": value}) from exc


# Concurrent calls Aliyun allows a dedicated display number (help.aliyun.com, Voice
# Service user guide, "create a service instance"): about 3 for a mobile number, 15 for a
# fixed line. See shared/aliyun-ivrcall.md.
MOBILE_DISPLAY_CONCURRENCY = 3
FIXED_LINE_DISPLAY_CONCURRENCY = 15


class CallerNumber(models.Model):
    """A purchased display number (Aliyun's CalledShowNumber)."""

    number = models.CharField(_("number"), max_length=32, unique=True)
    label = models.CharField(_("label"), max_length=100, blank=True)
    max_concurrent_calls = models.PositiveIntegerField(
        _("max concurrent calls"),
        null=True,
        blank=True,
        help_text=_(
            "Blank: Aliyun's documented figure for a dedicated display number, about 3 concurrent "
            "calls for a mobile number and 15 for a fixed line (help.aliyun.com, Voice Service user "
            "guide, “Create a service instance”). Set it if Aliyun granted this number more."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    account = models.ForeignKey(
        VoiceAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="caller_numbers",
        verbose_name=_("Aliyun account"),
        help_text=_("Blank: the default account from the environment (ALIYUN_ACCESS_KEY_ID)."),
    )
    inactive_reason = models.JSONField(_("why inactive"), default=dict, blank=True, editable=False)
    # Adaptive: after Aliyun refuses a call for concurrency, fewer calls at once for a while.
    lowered_concurrency = models.PositiveIntegerField(_("lowered to"), null=True, blank=True, editable=False)
    lowered_until = models.DateTimeField(_("lowered until"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("caller number")
        verbose_name_plural = _("caller numbers")
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number} ({self.label})" if self.label else self.number

    @property
    def is_mobile(self) -> bool:
        from campaigns.phones import is_plain_mobile

        return is_plain_mobile(self.number)

    @property
    def configured_concurrency(self) -> int:
        if self.max_concurrent_calls:
            return self.max_concurrent_calls
        return MOBILE_DISPLAY_CONCURRENCY if self.is_mobile else FIXED_LINE_DISPLAY_CONCURRENCY

    @property
    def inactive_reason_text(self) -> str:
        """Why it was deactivated (a reason, campaigns.reasons), in the active language."""
        return reasons.describe(self.inactive_reason)

    def concurrency(self, now: dt.datetime | None = None) -> int:
        """Calls it may carry at once now: its cap, or less while lowered after a refusal."""
        cap = self.configured_concurrency
        if self.lowered_concurrency and self.lowered_until and self.lowered_until > (now or timezone.now()):
            return min(cap, self.lowered_concurrency)
        return cap


class ContactList(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    # The variable names its contacts carry, in the order first seen; kept by every write of
    # contacts so that no page reads the contacts to list them (`campaigns.variables`). NULL for
    # a list from before this column: worked out from its contacts on first use.
    variable_columns = models.JSONField(_("variable columns"), null=True, default=list, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact list")
        verbose_name_plural = _("contact lists")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def variable_names(self) -> set[str]:
        """Every variable name its contacts carry (see `campaigns.variables`)."""
        from campaigns.variables import variable_names_of

        return set(variable_names_of([self.pk]))


class ContactQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        from campaigns.variables import remember_variables

        created = super().bulk_create(objs, *args, **kwargs)
        by_list: dict[int, dict[str, None]] = {}
        for contact in created:
            by_list.setdefault(contact.contact_list_id, {}).update(dict.fromkeys(contact.variables or {}))
        for list_id, names in by_list.items():
            remember_variables(list_id, names)
        return created


class Contact(models.Model):
    # No index of its own: contact_unique_per_list (contact_list, phone) serves lookups by list,
    # and one index fewer to maintain is a quarter of the time of a large import.
    contact_list = models.ForeignKey(
        ContactList, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("list"), db_index=False
    )
    # National form Aliyun takes: 11-digit mobile, or 0 + area code + number.
    phone = models.CharField(_("phone"), max_length=20)
    name = models.CharField(_("name"), max_length=200, blank=True)
    variables = models.JSONField(_("variables"), default=dict, blank=True)
    do_not_call = models.BooleanField(
        _("do not call"), default=False, help_text=_("On the do-not-call list when imported.")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [models.UniqueConstraint(fields=["contact_list", "phone"], name="contact_unique_per_list")]

    def __str__(self) -> str:
        return f"{self.name} <{self.phone}>" if self.name else self.phone

    def save(self, *args, **kwargs) -> None:
        from campaigns.variables import remember_variables

        with transaction.atomic():
            super().save(*args, **kwargs)
            remember_variables(self.contact_list_id, self.variables or {})

    def tts_context(self) -> dict[str, str]:
        context = {key: "" if value is None else str(value) for key, value in (self.variables or {}).items()}
        context["name"] = self.name
        context["phone"] = self.phone
        return context


def with_campaigns(calls: Iterable[Call]) -> list[Call]:
    """The calls, each with its campaign: one instance per campaign, read once (`select_related`
    would parse the campaign's menu snapshot again for every call)."""
    calls = list(calls)
    campaigns = Campaign.objects.in_bulk({call.campaign_id for call in calls})
    for call in calls:
        call.campaign = campaigns[call.campaign_id]
    return calls


class DoNotCall(models.Model):
    phone = models.CharField(_("phone"), max_length=20, unique=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    campaign = models.ForeignKey(
        "Campaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opt_outs",
        verbose_name=_("campaign"),
        help_text=_("The campaign whose call the callee opted out in, if they did."),
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("do-not-call number")
        verbose_name_plural = _("do-not-call list")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.phone

    def clean(self) -> None:
        from campaigns.phones import InvalidNumber, normalize

        try:
            self.phone = normalize(self.phone)
        except InvalidNumber as exc:
            raise ValidationError({"phone": str(exc)}) from exc


class ImportJob(models.Model):
    """One upload of a contact file, run in the request or by a worker."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("importing")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    contact_list = models.ForeignKey(
        ContactList, on_delete=models.CASCADE, related_name="imports", verbose_name=_("list")
    )
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", blank=True)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    total_bytes = models.BigIntegerField(_("size"), default=0)
    processed_bytes = models.BigIntegerField(_("bytes read"), default=0)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    # {"row": n, "reason": a reason (campaigns.reasons)}; older versions stored the reason worded.
    rejected = models.JSONField(_("rejected rows"), default=list, blank=True)
    rejected_count = models.PositiveIntegerField(_("rejected"), default=0)
    error = models.JSONField(_("error"), default=dict, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.original_name} → {self.contact_list}"

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total_bytes:
            return 0
        return min(99, int(100 * self.processed_bytes / self.total_bytes))

    @property
    def error_text(self) -> str:
        """Why it failed (a reason, campaigns.reasons), in the active language ("" if it did not)."""
        return reasons.describe(self.error)

    def rejected_rows(self, limit: int | None = None) -> list[dict]:
        """The first `limit` rejected rows, their reasons in the active language (text an older
        version stored already worded is shown as it is)."""
        return [{"row": r["row"], "reason": reasons.describe(r["reason"])} for r in self.rejected[:limit]]


def parse_tts_params(text: str) -> dict:
    """Parse a TTS params template: empty, or a JSON object of strings."""
    if not text or not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(_("Not valid JSON: %(error)s"), params={"error": exc.msg}) from exc
    if not isinstance(value, dict):
        raise ValidationError(_('TTS params must be a JSON object, like {"name": "${name}"}.'))
    return value


def placeholders(text: str) -> set[str]:
    return {name.strip() for name in PLACEHOLDER_RE.findall(text or "")}


def render_tts_params(text: str, context: dict[str, str]) -> str:
    """Fill `${var}` placeholders in every value; returns compact JSON (Chinese kept as is)."""
    params = parse_tts_params(text)
    if not params:
        return ""
    rendered = {
        key: PLACEHOLDER_RE.sub(lambda m: context.get(m.group(1).strip(), ""), str(value))
        for key, value in params.items()
    }
    return json.dumps(rendered, ensure_ascii=False, separators=(",", ":"))


def code_kind(code: str) -> str:
    return "tts" if code.upper().startswith("TTS_") else "voice"


class MenuTemplate(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    start_code = models.CharField(
        _("start code"), max_length=100, help_text=_("Voice file id or TTS template id (TTS_…) played first.")
    )
    start_tts_params = models.TextField(
        _("start TTS params"),
        blank=True,
        help_text=_('JSON object; may use contact fields, e.g. {"name": "${name}"}.'),
    )
    play_times = models.PositiveSmallIntegerField(_("play times"), default=2)
    timeout_ms = models.PositiveIntegerField(_("key-press timeout (ms)"), default=5000)
    bye_code = models.CharField(_("bye code"), max_length=100, blank=True)
    bye_tts_params = models.TextField(_("bye TTS params"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("menu template")
        verbose_name_plural = _("menu templates")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, list] = {}
        if not 1 <= (self.play_times or 0) <= 3:
            errors.setdefault("play_times", []).append(_("Play times must be between 1 and 3."))
        if not 1000 <= (self.timeout_ms or 0) <= 60000:
            errors.setdefault("timeout_ms", []).append(
                _("Timeout is in milliseconds, between 1000 and 60000 (e.g. 5000 for five seconds).")
            )
        if self.bye_code and self.start_code and code_kind(self.bye_code) != code_kind(self.start_code):
            errors.setdefault("bye_code", []).append(
                _("Bye code must be of the same kind as the start code (both TTS_… templates or both voice files).")
            )
        for field in ("start_tts_params", "bye_tts_params"):
            try:
                parse_tts_params(getattr(self, field))
            except ValidationError as exc:
                errors.setdefault(field, []).extend(exc.messages)
        if errors:
            raise ValidationError(errors)

    def unknown_placeholders(self, known: set[str]) -> set[str]:
        """Placeholders in any TTS params that name no known contact field."""
        texts = [self.start_tts_params, self.bye_tts_params] + [o.tts_params for o in self.options.all()]
        used = set().union(*(placeholders(t) for t in texts))
        return used - known - set(BUILTIN_CONTACT_FIELDS)

    def snapshot(self) -> dict:
        """The frozen copy a campaign keeps when it starts."""
        return {
            "name": self.name,
            "start_code": self.start_code,
            "start_tts_params": self.start_tts_params,
            "play_times": self.play_times,
            "timeout_ms": self.timeout_ms,
            "bye_code": self.bye_code,
            "bye_tts_params": self.bye_tts_params,
            "options": [
                {"key": o.key, "label": o.label, "code": o.code, "tts_params": o.tts_params}
                | ({"action": OPT_OUT} if o.opt_out else {})
                | ({"score": o.score} if o.score is not None else {})
                for o in self.options.order_by("position", "key")
            ],
        }


class MenuOption(models.Model):
    template = models.ForeignKey(MenuTemplate, on_delete=models.CASCADE, related_name="options", verbose_name=_("menu"))
    key = models.CharField(_("key"), max_length=1, choices=[(k, k) for k in MENU_KEYS])
    label = models.CharField(_("answer label"), max_length=200)
    code = models.CharField(_("code"), max_length=100, blank=True, help_text=_("Played after the key is pressed."))
    tts_params = models.TextField(_("TTS params"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    opt_out = models.BooleanField(
        _("opt out"),
        default=False,
        help_text=_("Pressing this key puts the caller's number on the do-not-call list at once."),
    )
    score = models.FloatField(
        _("score"),
        null=True,
        blank=True,
        help_text=_("Numeric value of this answer on a scale (e.g. 1–5, or 0–10 for NPS); blank: not scored."),
    )

    class Meta:
        verbose_name = _("key option")
        verbose_name_plural = _("key options")
        ordering = ["position", "key"]
        constraints = [models.UniqueConstraint(fields=["template", "key"], name="menu_key_unique")]

    def __str__(self) -> str:
        return f"{self.key}: {self.label}"

    def clean(self) -> None:
        if self.key not in MENU_KEYS:
            raise ValidationError({"key": _("Key must be one of 0–9, * or #.")})
        try:
            parse_tts_params(self.tts_params)
        except ValidationError as exc:
            raise ValidationError({"tts_params": exc.messages}) from exc


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


class Campaign(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        STARTING = "starting", _("enrolling contacts")  # a background job turns contacts into calls
        RUNNING = "running", _("running")
        PAUSED = "paused", _("paused")
        COMPLETED = "completed", _("completed")
        CANCELLED = "cancelled", _("cancelled")

    name = models.CharField(_("name"), max_length=200)
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
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The campaign must end after it starts.")})
        bad = [w for w in self.weekdays or [] if w not in range(7)]
        if bad or not self.weekdays:
            raise ValidationError({"weekdays": _("Pick at least one weekday, 0 (Monday) to 6 (Sunday).")})
        unknown = set(self.retry_outcomes or []) - set(Call.RETRYABLE_CHOICES)
        if unknown:
            raise ValidationError(
                {"retry_outcomes": _("Unknown outcomes: %(names)s") % {"names": ", ".join(sorted(unknown))}}
            )

    def in_window(self, when: dt.datetime) -> bool:
        """Whether `when` (aware) falls inside the calling window, in the campaign's zone.

        Daily hours are start-inclusive, end-exclusive; an end earlier than the start
        spans midnight (e.g. 20:00–02:00), and the weekday is that of the window's start.
        Equal start and end mean all day.
        """
        if self.starts_at and when < self.starts_at:
            return False
        if self.ends_at and when >= self.ends_at:
            return False
        local = when.astimezone(self.zone)
        t = local.time().replace(tzinfo=None)
        start, end = self.daily_start, self.daily_end
        if start == end or (start < end and start <= t < end) or (start > end and t >= start):
            return self._calling_day(local.date())
        if start > end and t < end:
            return self._calling_day(local.date() - dt.timedelta(days=1))
        return False

    def _calling_day(self, day: dt.date) -> bool:
        """Whether a window may start on this local date: a chosen weekday, not a no-call day."""
        if day.weekday() not in self.weekdays:
            return False
        if self.dial_on_no_call_days:
            return True
        from campaigns.no_call_days import no_call_dates

        return day not in no_call_dates()

    def next_window_start(self, when: dt.datetime) -> dt.datetime | None:
        """The first moment at or after `when` that is inside the window (None: never again)."""
        if self.in_window(when):
            return when
        if self.ends_at and when >= self.ends_at:
            return None
        if self.starts_at and when < self.starts_at:
            when = self.starts_at
            if self.in_window(when):
                return when
        local = when.astimezone(self.zone)
        # A week plus a long run of no-call days (春节 is 8 or 9), then give up.
        for days in range(0, 60):
            day = (local + dt.timedelta(days=days)).date()
            candidate = dt.datetime.combine(day, self.daily_start, tzinfo=self.zone)
            # Normalise through UTC so a start inside a DST gap lands on a real instant.
            candidate = candidate.astimezone(dt.UTC)
            if candidate >= when and self.in_window(candidate):
                return candidate
        return None

    def next_calling_day(self, when: dt.datetime) -> dt.date | None:
        """The local date of the next window start at or after `when` (None: never again)."""
        start = self.next_window_start(when)
        if start is None:
            return None
        local = start.astimezone(self.zone)
        start_time = self.daily_start
        spans_midnight = self.daily_start > self.daily_end
        if spans_midnight and local.time().replace(tzinfo=None) < start_time:
            return local.date() - dt.timedelta(days=1)
        return local.date()

    @property
    def state_reason_text(self) -> str:
        """Why it was paused, in the active language."""
        return reasons.describe(self.state_reason)


class Call(models.Model):
    """One dial attempt of one contact in one campaign."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        CLAIMED = "claimed", _("claimed")  # taken by a worker, request not sent yet
        SENDING = "sending", _("sending")  # request may be on the wire
        PLACED = "placed", _("placed")  # Aliyun accepted it; waiting for the receipt
        UNKNOWN = "unknown", _("outcome unknown")
        ANSWERED = "answered", _("answered")
        NO_ANSWER = "no_answer", _("no answer")
        BUSY = "busy", _("busy")
        UNREACHABLE = "unreachable", _("unreachable")
        FAILED = "failed", _("failed")
        INVALID = "invalid", _("invalid number")
        DNC = "dnc", _("do not call")
        CANCELLED = "cancelled", _("cancelled")

    IN_FLIGHT = (Status.CLAIMED, Status.SENDING, Status.PLACED)
    PENDING = (Status.QUEUED, Status.CLAIMED, Status.SENDING, Status.PLACED)
    FINAL = (
        Status.ANSWERED,
        Status.NO_ANSWER,
        Status.BUSY,
        Status.UNREACHABLE,
        Status.FAILED,
        Status.INVALID,
        Status.DNC,
        Status.CANCELLED,
    )
    RETRYABLE_CHOICES = ("no_answer", "busy", "unreachable", "failed")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="calls", verbose_name=_("campaign"))
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="calls", verbose_name=_("contact"))
    phone = models.CharField(_("phone"), max_length=20)
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=1)
    is_latest = models.BooleanField(_("latest attempt"), default=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    due_at = models.DateTimeField(_("due"), default=timezone.now)
    caller_number = models.ForeignKey(
        CallerNumber, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("caller number")
    )
    out_id = models.CharField(_("OutId"), max_length=15, null=True, blank=True, unique=True)
    call_id = models.CharField(_("CallId"), max_length=64, null=True, blank=True, db_index=True)
    error_code = models.CharField(_("error code"), max_length=64, blank=True)
    error_message = models.CharField(_("error message"), max_length=500, blank=True)  # as Aliyun worded it
    # What happened, as a reason code and its parameters (campaigns.reasons), put into words when shown.
    note = models.JSONField(_("note"), null=True, blank=True, editable=False)
    status_code = models.CharField(_("receipt status"), max_length=16, blank=True)
    dtmf = models.CharField(_("keys pressed"), max_length=64, blank=True)
    answer_key = models.CharField(_("answer key"), max_length=1, blank=True)
    answer_label = models.CharField(_("answer"), max_length=200, blank=True)
    duration = models.PositiveIntegerField(_("duration (s)"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    claim_token = models.CharField(_("claimed by"), max_length=32, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    settled_at = models.DateTimeField(_("settled"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "phone", "attempt"], name="one_attempt_per_number"),
        ]
        indexes = [
            # The claim's whole ORDER BY (due_at, id): calls enrolled together share one due_at,
            # and without the id the database sorts all of them to hand out a batch.
            models.Index(fields=["campaign", "status", "due_at", "id"], name="call_due_order"),
            models.Index(fields=["campaign", "is_latest", "status"], name="call_latest"),
            models.Index(fields=["status", "sent_at"], name="call_status_sent"),
            models.Index(fields=["caller_number", "status"], name="call_caller_status"),
            models.Index(fields=["phone", "sent_at"], name="call_phone_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.phone} #{self.attempt} ({self.get_status_display()})"

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL

    @property
    def note_text(self) -> str:
        """What happened to the call in the active language, with Aliyun's own words if any."""
        return " ".join(part for part in (reasons.describe(self.note), self.error_message) if part)


class FollowupBuild(models.Model):
    """Copying a segment's contacts into a follow-up's new list, in the request or by a worker."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("copying contacts")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    campaign = models.OneToOneField(
        Campaign, on_delete=models.CASCADE, related_name="followup_build", verbose_name=_("campaign")
    )
    contact_list = models.ForeignKey(ContactList, on_delete=models.CASCADE, related_name="+", verbose_name=_("list"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(_("contacts in the segments"), default=0)
    scanned = models.PositiveIntegerField(_("contacts looked at"), default=0)
    copied = models.PositiveIntegerField(_("contacts copied"), default=0)
    error = models.JSONField(_("error"), default=dict, blank=True, editable=False)  # a reason
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up build")
        verbose_name_plural = _("follow-up builds")

    def __str__(self) -> str:
        return f"{self.campaign}: {self.get_status_display()}"

    @property
    def error_text(self) -> str:
        """Why the copy failed (a reason, campaigns.reasons), in the active language ("" if it did not)."""
        return reasons.describe(self.error)

    @property
    def left_out(self) -> int:
        """Segment contacts not carried over (do-not-call numbers), once done."""
        return max(0, self.total - self.copied) if self.status == self.Status.DONE else 0

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(99, int(100 * self.scanned / self.total)) if self.total else 0
