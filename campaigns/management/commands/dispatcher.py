import logging
import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from campaigns import vacuum
from ivrsite.gc_tuning import freeze_startup_heap
from ivrsite.scheduler import tick

log = logging.getLogger("campaigns.dispatcher")


class Command(BaseCommand):
    help = "Hand due calls of running campaigns to the dial workers and clean up after dead workers."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between ticks.")
        parser.add_argument("--once", action="store_true", help="Run one tick and exit.")

    def handle(self, *args, interval: float, once: bool, **options):
        vacuum.warn_if_autovacuum_off()
        freeze_startup_heap()
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        while not stopping:
            started = time.monotonic()
            try:
                summary = tick()
                if summary["enqueued"] or summary["completed"] or any(summary["recovered"].values()):
                    log.info("dispatcher tick %s", summary)
            except Exception:
                # A database or Redis outage must not kill the loop: log and try again.
                log.exception("dispatcher tick failed")
                close_old_connections()
            if once:
                break
            time.sleep(max(0.0, interval - (time.monotonic() - started)))
