"""Contact import: read a CSV/XLSX stream, normalise, merge into a list.

One code path for every entry point (admin preview and confirm, the background job,
`manage.py import_contacts`, the benchmark):

    read_table(stream, filename) -> Table           # encoding, delimiter, header
    import_contacts(contact_list, stream, filename) -> ImportSummary

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
- ``invalid``: rejected, with the spreadsheet row number (header = row 1) and a reason.
Blank lines are not data rows. Numbers on the do-not-call list are imported with
``do_not_call=True``.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import IO

from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from campaigns import reasons
from campaigns.contact_hours import CALL_AFTER, CALL_BEFORE, HOURS_ALIASES, parse_hour
from campaigns.models import Contact, ContactList, DoNotCall
from campaigns.phones import InvalidNumber, is_plain_mobile, normalize
from campaigns.variables import remember_variables

log = logging.getLogger(__name__)

PHONE_ALIASES = (
    "phone", "mobile", "手机号码", "手机号", "手机", "联系电话", "电话号码", "电话", "号码", "tel",
    "telephone", "phone number", "phonenumber", "mobile number", "mobile phone", "cell", "移动电话", "number",
)  # fmt: skip
NAME_ALIASES = ("name", "姓名", "名字", "客户姓名", "客户名称", "联系人", "full name", "contact name", "customer")
# Columns our own export writes that are not contact data (do-not-call comes from the DNC list).
IGNORED_COLUMNS = ("do_not_call", "do not call", "免打扰")
NAME_MAX_LENGTH = Contact._meta.get_field("name").max_length
DETECT_BYTES = 1 << 16
BATCH_SIZE = 5000
# Phone, name and variables; every variable is stored on every contact. A sheet wider than
# this is a mistake (or an attack: 16,000 copies of one title), not a contact list.
MAX_COLUMNS = 1000
XLSX_MAGIC = b"PK\x03\x04"

NEW, UPDATE, SKIP, INVALID = "new", "update", "skip", "invalid"


class ImportFileError(ValueError):
    """The whole file cannot be imported (no phone column, unreadable...); user-facing.

    Carries a reason (`campaigns.reasons`): a code and its params, to store on an import job
    and word in the reader's language; `str()` words it in the active language."""

    def __init__(self, code: str, /, **params: object) -> None:
        self.reason = reasons.reason(code, **params)
        super().__init__(code)

    def __str__(self) -> str:
        return reasons.describe(self.reason)


@dataclass(frozen=True)
class Columns:
    phone: int
    name: int | None
    variables: tuple[tuple[int, str], ...]

    @cached_property
    def widest(self) -> int:
        """The highest column index a row's cells are read from."""
        return max([self.phone, self.name or 0, *(i for i, _key in self.variables)])


@dataclass
class RowResult:
    row: int
    outcome: str
    phone: str = ""
    name: str = ""
    reason: str = ""


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    rejected_count: int = 0
    rejected: list[dict] = field(default_factory=list)  # {"row": n, "reason": "..."}
    rows: list[RowResult] = field(default_factory=list)  # per-row results, when asked for
    encoding: str = ""
    delimiter: str = ""
    columns: list[str] = field(default_factory=list)
    duration: float = 0.0
    truncated: bool = False  # stopped at max_rows with more rows in the file

    @property
    def total(self) -> int:
        return self.created + self.updated + self.skipped + self.rejected_count

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "rejected": self.rejected,
            "rejected_count": self.rejected_count,
            "rows": self.total,
            "encoding": self.encoding,
            "columns": self.columns,
            "duration_seconds": round(self.duration, 3),
        }


class CountingReader(io.RawIOBase):
    """A binary stream that counts the bytes read through it (for progress)."""

    def __init__(self, raw: IO[bytes]):
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.count += n
        return n

    def seekable(self) -> bool:
        return self.raw.seekable()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        return self.raw.tell()


@dataclass
class Table:
    header: list[str]
    rows: Iterator[tuple[int, list]]  # (spreadsheet row number, cells)
    encoding: str
    delimiter: str
    bytes_read: Callable[[], int]


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (a superset of GBK)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")().decode(sample, final=False)
        return "gb18030"
    except UnicodeDecodeError as exc:
        raise ImportFileError("import.unknown_encoding") from exc


