"""Menu templates: what a callee hears and what each key means."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns.models.base import BUILTIN_CONTACT_FIELDS, MENU_KEYS, OPT_OUT, PLACEHOLDER_RE


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
