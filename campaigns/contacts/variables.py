"""The variable names of a contact list: kept on the list by every write of its contacts.

A list's `variable_columns` holds the names its contacts carry, in the order first seen (an
import's column order, a later file's new columns after), so that pickers, exports and menu
checks never read every contact to list them. Names only grow: one whose last contact was
edited away or deleted stays (`campaigns.actions.carried_variables` confirms on the contacts
what a menu uses). Lists from before the column (NULL) have theirs read from the contacts once.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction

from campaigns.models import Contact, ContactList


def variable_names_of(list_ids: list[int]) -> list[str]:
    """The variable names the contacts of these lists carry, each list's in the order first seen:
    the one rule for menus, pickers and exports. Reads the lists' stored names, not the contacts."""
    ids = [int(pk) for pk in list_ids]
    stored = dict(ContactList.objects.filter(pk__in=ids).values_list("pk", "variable_columns"))
    names: dict[str, None] = {}
    for list_id in ids:
        columns = stored.get(list_id)
        if columns is None and list_id in stored:
            columns = remember_variables(list_id, [])
        names.update(dict.fromkeys(columns or []))
    return list(names)


def remember_variables(list_id: int, names: Iterable[str]) -> list[str]:
    """Add `names` (in their order) after the list's variable names; returns them all. A list
    whose names are not known yet (NULL) has them read from its contacts first, under the same
    row lock, so that a write racing the first read cannot lose a name."""
    names = list(dict.fromkeys(names))
    current = ContactList.objects.filter(pk=list_id).values_list("variable_columns", flat=True).first()
    if current is not None and set(names) <= set(current):
        return current
    with transaction.atomic():
        locked = ContactList.objects.select_for_update().filter(pk=list_id)
        current = locked.values_list("variable_columns", flat=True).first()
        if current is None:
            current = read_variable_names(list_id)
        columns = current + [name for name in names if name not in current]
        locked.update(variable_columns=columns)
    return columns


def read_variable_names(list_id: int) -> list[str]:
    """Every variable name of the list's contacts, all of them read (a list whose names are not
    known, a freshly copied one): those of its first contact in their order, then the rest
    alphabetically."""
    table = Contact._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = f"SELECT DISTINCT jsonb_object_keys(variables) FROM {table} WHERE contact_list_id = %s"  # noqa: S608
        elif connection.vendor == "sqlite":
            sql = (
                f"SELECT DISTINCT j.key FROM {table}, json_each({table}.variables) AS j "  # noqa: S608
                "WHERE contact_list_id = %s"
            )
        else:  # pragma: no cover - PostgreSQL and SQLite are the supported databases
            raise NotImplementedError(connection.vendor)
        cursor.execute(sql, [list_id])  # the table name is the model's; values go as parameters
        names = {row[0] for row in cursor.fetchall()}
    first = Contact.objects.filter(contact_list_id=list_id).order_by("pk").values_list("variables", flat=True).first()
    order = {name: n for n, name in enumerate(first or {})}
    return sorted(names, key=lambda name: (order.get(name, len(order)), name))
