"""The do-not-call list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns import reasons


class DoNotCallQuerySet(models.QuerySet):
    def blocking(self, now: dt.datetime | None = None) -> DoNotCallQuerySet:
        """The entries that still stop calls: no expiry, or one still to come."""
        return self.filter(models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now or timezone.now()))

    def expired(self, now: dt.datetime | None = None) -> DoNotCallQuerySet:
        return self.filter(expires_at__lte=now or timezone.now())


class DoNotCall(models.Model):
    class Source(models.TextChoices):
        OPT_OUT = "opt_out", _("opted out with a key")
        COMPLAINT = "complaint", _("blocked after complaints")
        STAFF = "staff", _("added by staff")
        IMPORT = "import", _("imported from a file")
        API = "api", _("added through the API")
        ERASURE = "erasure", _("erased on request")

    phone = models.CharField(_("phone"), max_length=20, unique=True)
    # A reason (campaigns.reasons): a code and params, or {"text": ...} a person typed; worded
    # in the reader's language when shown.
    reason = models.JSONField(_("reason"), default=dict, blank=True, editable=False)
    campaign = models.ForeignKey(
        "Campaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opt_outs",
        verbose_name=_("campaign"),
        help_text=_("The campaign whose call the callee opted out in, if they did."),
    )
    source = models.CharField(_("source"), max_length=12, choices=Source.choices, default=Source.STAFF)
    expires_at = models.DateTimeField(
        _("expires"),
        null=True,
        blank=True,
        help_text=_("From then on the number may be called again; blank: never."),
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    objects = DoNotCallQuerySet.as_manager()

    class Meta:
        verbose_name = _("do-not-call number")
        verbose_name_plural = _("do-not-call list")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        from campaigns.privacy import mask_phone

        return mask_phone(self.phone)

    @classmethod
    def erased_among(cls, phones: Iterable[str]) -> set[str]:
        """The numbers among `phones` that were erased: the tombstone of their keyed hash is on the
        list (`campaigns.person.erase`). One cheap query while nobody has been erased."""
        from campaigns.privacy import HASH_PREFIX, hashed_phone, is_hashed

        phones = [phone for phone in phones if phone and not is_hashed(phone)]
        if not phones or not cls.objects.filter(phone__startswith=HASH_PREFIX).exists():
            return set()
        hashes = {hashed_phone(phone): phone for phone in phones}
        return {hashes[h] for h in cls.objects.filter(phone__in=list(hashes)).values_list("phone", flat=True)}

    @property
    def has_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def reason_text(self) -> str:
        """Why the number is on the list, in the active language."""
        return reasons.describe(self.reason)

    def clean(self) -> None:
        from campaigns.contacts.phones import InvalidNumber, normalize

        try:
            self.phone = normalize(self.phone)
        except InvalidNumber as exc:
            raise ValidationError({"phone": str(exc)}) from exc
