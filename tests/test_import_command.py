"""`manage.py import_contacts LIST FILE --json`: one JSON object, every row counted once."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from campaigns.models import ContactList


def run(*args):
    out = io.StringIO()
    call_command("import_contacts", *args, stdout=out)
    return out.getvalue()


def test_json_summary(db, tmp_path):
    path = tmp_path / "客户.csv"
    path.write_bytes(
        "手机号,姓名,产品\n13800138000,张三,宽带\n坏号码,李四,电视\n138 0013 8000,张三,宽带\n".encode("gbk")
    )
    result = json.loads(run("新名单", str(path), "--json"))
    assert result["created"] == 1
    assert result["updated"] == 0
    assert result["skipped"] == 1
    assert result["rejected"] == [{"row": 3, "reason": result["rejected"][0]["reason"]}]
    assert "not a phone number" in result["rejected"][0]["reason"]
    assert result["list"] == "新名单" and result["list_created"] is True
    assert result["list_id"] == ContactList.objects.get(name="新名单").pk
    assert result["encoding"] == "gb18030"

    again = json.loads(run("新名单", str(path), "--json"))
    assert (again["created"], again["skipped"], again["list_created"]) == (0, 2, False)


def test_plain_output_lists_rejected_rows(db, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("phone\n13800138000\n1.38E+10\n", encoding="utf-8")
    output = run("l", str(path))
    assert "1 created, 0 updated, 0 skipped, 1 rejected" in output
    assert "row 3:" in output


def test_file_errors_exit_non_zero(db, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("姓名\n张三\n", encoding="utf-8")
    with pytest.raises(CommandError, match="No phone column"):
        run("l", str(path))
    with pytest.raises(CommandError, match="No such file"):
        run("l", str(tmp_path / "missing.csv"))
