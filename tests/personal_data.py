"""Helpers of the personal-data tests (issue 22): where a number is, what a dashboard shows."""

from __future__ import annotations

from django.db import connection

from results import aggregates


def tables_quoting(number: str) -> dict[str, int]:
    """Every table of the database, each row read back whole as text: {table: rows quoting it}."""
    found = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT count(*) FROM {quoted} t WHERE t::text LIKE %s", [f"%{number}%"])  # noqa: S608
            (count,) = cursor.fetchone()
            if count:
                found[table] = count
    return found


def figures_of(campaign) -> dict:
    """What the dashboard shows, less when it was computed."""
    data = aggregates.dashboard_data(campaign)
    return {key: value for key, value in data.items() if key not in ("as_of", "as_of_local", "compute_ms")}
