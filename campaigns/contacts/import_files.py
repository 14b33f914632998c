"""Reading an uploaded contact file into a table: CSV or XLSX, its text encoding and
delimiter, its header, and which column holds the phone, the name and each variable.

    read_table(stream, filename) -> Table           # encoding, delimiter, header
    map_columns(table.header, mapping) -> Columns   # phone and name as mapped or by alias, the rest variables
    guess_mapping(table.header) -> dict             # what the admin's mapping step starts from

A file that cannot be imported at all raises `ImportFileError`, whose message is shown to
the user. What happens to the rows is `campaigns.contacts.importing`.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import IO

from campaigns import reasons
from campaigns.consent import CONSENT_ALIASES
from campaigns.contacts.contact_hours import HOURS_ALIASES

PHONE_ALIASES = (
    "phone", "mobile", "手机号码", "手机号", "手机", "联系电话", "电话号码", "电话", "号码", "tel",
    "telephone", "phone number", "phonenumber", "mobile number", "mobile phone", "cell", "移动电话", "number",
    "联系方式", "联系号码", "客户电话", "客户手机", "客户手机号", "电话号", "手机电话", "mobile no", "phone no",
    "tel no", "contact number", "cellphone", "cell phone",
)  # fmt: skip
NAME_ALIASES = (
    "name", "姓名", "名字", "客户姓名", "客户名称", "联系人", "full name", "contact name", "customer", "客户", "称呼",
)  # fmt: skip
# Columns our own export writes that are not contact data (do-not-call comes from the DNC list).
IGNORED_COLUMNS = ("do_not_call", "do not call", "免打扰")
DETECT_BYTES = 1 << 16
# Phone, name and variables; every variable is stored on every contact. A sheet wider than
# this is a mistake (or an attack: 16,000 copies of one title), not a contact list.
MAX_COLUMNS = 1000
XLSX_MAGIC = b"PK\x03\x04"
# C0 control characters (tab, LF and CR aside) and DEL: never contact data, and one in front
# of "=" hides a formula from a check that runs before an XLSX writer drops it.
CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def drop_controls(text: str) -> str:
    """The text without C0 control characters (tab, LF and CR kept)."""
    return CONTROL_RE.sub("", text) if CONTROL_RE.search(text) else text


class ImportFileError(reasons.ReasonError):
    """The whole file cannot be imported (no phone column, unreadable...); user-facing, its
    reason stored on the import job."""


@dataclass(frozen=True)
class Columns:
    phone: int
    name: int | None
    variables: tuple[tuple[int, str], ...]

    @cached_property
    def widest(self) -> int:
        """The highest column index a row's cells are read from."""
        return max([self.phone, self.name or 0, *(i for i, _key in self.variables)])


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


