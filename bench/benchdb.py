"""What the benchmarks share: their own PostgreSQL database, created when missing."""

from __future__ import annotations


def ensure_database(url: str) -> None:
    """Create the database `url` names if it does not exist (connects to `postgres` to do it)."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
