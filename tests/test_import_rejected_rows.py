"""A bad row is reported with its spreadsheet row number and reason, and never blocks the good ones."""

import io

from campaigns.contacts.importing import import_contacts
from campaigns.models import ContactList


def test_rejected_rows_have_row_numbers_and_reasons(db):
    contact_list = ContactList.objects.create(name="坏行")
    text = (
        "phone,name\n"  # row 1
        "13800138000,好\n"  # 2
        "1.38E+10,坏\n"  # 3
        "\n"  # 4: blank, not a data row
        "12345,短\n"  # 5
        ",无号码\n"  # 6
        "+1 650 253 0000,外国\n"  # 7
        "13900139000,好\n"  # 8
    )
    summary = import_contacts(contact_list, io.BytesIO(text.encode()), "r.csv")
    assert summary.created == 2
    assert [r["row"] for r in summary.rejected] == [3, 5, 6, 7]
    reasons = [r["reason"] for r in summary.rejected_rows()]
    assert "spreadsheet" in reasons[0]
    assert "short" in reasons[1]
    assert "empty" in reasons[2]
    assert "mainland China" in reasons[3]
    assert summary.total == 6 == summary.created + summary.updated + summary.skipped + summary.rejected_count
    assert contact_list.contacts.count() == 2


def test_short_rows_and_overlong_names(db):
    contact_list = ContactList.objects.create(name="短行")
    text = "name,phone,city\n张三\n李四,13900139000\n" + "长" * 201 + ",13700137000,x\n"
    summary = import_contacts(contact_list, io.BytesIO(text.encode()), "r.csv")
    assert [r["row"] for r in summary.rejected] == [2, 4]
    assert "200" in summary.rejected_rows()[1]["reason"]
    assert contact_list.contacts.get().variables == {"city": ""}


def test_dry_run_changes_nothing_and_reports_the_same(db):
    contact_list = ContactList.objects.create(name="预览")
    data = b"phone\n13800138000\n13800138000\nxx\n"
    preview = import_contacts(contact_list, io.BytesIO(data), "r.csv", dry_run=True, keep_rows=10)
    assert contact_list.contacts.count() == 0
    assert [(r.row, r.outcome) for r in preview.rows] == [(2, "new"), (3, "skip"), (4, "invalid")]
    real = import_contacts(contact_list, io.BytesIO(data), "r.csv")
    assert (real.created, real.skipped, real.rejected_count) == (preview.created, preview.skipped, 1)
    assert contact_list.contacts.count() == 1