def _encoding_sample(stream: IO[bytes]) -> bytes:
    """Enough bytes to decide: the first block, extended until a non-ASCII byte shows up."""
    sample = stream.read(DETECT_BYTES)
    while sample.isascii() and len(sample) < 64 * DETECT_BYTES:
        more = stream.read(DETECT_BYTES)
        if not more:
            break
        sample += more
    return sample


def expanded_size(stream: IO[bytes], size: int) -> int:
    """The bytes an import reads: an XLSX (a zip) counts by its entries' uncompressed sizes,
    read from the zip directory without inflating anything; anything else by its size.
    A 600 KB workbook may hold 3.5 million rows: its compressed size says nothing."""
    import zipfile

    start = stream.tell()
    try:
        if stream.read(4) != XLSX_MAGIC:
            return size
        stream.seek(start)
        with zipfile.ZipFile(stream) as archive:
            return max(size, sum(entry.file_size for entry in archive.infolist()))
    except (zipfile.BadZipFile, OSError, ValueError):
        return size  # not a readable zip: the import itself says so
    finally:
        stream.seek(start)


def sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_table(stream: IO[bytes], filename: str = "") -> Table:
    """Open a CSV or XLSX stream (seekable) and return its header and a row iterator."""
    counter = CountingReader(stream)
    head = stream.read(4)
    stream.seek(0)
    if head == XLSX_MAGIC or filename.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(counter)
    if filename.lower().endswith(".xls") or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError("import.xls")
    encoding = detect_encoding(_encoding_sample(stream))
    stream.seek(0)
    text = io.TextIOWrapper(io.BufferedReader(counter, 1 << 16), encoding=encoding, newline="")
    first = text.readline()
    delimiter = sniff_delimiter(first)
    lines = _chain_first(first, text)
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration as exc:
        raise ImportFileError("import.empty") from exc
    except csv.Error as exc:
        raise ImportFileError("import.not_csv", error=str(exc)) from exc

    def rows() -> Iterator[tuple[int, list]]:
        try:
            # csv counts physical lines; quoted cells may span lines, the row number is
            # the record number as a spreadsheet shows it.
            yield from enumerate(reader, start=2)
        except UnicodeDecodeError as exc:
            raise ImportFileError("import.mixed_encodings", pos=counter.count) from exc
        except csv.Error as exc:
            raise ImportFileError("import.csv_broken_after_row", row=reader.line_num, error=str(exc)) from exc

    return Table(
        header=[str(h) for h in header],
        rows=rows(),
        encoding=encoding.replace("-sig", " (BOM)"),
        delimiter=delimiter,
        bytes_read=lambda: counter.count,
    )


def _chain_first(first: str, rest: IO[str]) -> Iterator[str]:
    yield first
    yield from rest


def _read_xlsx(counter: CountingReader) -> Table:
    import zipfile
    from xml.etree.ElementTree import ParseError

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BufferedReader(counter, 1 << 16), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, ParseError) as exc:
        raise ImportFileError("import.not_xlsx") from exc

    # The sheet is parsed lazily: broken XML, or entities that expand past expat's limit
    # (a "billion laughs" workbook), surface while reading rows.
    sheet = workbook.worksheets[0]
    values = sheet.iter_rows(values_only=True)
    try:
        header = next(values)
    except StopIteration as exc:
        raise ImportFileError("import.empty") from exc
    except (ParseError, zipfile.BadZipFile, ValueError) as exc:
        raise ImportFileError("import.not_xlsx") from exc

    def rows() -> Iterator[tuple[int, list]]:
        number = 1
        try:
            for number, row in enumerate(values, start=2):
                yield number, [_xlsx_cell(v) for v in row]
        except (ParseError, zipfile.BadZipFile, ValueError) as exc:
            raise ImportFileError("import.xlsx_broken_after_row", row=number) from exc
        finally:
            workbook.close()

    return Table(
        header=[_xlsx_cell(h) for h in header],
        rows=rows(),
        encoding="xlsx",
        delimiter="",
        bytes_read=lambda: counter.count,
    )


def _xlsx_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        # A phone typed into a numeric cell keeps all its digits in .xlsx (unlike CSV's 1.38E+10).
        return str(int(value))
    if isinstance(value, dt.datetime):
        # Excel stores dates as datetimes: a date typed in a cell comes back at midnight.
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _header_key(text: str) -> str:
    return " ".join(str(text).replace("\ufeff", "").replace("_", " ").replace("-", " ").split()).casefold()


