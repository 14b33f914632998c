"""Why an import failed is stored as a reason (a code and params) and worded when shown, in the
reader's language, whatever language the worker that ran the import spoke: on the list's page
(its latest import, where staff follow a background import) and on the import's own page."""

from __future__ import annotations

import pytest

from campaigns.models import ImportJob
from tests.background_imports import pages_read_by

pytestmark = pytest.mark.django_db


def test_an_old_excel_file_imported_in_english_reads_in_chinese(staff_client, import_in_background):
    # (A big file without a recognised phone column no longer fails in the background: the admin
    # asks for its phone column first, tests/test_import_column_mapping.py.)
    job = import_in_background(b"\xd0\xcf\x11\xe0" + b"\0" * 600, "en")
    assert job.status == ImportJob.Status.FAILED

    for page in pages_read_by(staff_client, job, "zh-hans"):
        assert "不支持旧版 Excel .xls 文件，请另存为 .xlsx 或 CSV。" in page
        assert "Old Excel" not in page


def test_a_file_too_wide_imported_in_chinese_reads_in_english(staff_client, import_in_background):
    header = ",".join(["phone", *(f"v{n}" for n in range(1000))])  # 1001 columns
    job = import_in_background(f"{header}\n13800138000\n".encode(), "zh-hans")
    assert job.status == ImportJob.Status.FAILED

    for page in pages_read_by(staff_client, job, "en"):
        assert "The header has 1001 columns; at most 1000 can be imported (phone, name and variables)." in page
        assert "表头有" not in page
