"""`make run`: migrate, demo login and data, then web, worker, dispatcher (and simulator) via honcho."""

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time

import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from campaigns.demo import load_demo_data

DEMO_KEY_ID = "demo-access-key-id"
DEMO_SECOND_KEY_ID = "demo-second-account-key-id"
DEMO_SECOND_QPS = 50
EMBEDDED_REDIS_PORT = 6391


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


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
        user, _ = get_user_model().objects.get_or_create(username="demo", defaults={"email": "demo@example.com"})
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
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
        os.execvpe(command[0], command, env)  # noqa: S606 - hand the terminal to honcho

    def ensure_redis(self, env: dict) -> str:
        url = env.get("REDIS_URL", settings.REDIS_URL)
        try:
            redis.Redis.from_url(url, socket_connect_timeout=1).ping()
            return url
        except redis.RedisError:
            pass
        server = shutil.which("redis-server")
        if not server:
            raise CommandError(f"No Redis answers at {url} and no redis-server is installed; install Redis.")
        if port_free(EMBEDDED_REDIS_PORT):
            subprocess.Popen(  # noqa: S603 - fixed arguments
                [server, "--port", str(EMBEDDED_REDIS_PORT), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                stdout=subprocess.DEVNULL,
                start_new_session=False,
            )
        url = f"redis://127.0.0.1:{EMBEDDED_REDIS_PORT}/0"
        for _ in range(50):
            try:
                redis.Redis.from_url(url).ping()
                self.stdout.write(f"Started an embedded Redis on port {EMBEDDED_REDIS_PORT}.")
                return url
            except redis.RedisError:
                time.sleep(0.1)
        raise CommandError("Could not start an embedded Redis.")
