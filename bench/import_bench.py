"""Contact import benchmark: N generated contacts through the admin's background-import path.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/import_bench.py [N]

Generates a UTF-8 CSV of N contacts (Chinese names, two variables, ~2% of numbers in
messy shapes, 0.1% invalid), creates a throwaway database, runs the very function the
RQ worker runs for an admin upload (`campaigns.contacts.import_jobs.run_import_job`), then COPYs
the same file into a bare table as the floor to compare with. Prints rows/s, peak RSS
and the ratio to COPY. Targets (2 cores): 1M rows <= 25 s, 10M rows <= 5 min, peak RSS < 300 MB.
"""

from __future__ import annotations

import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ivrsite.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("TEST_DATABASE_NAME", "ivr_import_bench")
MEDIA = tempfile.mkdtemp(prefix="import-bench-")
os.environ["MEDIA_ROOT"] = MEDIA

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽"  # noqa: E501
PRODUCTS = ["宽带", "电视", "手机套餐", "家庭融合", "云盘会员"]
PREFIXES = ["130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "158", "159", "186", "188", "199"]


def generate(path: Path, n: int) -> None:
    rng = random.Random(42)
    per_prefix = 100_000_000
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("手机号,姓名,产品,到期日\n")
        for i in range(n):
            prefix = PREFIXES[i % len(PREFIXES)]
            local = (i // len(PREFIXES) * 7_919_317) % per_prefix  # a permutation: unique, unordered
            phone = f"{prefix}{local:08d}"
            shape = rng.random()
            if shape < 0.01:
                phone = f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}"
            elif shape < 0.02:
                phone = f"{phone[:3]}-{phone[3:7]}-{phone[7:]}"
            elif shape < 0.021:
                phone = "1.38E+10"
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
            out.write(f"{phone},{name},{rng.choice(PRODUCTS)},2027-{1 + i % 12:02d}-{1 + i % 28:02d}\n")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    import django

    django.setup()
    from django.conf import settings
    from django.core.files import File
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("Point DATABASE_URL at PostgreSQL: the COPY comparison needs it.")

    from campaigns.contacts.import_jobs import run_import_job
    from campaigns.models import ContactList, ImportJob

    path = Path(MEDIA) / "bench.csv"
    started = time.monotonic()
    generate(path, n)
    size = path.stat().st_size
    print(f"generated {n:,} rows, {size / 1e6:.1f} MB in {time.monotonic() - started:.1f} s")

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        contact_list = ContactList.objects.create(name="bench")
        job = ImportJob(contact_list=contact_list, original_name="bench.csv", total_bytes=size)
        with path.open("rb") as handle:
            job.file.save("bench.csv", File(handle), save=False)
        job.save()
        rss_before = peak_rss_mb()

        started = time.monotonic()
        run_import_job(job.pk)
        ours = time.monotonic() - started
        job.refresh_from_db()
        if job.status != ImportJob.Status.DONE:
            raise SystemExit(f"import ended {job.status}: {job.error_text}")
        stored = contact_list.contacts.count()
        if job.rows != n or stored != job.created or job.created + job.rejected_count != n:
            raise SystemExit(f"{n} rows in, {job.rows} counted, {job.created} created, {stored} stored")

        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE bare_copy (phone text, name text, product text, due text)")
            started = time.monotonic()
            with path.open("rb") as handle, cursor.copy("COPY bare_copy FROM STDIN (FORMAT csv, HEADER)") as copy:
                while chunk := handle.read(1 << 16):
                    copy.write(chunk)
            copy_seconds = time.monotonic() - started

        print(f"database: {settings.DATABASES['default']['ENGINE']} {connection.settings_dict['NAME']}")
        print(
            f"import: {n:,} rows in {ours:.1f} s = {n / ours:,.0f} rows/s "
            f"(created {job.created:,}, updated {job.updated:,}, skipped {job.skipped:,}, "
            f"rejected {job.rejected_count:,}; {stored:,} contacts stored)"
        )
        print(f"peak RSS: {peak_rss_mb():.0f} MB (before the import: {rss_before:.0f} MB)")
        print(f"bare COPY of the same file: {copy_seconds:.1f} s = {n / copy_seconds:,.0f} rows/s")
        print(f"ratio to COPY: {ours / copy_seconds:.1f}x")
        # 25 s up to a million rows; 5 min at ten million (the indexes outgrow memory), linear between.
        limit = 25 if n <= 1_000_000 else 25 + (300 - 25) * (n - 1e6) / 9e6
        met = ours <= limit and peak_rss_mb() < 300
        print(f"targets: <= {limit:,.1f} s for {n:,} rows, < 300 MB peak RSS -> {'met' if met else 'MISSED'}")
        print(f"machine load average (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
