"""Serve a local stand-in for Aliyun's Voice Service API and push receipts to our webhook."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError, CommandParser

from campaigns.dialling.simulator import SimulatorConfig, SimulatorServer
from campaigns.dialling.simulator.server import DEFAULT_OUTCOMES
from ivrsite.gc_tuning import no_full_collections


def _numbers(value: str) -> frozenset[str]:
    return frozenset(item.strip() for item in value.split(",") if item.strip())


def _rate(value: str) -> float:
    rate = float(value)
    if not 0.0 <= rate <= 1.0:
        raise ValueError(value)
    return rate


def default_receipt_url() -> str:
    if os.environ.get("SIMULATOR_RECEIPT_URL"):
        return os.environ["SIMULATOR_RECEIPT_URL"]
    token = os.environ.get("RECEIPT_TOKEN", "")
    return f"http://127.0.0.1:8000/receipts/aliyun/{token}/" if token else ""


class Command(BaseCommand):
    help = (
        "Serve Aliyun's IvrCall API on localhost: checks signatures, QPS and per-number concurrency, "
        "simulates calls and pushes receipts to --receipt-url. Stats at GET /__simulator/stats."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8010)
        parser.add_argument("--qps", type=int, default=100, help="Requests per second per AccessKey (Throttling.User).")
        parser.add_argument("--seed", type=int, default=None, help="Seed of the outcome draws.")
        parser.add_argument(
            "--receipt-url",
            default=default_receipt_url(),
            help="Where receipt batches are POSTed (none: not pushed). Default: SIMULATOR_RECEIPT_URL, else "
            "http://127.0.0.1:8000/receipts/aliyun/<RECEIPT_TOKEN>/ from the environment: a URL holding the "
            "token belongs in the environment, not on a command line that `ps` shows.",
        )
        parser.add_argument("--access-key-id", default=os.environ.get("ALIYUN_ACCESS_KEY_ID", ""))
        parser.add_argument("--access-key-secret", default=os.environ.get("ALIYUN_ACCESS_KEY_SECRET", ""))
        parser.add_argument(
            "--account",
            dest="accounts",
            action="append",
            type=_account,
            default=[_account(item) for item in os.environ.get("SIMULATOR_ACCOUNTS", "").split(",") if item],
            metavar="KEY_ID:SECRET[:QPS]",
            help="Another account's key pair (and its own requests/s) to accept; repeatable. Local test keys only. "
            "Default: SIMULATOR_ACCOUNTS (comma-separated).",
        )
        parser.add_argument(
            "--caller-numbers",
            type=_numbers,
            default=frozenset(),
            help="Comma-separated purchased caller numbers (default: accept any).",
        )
        parser.add_argument(
            "--blocked-numbers",
            type=_numbers,
            default=frozenset(),
            help="Called numbers answered with isv.COMPLAINT_REJECT.",
        )
        parser.add_argument("--max-concurrent", type=int, default=1000, help="Calls in progress per caller number.")
        parser.add_argument(
            "--frequency-limit", action="store_true", help="Aliyun's per-called-number control: 1/min, 5/h, 20/day."
        )
        parser.add_argument(
            "--frequency-time-scale",
            type=float,
            default=1.0,
            help="Factor on those windows (0.25: 1 per 15 s, 5 per 15 min, 20 per 6 h), for tests.",
        )
        for name, weight in DEFAULT_OUTCOMES.items():
            parser.add_argument(
                f"--{name.replace('_', '-')}",
                dest=f"weight_{name}",
                type=float,
                default=weight,
                help=f"Weight of the '{name}' outcome (default {weight}).",
            )
        parser.add_argument(
            "--call-duration-scale",
            type=float,
            default=1.0,
            help="Multiplies simulated ring/talk times (0: calls end at once).",
        )
        parser.add_argument(
            "--fault-timeout-rate",
            type=_rate,
            default=0.0,
            help="Share of placed calls answered only after --fault-timeout-seconds.",
        )
        parser.add_argument("--fault-timeout-seconds", type=float, default=15.0)
        parser.add_argument(
            "--fault-500-rate", type=_rate, default=0.0, help="Share of placed calls answered HTTP 500 InternalError."
        )
        parser.add_argument("--receipt-flush-interval", type=float, default=1.0)
        parser.add_argument("--receipt-batch-size", type=int, default=100)

    def config(self, options: dict) -> SimulatorConfig:
        if not options["access_key_id"] or not options["access_key_secret"]:
            raise CommandError("Set ALIYUN_ACCESS_KEY_ID and ALIYUN_ACCESS_KEY_SECRET (or --access-key-id/-secret).")
        if options["qps"] < 1 or options["max_concurrent"] < 1:
            raise CommandError("--qps and --max-concurrent must be at least 1.")
        keys = {options["access_key_id"]: options["access_key_secret"]}
        key_qps = {}
        for key_id, secret, qps in options["accounts"]:
            keys[key_id] = secret
            if qps:
                key_qps[key_id] = qps
        return SimulatorConfig(
            keys=keys,
            key_qps=key_qps,
            host=options["host"],
            port=options["port"],
            qps=options["qps"],
            seed=options["seed"],
            receipt_url=options["receipt_url"],
            caller_numbers=options["caller_numbers"],
            blocked_numbers=options["blocked_numbers"],
            max_concurrent=options["max_concurrent"],
            frequency_limit=options["frequency_limit"],
            frequency_time_scale=options["frequency_time_scale"],
            outcome_weights={name: options[f"weight_{name}"] for name in DEFAULT_OUTCOMES},
            call_duration_scale=options["call_duration_scale"],
            fault_timeout_rate=options["fault_timeout_rate"],
            fault_timeout_seconds=options["fault_timeout_seconds"],
            fault_500_rate=options["fault_500_rate"],
            receipt_flush_interval=options["receipt_flush_interval"],
            receipt_batch_size=options["receipt_batch_size"],
        )

    def handle(self, *args, **options) -> None:
        server = SimulatorServer(self.config(options))
        server.start()
        no_full_collections()  # a 100 ms pause would count the requests it queued as a burst
        others = "".join(f"; key {key_id}, {qps or options['qps']} req/s" for key_id, _s, qps in options["accounts"])
        self.stdout.write(
            f"Voice simulator on {server.url} (key {options['access_key_id']}, {options['qps']} req/s{others}); "
            f"receipts to {mask_token(options['receipt_url']) or 'nowhere'}; stats at {server.url}__simulator/stats"
        )
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()


def _account(value: str) -> tuple[str, str, int]:
    key_id, sep, rest = value.partition(":")
    secret, _sep, qps = rest.partition(":")
    if not (key_id and sep and secret) or (qps and not qps.isdigit()) or qps == "0":
        raise ValueError(value)
    return key_id, secret, int(qps or 0)


_account.__name__ = "KEY_ID:SECRET[:QPS]"


def mask_token(url: str) -> str:
    """The receipt URL's last path segment is the RECEIPT_TOKEN: never print it."""
    head, _, token = url.rstrip("/").rpartition("/")
    return f"{head}/{token[:2]}…/" if token and head else url
