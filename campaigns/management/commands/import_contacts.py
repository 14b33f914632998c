"""python manage.py import_contacts LIST FILE [--json]"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from audit.actors import Actor, add_actor_argument
from campaigns.actions.lists import record_import
from campaigns.contacts.import_files import ImportFileError
from campaigns.contacts.importing import import_contacts
from campaigns.models import ContactList


class Command(BaseCommand):
    help = (
        "Import a CSV (UTF-8, UTF-8 with BOM, GBK) or XLSX file of contacts into a list, creating the list if "
        "needed. Numbers already in the list are updated; rejected rows are reported with their row number."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("list", help="Contact list name (created if missing).")
        parser.add_argument("file", help="CSV or XLSX file.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object with the summary.")
        add_actor_argument(parser)

    def handle(self, *args, **options) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        contact_list, list_created = ContactList.objects.get_or_create(name=options["list"])
        try:
            with path.open("rb") as stream:
                summary = import_contacts(contact_list, stream, path.name)
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        record_import(Actor.command_line(options["actor"]), contact_list, path.name, summary)

        if options["json"]:
            result = {
                **summary.as_dict(),
                "list": contact_list.name,
                "list_id": contact_list.pk,
                "list_created": list_created,
                "file": str(path),
            }
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        self.stdout.write(
            _(
                "%(file)s → %(list)s: %(created)d created, %(updated)d updated, "
                "%(skipped)d skipped, %(rejected)d rejected"
            )
            % {
                "file": path.name,
                "list": contact_list.name,
                "created": summary.created,
                "updated": summary.updated,
                "skipped": summary.skipped,
                "rejected": summary.rejected_count,
            }
        )
        for rejected in summary.rejected_rows():
            self.stdout.write(_("  row %(row)d: %(reason)s") % rejected)
