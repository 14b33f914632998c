import logging
import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from receipts.inbox import settle_pending
from results.aggregates import refresh_requested

log = logging.getLogger("receipts.settler")


class Command(BaseCommand):
    help = (
        "Settle receipt pushes the webhook accepted, in bulk, as they arrive, and refresh the result "
        "figures pages asked for. The dispatcher does both on each tick; run this next to it when "
        "receipts come faster than a tick settles them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=0.2, help="Seconds to wait when nothing is waiting.")
        parser.add_argument("--once", action="store_true", help="Settle what is waiting, then exit.")

    def handle(self, *args, interval: float, once: bool, **options):
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        while not stopping:
            try:
                result = settle_pending(max_seconds=1.0)
                refresh_requested(max_seconds=1.0)
            except Exception:
                log.exception("settling receipts failed")
                close_old_connections()
                result = None
            if once:
                break
            if not result or not result.received:
                time.sleep(interval)