def looks_like_big5(sample: bytes) -> bool:
    """Whether double-byte text that decodes as GB18030 is more likely Big5 (Traditional Chinese).

    Big5's common characters have lead bytes A4–C6 and trail bytes 40–7E or A1–FE. Read as
    GBK, those with a trail byte below A1 become rare extension characters (GBK/4) and
    private-use ones: about half the characters of a Big5 text, a few in a thousand of a GBK
    one. More than one in six is Big5."""
    start = next((i for i, byte in enumerate(sample) if byte >= 0x80), len(sample))
    window = sample[start : start + DETECT_BYTES]
    pairs = rare = 0
    i = 0
    while i < len(window) - 1:
        lead, trail = window[i], window[i + 1]
        if lead < 0x80:
            i += 1
            continue
        if 0x30 <= trail <= 0x39:  # a GB18030 four-byte sequence: not Big5
            i += 4
            continue
        pairs += 1
        rare += lead >= 0xA1 and trail < 0xA1
        i += 2
    return pairs >= 4 and rare * 6 > pairs


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (a superset of GBK), or Big5
    (cp950) when the bytes look like it (`looks_like_big5`); Big5-looking bytes that do not
    decode as Big5 are refused rather than imported as mojibake."""
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
    except UnicodeDecodeError as exc:
        raise ImportFileError("import.unknown_encoding") from exc
    if not looks_like_big5(sample):
        return "gb18030"
    try:
        codecs.getincrementaldecoder("cp950")().decode(sample, final=False)
    except UnicodeDecodeError as exc:
        raise ImportFileError("import.maybe_big5") from exc
    return "cp950"


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
    text = drop_controls(str(text)).replace("\ufeff", "").replace("_", " ").replace("-", " ")
    return " ".join(text.split()).casefold()


def _find(keys: list[str], aliases: tuple[str, ...]) -> int | None:
    for alias in aliases:
        if alias in keys:
            return keys.index(alias)
    return None


def _mapped(keys: list[str], title: object) -> int | None:
    """The index of the column a mapping names by its title, None when the header lacks it."""
    if not title:
        return None
    key = _header_key(str(title))
    return keys.index(key) if key in keys else None


def guess_mapping(header: list[str], remembered: dict | None = None) -> dict:
    """The column mapping the admin's mapping step starts from: what the list remembers, where
    this header has those columns, else the phone and name columns found by their usual titles.
    `{"phone": title or "", "name": title or "", "ignore": [titles]}` (titles as in the file)."""
    keys = [_header_key(h) for h in header]
    remembered = remembered or {}
    phone = _mapped(keys, remembered.get("phone"))
    if phone is None:
        phone = _find(keys, PHONE_ALIASES)
    name = _mapped(keys, remembered.get("name"))
    if name is None:
        name = _find(keys, NAME_ALIASES)
    ignored = {_header_key(str(t)) for t in remembered.get("ignore", ())} | set(IGNORED_COLUMNS)
    return {
        "phone": header[phone] if phone is not None else "",
        "name": header[name] if name is not None and name != phone else "",
        "ignore": [h for i, h in enumerate(header) if keys[i] in ignored and i not in (phone, name)],
    }


def map_columns(header: list[str], mapping: dict | None = None) -> Columns:
    """Find the phone and name columns (as `mapping` names them by title, else by case-insensitive
    aliases); every other column not ignored is a variable, named after its title (repeated titles
    get _2, _3...; linear in the columns)."""
    width = len(header)
    while width and not str(header[width - 1]).strip():
        width -= 1  # trailing blank titles: a sheet's formatting, not columns
    if width > MAX_COLUMNS:
        raise ImportFileError("import.too_many_columns", count=width, max=MAX_COLUMNS)
    keys = [_header_key(h) for h in header]
    mapping = mapping or {}
    phone = _mapped(keys, mapping.get("phone"))
    if phone is None:
        phone = _find(keys, PHONE_ALIASES)
    if phone is None:
        raise ImportFileError(
            "import.no_phone_column", header=", ".join(header) or "—", aliases=", ".join(PHONE_ALIASES[:10])
        )
    # A name the mapping names but this header lacks: found by its aliases, like the phone;
    # a mapping's empty name means "no name column".
    name = _mapped(keys, mapping.get("name"))
    if name is None and mapping.get("name", None) != "":
        name = _find(keys, NAME_ALIASES)
    name = None if name == phone else name
    ignored = set(IGNORED_COLUMNS) | {_header_key(str(t)) for t in mapping.get("ignore", ())}
    variables: list[tuple[int, str]] = []
    seen: set[str] = {"name", "phone"}
    next_suffix: dict[str, int] = {}  # per title, where to resume counting: no quadratic rescans
    for index, title in enumerate(header):
        if index in (phone, name) or keys[index] in ignored:
            continue
        label = (
            HOURS_ALIASES.get(keys[index])
            or CONSENT_ALIASES.get(keys[index])
            or " ".join(drop_controls(str(title)).replace("\ufeff", "").split())
        )
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
