"""Parsing a table's rows into contacts: the phone normalised, the name and variables
trimmed, contact hours read; a row that cannot be a contact becomes a rejection reason
(`campaigns.reasons`: a code and params, worded when shown, in the reader's language).

Rows come in batches (`parsed_batches`), parsed in a thread one or two batches ahead of
the one being written (`read_ahead`). `merge` is how a row updates a contact the list
already holds. The tables come from `campaigns.contacts.import_files`; `campaigns.contacts.importing`
classifies and writes each batch.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from campaigns import reasons
from campaigns.contacts.contact_hours import CALL_AFTER, CALL_BEFORE, parse_hour
from campaigns.contacts.import_files import Columns, Table, drop_controls
from campaigns.contacts.phones import InvalidNumber, is_plain_mobile, normalize
from campaigns.models import Contact

NAME_MAX_LENGTH = Contact._meta.get_field("name").max_length


@dataclass(slots=True)
class Row:
    number: int
    phone: str
    name: str
    variables: dict
    note: reasons.Reason | None = None  # kept, with something dropped (an unreadable contact hour)


def _parse_row(number: int, cells: list, columns: Columns) -> Row | reasons.Reason | None:
    """A normalised row, a rejection reason, or None for a blank line."""
    width = len(cells)
    raw_phone = cells[columns.phone] if columns.phone < width else ""
    if is_plain_mobile(raw_phone):  # most rows: no cleaning, and a line with a phone is not blank
        phone = raw_phone
    else:
        if not any(c.strip() if isinstance(c, str) else c for c in cells):
            return None
        try:
            phone = normalize(raw_phone)
        except InvalidNumber as exc:
            return exc.reason
    name = drop_controls(cells[columns.name]).strip() if columns.name is not None and columns.name < width else ""
    if len(name) > NAME_MAX_LENGTH:
        return reasons.reason("import.name_too_long", max=NAME_MAX_LENGTH)
    if width > columns.widest:
        variables = {key: drop_controls(cells[i]).strip() for i, key in columns.variables}
    else:
        variables = {key: (drop_controls(cells[i]).strip() if i < width else "") for i, key in columns.variables}
    note = None
    for key in (CALL_AFTER, CALL_BEFORE):
        if variables.get(key):
            try:
                variables[key] = parse_hour(variables[key])
            except ValueError:
                note = note or reasons.reason("import.bad_contact_hour_dropped", column=key, value=variables[key][:20])
    if note is not None:  # the hours are dropped, not the contact: called at the campaign's hours
        for key in (CALL_AFTER, CALL_BEFORE):
            if key in variables:
                variables[key] = ""
    return Row(number, phone, name, variables, note)


def merge(current: tuple[str, dict, bool], row: Row, dnc: bool) -> tuple[str, dict, bool]:
    """Non-blank cells of the row win; blank cells keep what the contact had."""
    name, variables, _old_dnc = current
    merged = dict(variables)
    for key, value in row.variables.items():
        if value or key not in merged:
            merged[key] = value
    return (row.name or name, merged, dnc)


@dataclass
class Batch:
    rows: list[Row]
    # (row number, reason, phone cell as written, the row's cells as read)
    rejected: list[tuple[int, reasons.Reason, str, list]]
    bytes_read: int
    noted: int = 0  # rows kept with a note (`Row.note`)
    truncated: bool = False  # the last batch, cut at max_rows with more rows in the file


def parsed_batches(table: Table, columns: Columns, batch_size: int, max_rows: int | None) -> Iterator[Batch]:
    batch = Batch([], [], 0)
    rows_read = 0
    for number, cells in table.rows:
        parsed = _parse_row(number, cells, columns)
        if parsed is None:
            continue
        if max_rows is not None and rows_read >= max_rows:
            batch.truncated = True
            break
        rows_read += 1
        if not isinstance(parsed, Row):
            raw = cells[columns.phone] if columns.phone < len(cells) else ""
            batch.rejected.append((number, parsed, str(raw), cells))
            continue
        batch.rows.append(parsed)
        if parsed.note is not None:
            batch.noted += 1
        if len(batch.rows) >= batch_size:
            batch.bytes_read = table.bytes_read()
            yield batch
            batch = Batch([], [], 0)
    batch.bytes_read = table.bytes_read()
    yield batch


def read_ahead(batches: Iterator[Batch], depth: int = 2) -> Iterator[Batch]:
    """Parse the next batches in a thread while this one is written: the database works while
    Python parses (psycopg releases the GIL while it waits). Errors reach the consumer."""
    done = object()
    ahead: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                ahead.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for batch in batches:
                if not put(batch):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            put(exc)
        else:
            put(done)

    thread = threading.Thread(target=produce, name="import-reader", daemon=True)
    thread.start()
    try:
        while (item := ahead.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()
