"""Who did something: a staff user (in the browser, through the API) or a named system actor
(the dispatcher, the receipt webhook, a command-line run)."""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.http import HttpRequest


@dataclass(frozen=True)
class Actor:
    kind: str  # one of AuditEvent.ActorKind
    name: str
    user_id: int | None = None
    ip: str | None = None

    @classmethod
    def of_user(cls, user, ip: str | None = None, kind: str = "user") -> Actor:
        return cls(kind=kind, name=user.get_username(), user_id=user.pk, ip=ip)

    @classmethod
    def of_request(cls, request: HttpRequest) -> Actor:
        """The logged-in staff user of a request, with the address it came from. REMOTE_ADDR only:
        a forwarded-for header is whatever the client says (set up the proxy to pass the real
        address as REMOTE_ADDR, e.g. gunicorn's --forwarded-allow-ips)."""
        return cls.of_user(request.user, ip=request.META.get("REMOTE_ADDR") or None)

    @classmethod
    def system(cls, name: str) -> Actor:
        """Work nobody asked for at that moment: the dispatcher, the receipt webhook, housekeeping."""
        return cls(kind="system", name=name)

    @classmethod
    def command_line(cls, name: str | None = None) -> Actor:
        """A management command: `--actor NAME`, else the operating-system user. A name that is a
        staff user's username is linked to that user."""
        name = name or getpass.getuser()
        user = get_user_model().objects.filter(username=name).only("pk").first()
        return cls(kind="cli", name=name, user_id=user.pk if user else None)

    def __str__(self) -> str:
        return self.name if self.kind == "user" else f"{self.name} ({self.kind})"


DISPATCHER = Actor.system("dispatcher")
RECEIPTS = Actor.system("receipts")
HOUSEKEEPING = Actor.system("housekeeping")


def add_actor_argument(parser) -> None:
    """`--actor NAME` on a management command that changes something."""
    parser.add_argument("--actor", help="Who is doing this, for the audit trail (default: the operating-system user).")
