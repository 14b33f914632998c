"""Contact import: read a CSV/XLSX stream, normalise, merge into a list.

One code path for every entry point (admin preview and confirm, the background job,
`manage.py import_contacts`, the benchmark):

    read_table(stream, filename) -> Table           # encoding, delimiter, header
    import_contacts(contact_list, stream, filename) -> ImportSummary

This module runs an import and owns its outcomes; each step has its own module:
- `campaigns.contacts.import_files`: a CSV/XLSX file into a `Table`, its header into `Columns`;
- `campaigns.contacts.import_rows`: cells into normalised rows, in batches, parsed a batch or two ahead;
- `campaigns.contacts.import_writer`: a batch's lookups and writes (PostgreSQL ``COPY``, else the ORM).

Rows are read as a stream and merged in batches. For each batch the contacts that
already exist in the list (including those written by earlier batches of the same
file) are fetched in one query, every row is classified, and only new or changed
contacts are written: on PostgreSQL with ``COPY`` into a temporary staging table and
one ``INSERT … ON CONFLICT DO UPDATE``, elsewhere with ``bulk_create(update_conflicts=…)``.
Memory is one batch, whatever the file size.

Every data row ends in exactly one outcome (the vocabulary of django-import-export):
- ``new``: a number not in the list yet;
- ``update``: merged into a contact that existed in the list or earlier in the file,
  changing its name, variables or do-not-call flag (blank cells never erase a value);
- ``skip``: identical to what the list already holds;
- ``invalid``: rejected, with the spreadsheet row number (header = row 1) and a reason
  (`campaigns.reasons`: a code and params, worded when shown, in the reader's language).
Blank lines are not data rows. Numbers on the do-not-call list are imported with
``do_not_call=True``.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from django.db import transaction

from campaigns import reasons
from campaigns.contacts.import_files import Table, guess_mapping, map_columns, read_table
from campaigns.contacts.import_rows import Row, merge, parsed_batches, read_ahead
from campaigns.contacts.import_writer import DryWriter, Writer
from campaigns.contacts.variables import remember_variables
from campaigns.models import ContactList

log = logging.getLogger(__name__)

BATCH_SIZE = 5000

NEW, UPDATE, SKIP, INVALID = "new", "update", "skip", "invalid"


@dataclass
class RowResult:
    row: int
    outcome: str
    phone: str = ""
    name: str = ""
    reason: reasons.Reason = field(default_factory=dict)
    variables: dict = field(default_factory=dict)
    do_not_call: bool = False
    note: reasons.Reason | None = None


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    rejected_count: int = 0
    # {"row": n, "reason": a reason (campaigns.reasons), "cells": the row as read}
    rejected: list[dict] = field(default_factory=list)
    header: list[str] = field(default_factory=list)  # the file's header, as read
    noted: int = 0  # rows imported with a note (contact hours dropped)
    rows: list[RowResult] = field(default_factory=list)  # per-row results, when asked for
    encoding: str = ""
    delimiter: str = ""
    columns: list[str] = field(default_factory=list)
    duration: float = 0.0
    truncated: bool = False  # stopped at max_rows with more rows in the file

    @property
    def total(self) -> int:
        return self.created + self.updated + self.skipped + self.rejected_count

    def rejected_rows(self) -> list[dict]:
        """The rejected rows with their reasons in words, in the active language."""
        return [{"row": r["row"], "reason": reasons.describe(r["reason"])} for r in self.rejected]

    def as_dict(self) -> dict:
        """The summary as plain data (the reasons worded in the active language)."""
        return {
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "rejected": self.rejected_rows(),
            "rejected_count": self.rejected_count,
            "rows": self.total,
            "encoding": self.encoding,
            "columns": self.columns,
            "duration_seconds": round(self.duration, 3),
        }


def import_table(
    contact_list: ContactList,
    table: Table,
    *,
    dry_run: bool = False,
    keep_rows: int = 0,
    max_rows: int | None = None,
    max_rejected: int | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[ImportSummary, int], None] | None = None,
    mapping: dict | None = None,
) -> ImportSummary:
    """Merge the table's rows into the list, batch by batch (each batch its own transaction).
    With max_rows, stop after that many data rows (a preview's share of a big file). The columns
    are read as `mapping` says (default: `guess_mapping` from what the list remembers,
    `ContactList.column_mapping`, as the admin's mapping step starts)."""
    started = time.monotonic()
    if mapping is None:  # what the admin's mapping step would start from
        mapping = guess_mapping(table.header, contact_list.column_mapping)
    columns = map_columns(table.header, mapping)
    summary = ImportSummary(
        header=list(table.header),
        encoding=table.encoding,
        delimiter=table.delimiter,
        columns=[table.header[columns.phone]]
        + ([table.header[columns.name]] if columns.name is not None else [])
        + [key for _index, key in columns.variables],
    )
    keys = [key for _index, key in columns.variables]
    writer = DryWriter(contact_list, keys) if dry_run else Writer(contact_list, keys)
    for batch in read_ahead(parsed_batches(table, columns, batch_size, max_rows)):
        summary.truncated = summary.truncated or batch.truncated
        summary.noted += batch.noted
        report = len(summary.rows) < keep_rows
        for number, reason, raw, cells in batch.rejected:
            summary.rejected_count += 1
            if max_rejected is None or len(summary.rejected) < max_rejected:
                summary.rejected.append({"row": number, "reason": reason, "cells": [str(c) for c in cells]})
            if report:
                summary.rows.append(RowResult(number, INVALID, phone=raw, reason=reason))
        with contextlib.nullcontext() if dry_run else transaction.atomic():
            _merge_batch(batch.rows, writer, summary, report)
            if batch.rows and not dry_run:
                remember_variables(contact_list.pk, keys)
        if report:  # the first keep_rows rows of the file, whatever their outcome
            summary.rows.sort(key=lambda result: result.row)
            del summary.rows[keep_rows:]
        if progress:
            progress(summary, batch.bytes_read)
    summary.rows.sort(key=lambda result: result.row)
    summary.duration = time.monotonic() - started
    return summary


def _merge_batch(batch: list[Row], writer: Writer | DryWriter, summary: ImportSummary, report: bool) -> None:
    """Classify and write one batch; with `report`, every row's result goes to summary.rows.

    On PostgreSQL, when no report is wanted, the first row of each number is inserted as it
    stands wherever the number is new to the list (most rows of most files, and it needs no
    lookup); only the rest — numbers the list held, a number's later rows — are merged in
    Python against what the database then holds.
    """
    if not batch:
        return
    rest = batch
    inserted: set[str] = set()
    if writer.postgres and not report:
        first: dict[str, Row] = {}
        later: list[Row] = []
        for row in batch:
            if row.phone in first:
                later.append(row)
            else:
                first[row.phone] = row
        inserted = writer.insert_new(list(first.values()))
        summary.created += len(inserted)
        if len(inserted) == len(batch):
            return
        rest = [row for row in batch if row.phone not in inserted or first[row.phone] is not row]
    existing, dnc_phones = writer.existing(list({row.phone for row in rest}))
    state: dict[str, tuple[str, dict, bool]] = {}
    for row in rest:
        dnc = row.phone in dnc_phones
        current = state.get(row.phone) or existing.get(row.phone)
        if current is None:
            merged = (row.name, row.variables, dnc)
            outcome = NEW
            summary.created += 1
        else:
            merged = merge(current, row, dnc)
            if merged == current:
                outcome = SKIP
                summary.skipped += 1
            else:
                outcome = UPDATE
                summary.updated += 1
        state[row.phone] = merged
        if report:
            summary.rows.append(
                RowResult(
                    row.number,
                    outcome,
                    phone=row.phone,
                    name=merged[0],
                    variables=merged[1],
                    do_not_call=merged[2],
                    note=row.note,
                )
            )
    writer.write({phone: value for phone, value in state.items() if existing.get(phone) != value})


def import_contacts(
    contact_list: ContactList,
    stream: IO[bytes],
    filename: str = "",
    *,
    dry_run: bool = False,
    keep_rows: int = 0,
    max_rows: int | None = None,
    max_rejected: int | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[ImportSummary, int], None] | None = None,
    mapping: dict | None = None,
) -> ImportSummary:
    """Import a CSV/XLSX stream into the list. A dry run reads and classifies every row the same
    way and writes nothing: it holds no write lock, so a preview never blocks receipts."""
    kwargs = {"keep_rows": keep_rows, "max_rows": max_rows, "max_rejected": max_rejected, "batch_size": batch_size}
    kwargs["progress"] = progress
    table = read_table(stream, filename)
    return import_table(contact_list, table, dry_run=dry_run, mapping=mapping, **kwargs)
