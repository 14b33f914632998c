"""Contact upsert through the REST API: N contacts POSTed in batches of 10,000 to a running web
server (gunicorn, as the Procfile runs it), against the file import of the very same rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/api_upsert_bench.py [N] \
        [--batch B] [--clients C]

Generates the rows of bench/import_bench.py (Chinese names, two variables, ~2 % messy numbers,
0.1 % invalid), creates a throwaway database, imports the CSV into one list through the
background-import path, then starts gunicorn on that database and upserts the same rows as
JSON into a second list, C requests in flight. Prints both times and the ratio.
Target (issue 24, 2 cores): 1,000,000 contacts through the API in <= 60 s.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TEST_DATABASE_NAME", "ivr_api_upsert_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ivrsite.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")

from bench.import_bench import generate  # noqa: E402  (the same rows as the file import's benchmark)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def batches(path: Path, size: int):
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        batch = []
        for phone, name, product, due in reader:
            batch.append({"phone": phone, "name": name, "variables": {"产品": product, "到期日": due}})
            if len(batch) == size:
                yield json.dumps({"contacts": batch}, ensure_ascii=False).encode()
                batch = []
        if batch:
            yield json.dumps({"contacts": batch}, ensure_ascii=False).encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int, nargs="?", default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=2, help="Requests in flight (gunicorn workers too).")
    args = parser.parse_args()
    import django

    django.setup()
    import requests
    from django.contrib.auth import get_user_model
    from django.core.files import File
    from django.db import connection

    from api.models import ApiToken
    from campaigns.contacts.import_jobs import run_import_job
    from campaigns.models import ContactList, ImportJob

    if connection.vendor != "postgresql":
        sys.exit("Point DATABASE_URL at PostgreSQL.")
    folder = Path(tempfile.mkdtemp(prefix="api-upsert-bench-"))
    path = folder / "bench.csv"
    generate(path, args.n)
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    web = None
    try:
        from_file = ContactList.objects.create(name="file")
        job = ImportJob(contact_list=from_file, original_name="bench.csv", total_bytes=path.stat().st_size)
        with path.open("rb") as handle:
            job.file.save("bench.csv", File(handle), save=False)
        job.save()
        started = time.monotonic()
        run_import_job(job.pk)
        file_seconds = time.monotonic() - started
        job.refresh_from_db()

        through_api = ContactList.objects.create(name="api")
        user = get_user_model().objects.create_superuser("bench", "bench@example.com", "bench-password-0")
        _token, value = ApiToken.issue(user, "bench")
        db = connection.settings_dict
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
            f"{db['NAME']}",
            "API_RATE_LIMIT": "100000/min",
        }
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        command = [gunicorn, "ivrsite.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(args.clients)]
        web = subprocess.Popen(
            [*command, "--timeout", "300"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}/api/v1/lists/{through_api.pk}/contacts/"
        headers = {"Authorization": f"Bearer {value}", "Content-Type": "application/json"}
        for _ in range(300):  # gunicorn imports Django first (slow on a busy machine)
            try:
                requests.get(f"http://127.0.0.1:{port}/api/v1/lists/", headers=headers, timeout=30)
                break
            except requests.RequestException:
                time.sleep(0.2)

        def post(body: bytes) -> dict:
            response = requests.post(url, data=body, headers=headers, timeout=300)
            if response.status_code != 200:
                raise SystemExit(f"{response.status_code}: {response.text[:300]}")
            return response.json()

        started = time.monotonic()
        with ThreadPoolExecutor(args.clients) as pool:
            answers = list(pool.map(post, batches(path, args.batch)))
        api_seconds = time.monotonic() - started
        created = sum(a["created"] for a in answers)
        rejected = sum(len(a["rejected"]) for a in answers)
        stored = through_api.contacts.count()
        if created != job.created or rejected != job.rejected_count or stored != from_file.contacts.count():
            raise SystemExit(f"api: {created} created, {rejected} rejected; file: {job.created}, {job.rejected_count}")
        print(f"file import: {args.n:,} rows in {file_seconds:.1f} s = {args.n / file_seconds:,.0f} rows/s")
        print(
            f"API upsert: {args.n:,} contacts in {len(answers)} requests of {args.batch:,} "
            f"({args.clients} in flight) in {api_seconds:.1f} s = {args.n / api_seconds:,.0f} contacts/s "
            f"(created {created:,}, rejected {rejected:,})"
        )
        print(f"ratio API / file import: {api_seconds / file_seconds:.2f}x")
        limit = 60 * args.n / 1_000_000
        print(f"target: <= {limit:.1f} s -> {'met' if api_seconds <= limit else 'MISSED'}")
        print(f"machine load average (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        if web is not None:
            web.terminate()
            web.wait(timeout=30)
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