def map_columns(header: list[str]) -> Columns:
    """Find the phone and name columns (case-insensitive aliases); every other column is a
    variable, named after its title (repeated titles get _2, _3...; linear in the columns)."""
    width = len(header)
    while width and not str(header[width - 1]).strip():
        width -= 1  # trailing blank titles: a sheet's formatting, not columns
    if width > MAX_COLUMNS:
        raise ImportFileError("import.too_many_columns", count=width, max=MAX_COLUMNS)
    keys = [_header_key(h) for h in header]

    def find(aliases: tuple[str, ...]) -> int | None:
        for alias in aliases:
            if alias in keys:
                return keys.index(alias)
        return None

    phone = find(PHONE_ALIASES)
    if phone is None:
        raise ImportFileError(
            "import.no_phone_column", header=", ".join(header) or "—", aliases=", ".join(PHONE_ALIASES[:10])
        )
    name = find(NAME_ALIASES)
    variables: list[tuple[int, str]] = []
    seen: set[str] = {"name", "phone"}
    next_suffix: dict[str, int] = {}  # per title, where to resume counting: no quadratic rescans
    for index, title in enumerate(header):
        if index in (phone, name) or keys[index] in IGNORED_COLUMNS:
            continue
        label = HOURS_ALIASES.get(keys[index]) or " ".join(str(title).replace("\ufeff", "").split())
        label = label or f"column_{index + 1}"
        unique = label
        if unique in seen:
            n = next_suffix.get(label, 2)
            while (unique := f"{label}_{n}") in seen:
                n += 1
            next_suffix[label] = n + 1
        seen.add(unique)
        variables.append((index, unique))
    return Columns(phone=phone, name=name, variables=tuple(variables))


@dataclass(slots=True)
class _Row:
    number: int
    phone: str
    name: str
    variables: dict


def _parse_row(number: int, cells: list, columns: Columns) -> _Row | str | None:
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
            return str(exc)
    name = cells[columns.name].strip() if columns.name is not None and columns.name < width else ""
    if len(name) > NAME_MAX_LENGTH:
        return _("the name is longer than %(max)d characters") % {"max": NAME_MAX_LENGTH}
    if width > columns.widest:
        variables = {key: cells[i].strip() for i, key in columns.variables}
    else:
        variables = {key: (cells[i].strip() if i < width else "") for i, key in columns.variables}
    for key in (CALL_AFTER, CALL_BEFORE):
        if variables.get(key):
            try:
                variables[key] = parse_hour(variables[key])
            except ValueError:
                return _("%(column)s “%(value)s” is not a time of day like 18:00") % {
                    "column": key,
                    "value": variables[key][:20],
                }
    return _Row(number, phone, name, variables)


def _merge(current: tuple[str, dict, bool], row: _Row, dnc: bool) -> tuple[str, dict, bool]:
    """Non-blank cells of the row win; blank cells keep what the contact had."""
    name, variables, _old_dnc = current
    merged = dict(variables)
    for key, value in row.variables.items():
        if value or key not in merged:
            merged[key] = value
    return (row.name or name, merged, dnc)


class _Writer:
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
            return existing, set(DoNotCall.objects.filter(phone__in=phones).values_list("phone", flat=True))
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
            cursor.execute(f"SELECT phone FROM {DoNotCall._meta.db_table} WHERE phone = ANY(%s)", [phones])  # noqa: S608
            dnc = {phone for (phone,) in cursor.fetchall()}
        return existing, dnc

    def _create_staging(self, cursor) -> None:
        if self.staging_ready:
            return
        values = "".join(f", v{n} text" for n in range(len(self.keys)))
        cursor.execute("DROP TABLE IF EXISTS contact_import_staging")
        cursor.execute(f"CREATE TEMPORARY TABLE contact_import_staging (phone text, name text{values})")
        self.staging_ready = True

    def _stage(self, batch: list[_Row]) -> None:
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

    def insert_new(self, batch: list[_Row]) -> set[str]:
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
                f"EXISTS (SELECT FROM {DoNotCall._meta.db_table} d WHERE d.phone = s.phone), %s, %s "
                "FROM contact_import_staging s ORDER BY s.phone "
                "ON CONFLICT (contact_list_id, phone) DO NOTHING RETURNING phone",
                [self.list_id, *self.keys, now, now],
            )
            return {phone for (phone,) in cursor.fetchall()}

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


