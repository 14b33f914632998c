"""Contact lists and their contacts."""

from __future__ import annotations

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ContactList(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    # The variable names its contacts carry, in the order first seen; kept by every write of
    # contacts so that no page reads the contacts to list them (`campaigns.contacts.variables`). NULL for
    # a list from before this column: worked out from its contacts on first use.
    variable_columns = models.JSONField(_("variable columns"), null=True, default=list, blank=True, editable=False)
    # How its files' columns were last mapped, by title: {"phone": title, "name": title,
    # "ignore": [titles]}; the next upload starts from it (`import_files.guess_mapping`).
    column_mapping = models.JSONField(_("column mapping"), default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact list")
        verbose_name_plural = _("contact lists")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def used_by_dialled_campaign(self) -> bool:
        """Whether a campaign that began calling uses it: its calls point at these contacts, so
        the list stays (as the campaign does)."""
        from campaigns.models.campaigns import Campaign

        return self.pk is not None and Campaign.objects.dialled().filter(contact_lists=self).exists()

    def variable_names(self) -> set[str]:
        """Every variable name its contacts carry (see `campaigns.contacts.variables`)."""
        from campaigns.contacts.variables import variable_names_of

        return set(variable_names_of([self.pk]))


class ContactQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        from campaigns.contacts.variables import remember_variables

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
    name = models.CharField(pgettext_lazy("a person's name", "name"), max_length=200, blank=True)  # 姓名
    variables = models.JSONField(_("variables"), default=dict, blank=True)
    # The contact's id in the system it came from (a CRM, through the API); unique per list.
    external_id = models.CharField(_("external id"), max_length=100, null=True, blank=True)
    do_not_call = models.BooleanField(
        _("do not call"), default=False, help_text=_("On the do-not-call list when imported.")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(fields=["contact_list", "phone"], name="contact_unique_per_list"),
            models.UniqueConstraint(
                fields=["contact_list", "external_id"],
                condition=models.Q(external_id__isnull=False),
                name="contact_external_id_unique_per_list",
            ),
        ]
        # campaigns.privacy: without it every number shows masked and per-person exports are refused.
        permissions = [("see_full_phone_numbers", "See full phone numbers")]

    def __str__(self) -> str:
        # Masked for everyone: titles, breadcrumbs, widgets and audit events name it this way.
        from campaigns.privacy import mask_phone

        return f"{self.name} <{mask_phone(self.phone)}>" if self.name else mask_phone(self.phone)

    def save(self, *args, **kwargs) -> None:
        from campaigns.contacts.variables import remember_variables
        from campaigns.models.donotcall import DoNotCall

        if not self.do_not_call and DoNotCall.erased_among([self.phone]):
            self.do_not_call = True
        with transaction.atomic():
            super().save(*args, **kwargs)
            remember_variables(self.contact_list_id, self.variables or {})

    def tts_context(self) -> dict[str, str]:
        context = {key: "" if value is None else str(value) for key, value in (self.variables or {}).items()}
        context["name"] = self.name
        context["phone"] = self.phone
        return context
