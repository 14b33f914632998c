"""python manage.py person show NUMBER [--json] — everything stored about one number.
python manage.py person erase NUMBER --reason TEXT [--actor NAME] — erase it (campaigns.person).

`show` is the subject-access copy (PIPL Art. 45): lists (name, variables), calls (campaign,
status, answer, time), do-not-call, receipts and audit events about the number. It prints the
number in full: whoever runs it has the database already. Showing is recorded in the audit trail.
`erase` removes or hashes all of it in one transaction and leaves a hashed do-not-call tombstone.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.actors import Actor, add_actor_argument
from audit.record import record
from campaigns import person
from campaigns.contacts.phones import InvalidNumber, normalize
from campaigns.privacy import hashed_phone


class Command(BaseCommand):
    help = "Show everything stored about one phone number, or erase it."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show", help="Everything stored about the number.")
        show.add_argument("number")
        show.add_argument("--json", action="store_true", dest="as_json")
        add_actor_argument(show)
        erase = sub.add_parser("erase", help="Erase the number everywhere; a hashed do-not-call tombstone stays.")
        erase.add_argument("number")
        erase.add_argument(
            "--reason", required=True, help="Why (e.g. the request's reference); kept in the audit trail."
        )
        add_actor_argument(erase)

    def handle(self, *args, action: str, number: str, actor: str | None = None, **options) -> None:
        try:
            number = normalize(number)
        except InvalidNumber as exc:
            raise CommandError(str(exc)) from exc
        who = Actor.command_line(actor)
        if action == "show":
            found = person.find(number)
            record(who, "download.person", object_type="person", object_id=hashed_phone(number), rows=1)
            self.stdout.write(json.dumps(found, ensure_ascii=False) if options["as_json"] else self.as_text(found))
            return
        if not options["reason"].strip():
            raise CommandError("--reason must say why.")
        counts = person.erase(number, options["reason"].strip(), who)
        done = ", ".join(f"{kind}: {count}" for kind, count in counts.items() if count) or "nothing was stored"
        self.stdout.write(f"Erased ({done}); the number stays on the do-not-call list by its hash.")

    def as_text(self, found: dict) -> str:
        lines = [f"Number {found['number']}"]
        lines += [
            f"  list {c['list']}: {c['name']} {json.dumps(c['variables'], ensure_ascii=False)}" for c in found["lists"]
        ]
        lines += [
            f"  call {c['campaign']} #{c['attempt']}: {c['status']} {c['answer']} {c['time'] or ''}".rstrip()
            for c in found["calls"]
        ]
        dnc = found["do_not_call"]
        lines.append(f"  do-not-call: {dnc['reason'] or 'yes'} since {dnc['since']}" if dnc else "  do-not-call: no")
        lines.append(f"  receipts: {len(found['receipts'])}, audit events: {len(found['audit_events'])}")
        return "\n".join(lines)