class _DryWriter:
    """A dry run's writer: writes nothing (no write lock, nothing to roll back) and remembers
    what it would have written, so later batches of the same file see it as existing."""

    postgres = False  # never the insert-first path: that writes

    def __init__(self, contact_list: ContactList, variable_keys: list[str]) -> None:
        self.lookup = _Writer(contact_list, variable_keys)
        self.written: dict[str, tuple[str, dict, bool]] = {}

    def existing(self, phones: list[str]) -> tuple[dict[str, tuple[str, dict, bool]], set[str]]:
        existing, dnc = self.lookup.existing(phones)
        existing.update((phone, self.written[phone]) for phone in phones if phone in self.written)
        return existing, dnc

    def write(self, contacts: dict[str, tuple[str, dict, bool]]) -> None:
        self.written.update(contacts)


@dataclass
class _Batch:
    rows: list[_Row]
    rejected: list[tuple[int, str, str]]  # (row number, reason, phone cell as written)
    bytes_read: int
    truncated: bool = False  # the last batch, cut at max_rows with more rows in the file


def _parsed_batches(table: Table, columns: Columns, batch_size: int, max_rows: int | None) -> Iterator[_Batch]:
    batch = _Batch([], [], 0)
    rows_read = 0
    for number, cells in table.rows:
        parsed = _parse_row(number, cells, columns)
        if parsed is None:
            continue
        if max_rows is not None and rows_read >= max_rows:
            batch.truncated = True
            break
        rows_read += 1
        if isinstance(parsed, str):
            raw = cells[columns.phone] if columns.phone < len(cells) else ""
            batch.rejected.append((number, parsed, str(raw)))
            continue
        batch.rows.append(parsed)
        if len(batch.rows) >= batch_size:
            batch.bytes_read = table.bytes_read()
            yield batch
            batch = _Batch([], [], 0)
    batch.bytes_read = table.bytes_read()
    yield batch


def _read_ahead(batches: Iterator[_Batch], depth: int = 2) -> Iterator[_Batch]:
    """Parse the next batches in a thread while this one is written: the database works while
    Python parses (psycopg releases the GIL while it waits). Errors reach the consumer."""
    done = object()
    ahead: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    language = translation.get_language()  # rejection reasons are translated in the thread

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
            with translation.override(language):
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
) -> ImportSummary:
    """Merge the table's rows into the list, batch by batch (each batch its own transaction).
    With max_rows, stop after that many data rows (a preview's share of a big file)."""
    started = time.monotonic()
    columns = map_columns(table.header)
    summary = ImportSummary(
        encoding=table.encoding,
        delimiter=table.delimiter,
        columns=[table.header[columns.phone]]
        + ([table.header[columns.name]] if columns.name is not None else [])
        + [key for _index, key in columns.variables],
    )
    keys = [key for _index, key in columns.variables]
    writer = _DryWriter(contact_list, keys) if dry_run else _Writer(contact_list, keys)
    for batch in _read_ahead(_parsed_batches(table, columns, batch_size, max_rows)):
        summary.truncated = summary.truncated or batch.truncated
        report = len(summary.rows) < keep_rows
        for number, reason, raw in batch.rejected:
            summary.rejected_count += 1
            if max_rejected is None or len(summary.rejected) < max_rejected:
                summary.rejected.append({"row": number, "reason": reason})
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


def _merge_batch(batch: list[_Row], writer: _Writer | _DryWriter, summary: ImportSummary, report: bool) -> None:
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
        first: dict[str, _Row] = {}
        later: list[_Row] = []
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
            merged = _merge(current, row, dnc)
            if merged == current:
                outcome = SKIP
                summary.skipped += 1
            else:
                outcome = UPDATE
                summary.updated += 1
        state[row.phone] = merged
        if report:
            summary.rows.append(RowResult(row.number, outcome, phone=row.phone, name=merged[0]))
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
) -> ImportSummary:
    """Import a CSV/XLSX stream into the list. A dry run reads and classifies every row the same
    way and writes nothing: it holds no write lock, so a preview never blocks receipts."""
    kwargs = {"keep_rows": keep_rows, "max_rows": max_rows, "max_rejected": max_rejected, "batch_size": batch_size}
    kwargs["progress"] = progress
    return import_table(contact_list, read_table(stream, filename), dry_run=dry_run, **kwargs)
