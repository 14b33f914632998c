"""Contact lists and their imports."""

from __future__ import annotations

from django.db import transaction

from audit.actors import Actor
from audit.record import record
from campaigns import webhook_events
from campaigns.models import ContactList


def record_import(actor: Actor, contact_list: ContactList, filename: str, summary) -> None:
    """An import that ran in this process (the command line, a small upload in the admin): what it
    did to the list. The rows themselves commit batch by batch as they are written (a million rows
    are not one transaction), so the event follows the last batch."""
    counts = summary.as_dict()
    with transaction.atomic():
        record(
            actor,
            "contacts.imported",
            contact_list,
            rows=counts["created"] + counts["updated"],
            changes={
                "file": [None, filename],
                **{key: [None, counts[key]] for key in ("created", "updated", "skipped")},
                "rejected": [None, summary.rejected_count],
            },
        )
        webhook_events.import_finished(contact_list.pk, counts, "file")
