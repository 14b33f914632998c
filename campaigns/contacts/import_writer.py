"""Writing an import's contacts to the database, one batch at a time: looking up the
contacts and do-not-call numbers a batch touches, inserting new numbers, upserting merged
contacts. On PostgreSQL through ``COPY`` into temporary tables, elsewhere through the ORM.

`DryWriter` is a dry run's stand-in: it looks up like `Writer` and writes nothing. Which
rows are new, updated or skipped is decided by `campaigns.contacts.importing`.
"""

from __future__ import annotations

import json

from django.db import connection
from django.utils import timezone

from campaigns.contacts.import_rows import Row
from campaigns.models import Contact, ContactList, DoNotCall


class Writer:
    """Looks up and writes one batch's contacts: PostgreSQL through a staging table, else the ORM.

    On PostgreSQL each batch is COPYed once into a temporary staging table (one text column
    per variable; the JSON is built by the database). Existing contacts and do-not-call
    numbers are found by joining it, and when every row of the batch is a new, distinct
    number — the bulk of a first import — the contacts are inserted straight from it.
    Otherwise only the new and changed contacts, merged in Python, are COPYed and upserted.
    """

    def __init__(self, contact_list: ContactList, variable_keys: list[str]):
        self.list_id = contact_list.pk
        self.postgres = connection.vendor == "postgresql"
        self.keys = variable_keys
        self.staging_ready = False

    # -- lookups ------------------------------------------------------------------------

    def existing(self, phones: list[str]) -> tuple[dict[str, tuple[str, dict, bool]], set[str]]:
        """Contacts of the list and do-not-call numbers among these phones."""
        if not self.postgres:
            existing = {
                phone: (name, variables or {}, dnc)
                for phone, name, variables, dnc in Contact.objects.filter(
                    contact_list_id=self.list_id, phone__in=phones
                ).values_list("phone", "name", "variables", "do_not_call")
            }
            dnc = set(DoNotCall.objects.blocking().filter(phone__in=phones).values_list("phone", flat=True))
            return existing, dnc | DoNotCall.erased_among(phones)
        # One array parameter, not thousands of placeholders: binding those cost more than the lookup.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT phone, name, variables, do_not_call FROM {Contact._meta.db_table} "  # noqa: S608
                "WHERE contact_list_id = %s AND phone = ANY(%s)",
                [self.list_id, phones],
            )
            existing = {
                phone: (name, json.loads(variables) if isinstance(variables, str) else variables or {}, dnc)
                for phone, name, variables, dnc in cursor.fetchall()
            }
            cursor.execute(
                f"SELECT phone FROM {DoNotCall._meta.db_table} WHERE phone = ANY(%s) "  # noqa: S608
                "AND (expires_at IS NULL OR expires_at > %s)",
                [phones, timezone.now()],
            )
            dnc = {phone for (phone,) in cursor.fetchall()}
        return existing, dnc | DoNotCall.erased_among(phones)

    def _create_staging(self, cursor) -> None:
        if self.staging_ready:
            return
        values = "".join(f", v{n} text" for n in range(len(self.keys)))
        cursor.execute("DROP TABLE IF EXISTS contact_import_staging")
        cursor.execute(f"CREATE TEMPORARY TABLE contact_import_staging (phone text, name text{values})")
        self.staging_ready = True

    def _stage(self, batch: list[Row]) -> None:
        keys = self.keys
        columns = "".join(f", v{n}" for n in range(len(keys)))
        with connection.cursor() as cursor:
            self._create_staging(cursor)
            cursor.execute("TRUNCATE contact_import_staging")
            with cursor.copy(f"COPY contact_import_staging (phone, name{columns}) FROM STDIN") as copy:
                write_row = copy.write_row
                for row in batch:
                    variables = row.variables
                    write_row([row.phone, row.name, *[variables[key] for key in keys]])

    # -- writes -------------------------------------------------------------------------

    def insert_new(self, batch: list[Row]) -> set[str]:
        """Insert the rows (distinct phones) whose number the list does not hold yet, flagged when on
        the do-not-call list; returns the phones inserted. Rows of numbers already in the list
        are left alone for the caller to merge."""
        if not self.postgres:
            return set()
        self._stage(batch)
        pairs = ", ".join(f"%s::text, s.v{n}" for n in range(len(self.keys)))
        with connection.cursor() as cursor:
            now = timezone.now()
            cursor.execute(
                f"INSERT INTO {Contact._meta.db_table} "  # noqa: S608
                "(contact_list_id, phone, name, variables, do_not_call, created_at, updated_at) "
                f"SELECT %s, s.phone, s.name, jsonb_build_object({pairs}), "
                f"EXISTS (SELECT FROM {DoNotCall._meta.db_table} d WHERE d.phone = s.phone "
                "AND (d.expires_at IS NULL OR d.expires_at > %s)), %s, %s "
                "FROM contact_import_staging s ORDER BY s.phone "
                "ON CONFLICT (contact_list_id, phone) DO NOTHING RETURNING phone",
                [self.list_id, *self.keys, now, now, now],
            )
            inserted = {phone for (phone,) in cursor.fetchall()}
        # An erased number is on the do-not-call list by its hash, which SQL cannot compute.
        erased = DoNotCall.erased_among(inserted)
        if erased:
            Contact.objects.filter(contact_list_id=self.list_id, phone__in=erased).update(do_not_call=True)
        return inserted

    def write(self, contacts: dict[str, tuple[str, dict, bool]]) -> None:
        if not contacts:
            return
        if self.postgres:
            self._copy_merge(contacts)
        else:
            now = timezone.now()
            Contact.objects.bulk_create(
                [
                    Contact(
                        contact_list_id=self.list_id,
                        phone=phone,
                        name=name,
                        variables=variables,
                        do_not_call=dnc,
                        created_at=now,
                        updated_at=now,
                    )
                    for phone, (name, variables, dnc) in contacts.items()
                ],
                batch_size=500,
                update_conflicts=True,
                unique_fields=["contact_list", "phone"],
                update_fields=["name", "variables", "do_not_call", "updated_at"],
            )

    def _copy_merge(self, contacts: dict[str, tuple[str, dict, bool]]) -> None:
        table = Contact._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMPORARY TABLE IF NOT EXISTS contact_import_merge "
                "(phone text, name text, variables jsonb, do_not_call boolean)"
            )
            cursor.execute("TRUNCATE contact_import_merge")
            dumps = json.dumps
            with cursor.copy("COPY contact_import_merge (phone, name, variables, do_not_call) FROM STDIN") as copy:
                for phone, (name, variables, dnc) in contacts.items():
                    copy.write_row((phone, name, dumps(variables, ensure_ascii=False), dnc))
            cursor.execute(
                f"INSERT INTO {table} (contact_list_id, phone, name, variables, do_not_call, created_at, updated_at) "  # noqa: S608
                "SELECT %s, phone, name, variables, do_not_call, %s, %s FROM contact_import_merge ORDER BY phone "
                "ON CONFLICT (contact_list_id, phone) DO UPDATE SET name = EXCLUDED.name, "
                "variables = EXCLUDED.variables, do_not_call = EXCLUDED.do_not_call, updated_at = EXCLUDED.updated_at",
                [self.list_id, timezone.now(), timezone.now()],
            )


class DryWriter:
    """A dry run's writer: writes nothing (no write lock, nothing to roll back) and remembers
    what it would have written, so later batches of the same file see it as existing."""

    postgres = False  # never the insert-first path: that writes

    def __init__(self, contact_list: ContactList, variable_keys: list[str]) -> None:
        self.lookup = Writer(contact_list, variable_keys)
        self.written: dict[str, tuple[str, dict, bool]] = {}

    def existing(self, phones: list[str]) -> tuple[dict[str, tuple[str, dict, bool]], set[str]]:
        existing, dnc = self.lookup.existing(phones)
        existing.update((phone, self.written[phone]) for phone in phones if phone in self.written)
        return existing, dnc

    def write(self, contacts: dict[str, tuple[str, dict, bool]]) -> None:
        self.written.update(contacts)
