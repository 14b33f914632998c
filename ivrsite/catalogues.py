"""Our translation catalogues without GNU gettext: compile the .po files to .mo, check their
placeholders, and extract the translatable strings of the code, all in Python (Babel), so that
`make run` and `make test` need nothing but pip. Where gettext's msgfmt is installed it still
compiles (its --check-format is the reference); the Python checks run either way."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command
from django.utils.translation.template import templatize

# What `makemessages` passes to xgettext on top of its Python defaults (same argument positions).
DJANGO_KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "gettext_noop": None,
    "gettext_lazy": None,
    "ngettext_lazy": (1, 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext_lazy": ((1, "c"), 2, 3),
}
TEMPLATE_SUFFIXES = (".html", ".txt")
IGNORED = (".venv", "staticfiles", "node_modules", ".git", "__pycache__")


class CatalogueError(Exception):
    """A catalogue that must not be compiled: unreadable, or a translation that would break."""


@dataclass(frozen=True)
class Problem:
    path: Path
    lineno: int
    msgid: str
    error: str

    def __str__(self) -> str:
        return f"{self.path}:{self.lineno}: {self.msgid!r}: {self.error}"


def po_files(locales: Iterable[str] | None = None) -> list[Path]:
    """The .po files of our LOCALE_PATHS, for the given locales (all when None)."""
    wanted = set(locales or ())
    found = []
    for base in map(Path, settings.LOCALE_PATHS):
        for path in sorted(base.glob("*/LC_MESSAGES/*.po")):
            if not wanted or path.parent.parent.name in wanted:
                found.append(path)
    return found


def read_catalogue(po_path: Path) -> Catalog:
    with po_path.open("rb") as po:
        try:
            return read_po(po, abort_invalid=True)
        except Exception as exc:  # babel raises PoFileError, ValueError... on a broken file
            raise CatalogueError(f"{po_path}: {exc}") from exc


def format_problems(po_path: Path) -> list[Problem]:
    """Translations whose %-placeholders don't fit their msgid (unknown name, other type, a
    different count of positional ones) or with the wrong number of plural forms: what msgfmt
    --check-format rejects, as Babel's checkers see it. Fuzzy entries are not compiled, so they
    are not checked."""
    catalogue = read_catalogue(po_path)
    return [
        Problem(po_path, message.lineno or 0, str(message.id), str(error))
        for message, errors in catalogue.check()
        if not message.fuzzy
        for error in errors
    ]


def compile_catalogue(po_path: Path) -> Path:
    """Write the .mo next to the .po with Babel, leaving out fuzzy entries (as msgfmt does)."""
    catalogue = read_catalogue(po_path)
    mo_path = po_path.with_suffix(".mo")
    with mo_path.open("wb") as mo:
        write_mo(mo, catalogue, use_fuzzy=False)
    return mo_path


def msgfmt_installed() -> bool:
    return shutil.which("msgfmt") is not None


def compile_catalogues(locales: Iterable[str] | None = None, use_msgfmt: bool | None = None) -> list[Path]:
    """Check and compile our catalogues; raise CatalogueError listing every broken translation.
    msgfmt (via Django's compilemessages) compiles when it is on PATH, Babel otherwise."""
    locales = list(locales or ())
    paths = po_files(locales)
    if not paths:
        raise CatalogueError(f"no .po file for {locales or 'any locale'} in {settings.LOCALE_PATHS}")
    problems = [problem for path in paths for problem in format_problems(path)]
    if problems:
        raise CatalogueError("\n".join(map(str, problems)))
    if use_msgfmt is None:
        use_msgfmt = msgfmt_installed()
    if use_msgfmt:
        call_command("compilemessages", locale=locales, ignore_patterns=list(IGNORED), verbosity=0)
        return [path.with_suffix(".mo") for path in paths]
    return [compile_catalogue(path) for path in paths]


@dataclass(frozen=True)
class Message:
    """One translatable string of the code, as `makemessages` would write it."""

    msgid: str
    context: str = ""
    plural: str = ""
    location: str = ""


def _source_files(root: Path, ignore: Iterable[str]) -> Iterator[Path]:
    ignore = tuple(ignore)
    for path in sorted(root.rglob("*")):
        parts = path.relative_to(root).parts
        if any(fnmatch(part, pattern) for part in parts for pattern in ignore):
            continue
        if path.is_file() and (path.suffix == ".py" or path.suffix in TEMPLATE_SUFFIXES):
            yield path


def extract_messages(root: Path, ignore: Iterable[str] = IGNORED) -> list[Message]:
    """The strings `makemessages -d django` would find under root, without xgettext: Python
    files through Babel's Python extractor, templates through Django's own `templatize` (the
    step makemessages runs before xgettext) and then the same extractor."""
    found: list[Message] = []
    for path in _source_files(root, ignore):
        source = path.read_text(encoding="utf-8")
        if path.suffix in TEMPLATE_SUFFIXES:
            # templatize keeps the layout for xgettext, which ignores indentation; Python's
            # tokenizer does not, and every call it writes is on one line.
            source = "\n".join(line.lstrip() for line in templatize(source, origin=str(path)).splitlines())
        code = io.BytesIO(source.encode("utf-8"))
        for lineno, message, _comments, context in extract(
            "python", code, keywords=DJANGO_KEYWORDS, options={"encoding": "utf-8"}, strip_comment_tags=True
        ):
            singular, plural = (message[0], message[1]) if isinstance(message, tuple) else (message, "")
            if singular:
                location = f"{path.relative_to(root)}:{lineno}"
                found.append(Message(singular, context or "", plural or "", location))
    return found
