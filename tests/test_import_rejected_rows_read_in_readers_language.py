"""Why an imported row was rejected is stored as a reason (a code and params) and worded when
shown, in the reader's language, whatever language the worker that ran the import spoke: on the
import's own page and on the list's page (its latest import). Rows an older version stored
already worded are shown as they are."""

from __future__ import annotations

import pytest

from campaigns.models import ImportJob
from tests.background_imports import pages_read_by

pytestmark = pytest.mark.django_db

LONG_NAME = "张" * 201  # the name column holds at most 200 characters


def test_a_bad_number_and_a_long_name_imported_in_english_read_in_chinese(staff_client, import_in_background):
    job = import_in_background(f"phone,name\n13900139000,王五\n1.38E+10,李四\n13900139001,{LONG_NAME}\n".encode(), "en")
    assert job.status == ImportJob.Status.DONE
    assert (job.created, job.rejected_count) == (1, 2)

    for page in pages_read_by(staff_client, job, "zh-hans"):
        assert "号码已被电子表格损坏（1.38E+10），部分数字已丢失" in page
        assert "姓名超过 200 个字符" in page
        assert "damaged by a spreadsheet" not in page and "the name is longer" not in page


def test_a_service_number_imported_in_chinese_reads_in_english(staff_client, import_in_background):
    job = import_in_background("phone,name\n4008123123,客服\n".encode(), "zh-hans")
    assert job.status == ImportJob.Status.DONE
    assert job.rejected_count == 1

    for page in pages_read_by(staff_client, job, "en"):
        assert "400/800 service numbers cannot be called: 4008123123" in page
        assert "无法拨打" not in page


def test_a_reason_stored_worded_by_an_older_version_is_shown_as_it_is(staff_client, contact_list):
    job = ImportJob.objects.create(
        contact_list=contact_list,
        original_name="a.csv",
        status=ImportJob.Status.DONE,
        rejected_count=1,
        rejected=[{"row": 2, "reason": "无法拨打分机号：0571-8888-7777-123"}],
    )

    for page in pages_read_by(staff_client, job, "en"):
        assert "无法拨打分机号：0571-8888-7777-123" in page
