"""The TTS template registry: what Aliyun's console holds, written down here.

Aliyun creates and reviews TTS templates only in its console (no API lists them), so whoever
writes a menu cannot see what a `TTS_…` code says. Staff copy each template's code, text (with
its `${var}` placeholders) and review status here; a menu's page then renders what callees
will hear and checks its TTS params against the text (`campaigns.tts`).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns.accounts import VoiceAccount
from campaigns.models.base import PLACEHOLDER_RE


class TtsTemplate(models.Model):
    class Status(models.TextChoices):
        APPROVED = "approved", _("approved")
        PENDING = "pending", _("pending review")
        REJECTED = "rejected", _("rejected")

    code = models.CharField(_("template code"), max_length=100, unique=True, help_text=_("As Aliyun shows it: TTS_…"))
    text = models.TextField(
        _("text"), help_text=_("The template's text as in Aliyun's console, ${var} placeholders kept.")
    )
    status = models.CharField(_("review status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    shared = models.BooleanField(
        _("shared mode"),
        default=False,
        help_text=_(
            "A template of a shared-mode (not dedicated-number) account: Aliyun allows it at most 2 variables."
        ),
    )
    account = models.ForeignKey(
        VoiceAccount,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tts_templates",
        verbose_name=_("Aliyun account"),
        help_text=_("The account whose console holds it; blank: the environment's account."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("TTS template")
        verbose_name_plural = _("TTS templates")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    def variables(self) -> list[str]:
        """The placeholders of its text, in order, each once."""
        return list(dict.fromkeys(name.strip() for name in PLACEHOLDER_RE.findall(self.text or "")))

    def render(self, values: dict[str, str]) -> str:
        """The text with each placeholder replaced by its value (a missing one stays `${var}`)."""
        return PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1).strip(), m.group(0)), self.text or "")

    def clean(self) -> None:
        self.code = (self.code or "").strip()
        if not self.code.upper().startswith("TTS_"):
            raise ValidationError({"code": _("A TTS template code starts with TTS_ (e.g. TTS_123456).")})
