import json
import sys
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from audit.actors import Actor, add_actor_argument
from campaigns.accounts import DEFAULT_ENDPOINT, VoiceAccount, default_route, mask, route_for
from campaigns.actions.accounts import do_save_account


class Command(BaseCommand):
    help = "Add or list Aliyun accounts (each its own key pair, endpoint and QPS budget)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser(
            "add", help="Add an account, or replace the keys of one with that name; the secret is one line on stdin."
        )
        add.add_argument("name")
        add.add_argument("--access-key-id", required=True)
        add.add_argument("--qps", type=int, help="The account's IvrCall requests per second (default 100).")
        add.add_argument("--endpoint", help=f"Voice API endpoint (default {DEFAULT_ENDPOINT}).")
        add.add_argument(
            "--price-per-minute",
            type=Decimal,
            help="Yuan per started minute of a call (default: VOICE_PRICE_PER_MINUTE).",
        )
        add_actor_argument(add)
        listing = sub.add_parser("list", help="List accounts; secrets are never printed.")
        listing.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, action: str, **options):
        getattr(self, f"do_{action}")(**options)

    def do_add(
        self,
        name: str,
        access_key_id: str,
        qps: int | None,
        endpoint: str | None,
        price_per_minute: Decimal | None = None,
        actor=None,
        **_,
    ):
        secret = sys.stdin.readline().rstrip("\r\n")
        if not secret.strip():
            raise CommandError("Give the AccessKey secret as one line on standard input.")
        if qps is not None and qps < 1:
            raise CommandError("--qps must be at least 1.")
        if price_per_minute is not None and price_per_minute < 0:
            raise CommandError("--price-per-minute cannot be negative.")
        try:
            account, created = do_save_account(
                name,
                access_key_id=access_key_id,
                secret=secret,
                qps=qps,
                endpoint=endpoint,
                price_per_minute=price_per_minute,
                actor=Actor.command_line(actor),
            )
        except ValidationError as exc:
            messages = [f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items()]
            raise CommandError("; ".join(messages)) from None
        verb = "Added" if created else "Updated"
        self.stdout.write(f"{verb} account {account.name!r} ({account.masked_key_id}, {account.qps}/s).")
        self.stdout.write(str(account.pk))

    def do_list(self, as_json: bool = False, **_):
        default = default_route()
        from django.conf import settings

        from campaigns.models import CallerNumber

        rows = [
            {
                "id": None,
                "name": default.name,
                "access_key_id": mask(settings.ALIYUN_ACCESS_KEY_ID) if settings.ALIYUN_ACCESS_KEY_ID else "",
                "endpoint": settings.ALIYUN_VOICE_ENDPOINT,
                "qps": default.qps,
                "price_per_minute": str(default.price_per_minute),
                "caller_numbers": CallerNumber.objects.filter(account__isnull=True).count(),
                "default": True,
            }
        ]
        for account in VoiceAccount.objects.annotate(numbers=Count("caller_numbers")).order_by("name"):
            rows.append(
                {
                    "id": account.pk,
                    "name": account.name,
                    "access_key_id": account.masked_key_id,
                    "endpoint": account.endpoint,
                    "qps": account.qps,
                    "price_per_minute": str(route_for(account).price_per_minute),
                    "caller_numbers": account.numbers,
                    "default": False,
                }
            )
        if as_json:
            self.stdout.write(json.dumps({"accounts": rows}, ensure_ascii=False))
            return
        for row in rows:
            ident = "-" if row["id"] is None else row["id"]
            self.stdout.write(
                f"{ident}\t{row['name']}\t{row['access_key_id'] or '(not set)'}\t{row['qps']}/s\t"
                f"{row['caller_numbers']} numbers\t{row['endpoint']}"
            )
