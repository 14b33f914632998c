"""Under pytest-xdist (`make test`) every worker flushes a Redis database of its own, and the
test databases are pytest-django's, one per worker."""

from __future__ import annotations

import os

from django.conf import settings
from django.db import connection

from tests import services


def test_worker_n_takes_the_redis_database_n_below_the_configured_one(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/15")
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw2")
    assert services.redis_db_of_this_worker() == "gw2 on Redis database 13"
    assert os.environ["REDIS_URL"] == "redis://127.0.0.1:6379/13"


def test_the_count_wraps_and_a_password_is_kept(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://:pw@127.0.0.1:6380/1")
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw3")
    services.redis_db_of_this_worker()
    assert os.environ["REDIS_URL"] == "redis://:pw@127.0.0.1:6380/14"


def test_outside_xdist_nothing_changes(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/15")
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    assert services.redis_db_of_this_worker() is None
    assert os.environ["REDIS_URL"] == "redis://127.0.0.1:6379/15"


def test_this_run_uses_its_workers_databases(db):
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        assert connection.settings_dict["NAME"].endswith(f"_{worker}")
        assert settings.REDIS_URL == os.environ["REDIS_URL"]
