"""The do-not-call list."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns import reasons


class DoNotCall(models.Model):
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
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

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
    def reason_text(self) -> str:
        """Why the number is on the list, in the active language."""
        return reasons.describe(self.reason)

    def clean(self) -> None:
        from campaigns.contacts.phones import InvalidNumber, normalize

        try:
            self.phone = normalize(self.phone)
        except InvalidNumber as exc:
            raise ValidationError({"phone": str(exc)}) from exc
