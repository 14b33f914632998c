"""Downloads of personal data are audit events, with how many rows went out."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db import models

from audit.actors import Actor
from audit.record import record


def counted(
    rows: Iterable[list], actor: Actor, code: str, obj: models.Model | None = None, **details
) -> Iterator[list]:
    """The rows (header first) as they stream out; once the download ends, for whatever reason
    (done, the client went away, an error), one event records how many data rows were sent."""
    sent = -1  # the header is not a row of data
    try:
        for row in rows:
            yield row
            sent += 1
    finally:
        record(actor, code, obj, rows=max(sent, 0), **details)
