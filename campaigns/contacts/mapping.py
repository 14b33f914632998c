"""The import's column-mapping step: which column of a file is the phone, which the name,
which are ignored (every other one is a variable), as the admin's form shows and posts it.

A mapping names columns by their titles (`import_files.guess_mapping`, `ContactList.column_mapping`):
`{"phone": title, "name": title or "", "ignore": [titles]}`.
"""

from __future__ import annotations

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

PHONE, NAME, VARIABLE, IGNORE = "phone", "name", "variable", "ignore"
CHOICES = ((PHONE, _("Phone number")), (NAME, _("Name")), (VARIABLE, _("Variable")), (IGNORE, _("Ignore")))


def role(columns: dict, title: str) -> str:
    if title == columns.get("phone"):
        return PHONE
    if title == columns.get("name"):
        return NAME
    if title in columns.get("ignore", ()):
        return IGNORE
    return VARIABLE


def form_rows(header: list[str], columns: dict) -> list[dict]:
    """One row of the mapping form per column: its index, title and the role it has now."""
    return [
        {"index": i, "title": title, "role": role(columns, title), "choices": CHOICES}
        for i, title in enumerate(header)
        if str(title).strip()
    ]


def from_form(post: QueryDict, header: list[str]) -> dict:
    """The mapping a posted form chose (`column_<index>` = a role); the first column chosen as the
    phone (or name) wins, a second one becomes a variable."""
    columns: dict = {"phone": "", "name": "", "ignore": []}
    for i, title in enumerate(header):
        chosen = post.get(f"column_{i}", VARIABLE)
        if chosen in (PHONE, NAME) and not columns[chosen]:
            columns[chosen] = title
        elif chosen == IGNORE:
            columns["ignore"].append(title)
    return columns
