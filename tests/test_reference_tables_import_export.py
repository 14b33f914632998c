"""Staff import and export the do-not-call list, caller numbers and no-call days in the admin
(django-import-export): upload, a preview that writes nothing, then confirm. Numbers go
through our normalisation (an invalid one is reported on its row); exported cells are
formula-safe; the do-not-call list, personal data, needs view (export) and add (import)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns.accounts import VoiceAccount
from campaigns.models import Call, CallerNumber, DoNotCall, NoCallDay

pytestmark = pytest.mark.django_db
CSV = "0"  # the first format offered (CSV, then XLSX)


def preview(client, model: str, content: str):
    upload = SimpleUploadedFile("file.csv", content.encode("utf-8-sig"), content_type="text/csv")
    return client.post(reverse(f"admin:campaigns_{model}_import"), {"import_file": upload, "format": CSV})


def confirm(client, model: str, preview_page: str):
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', preview_page))
    assert "import_file_name" in hidden, "the preview offers no confirm button"
    return client.post(reverse(f"admin:campaigns_{model}_process_import"), hidden)


def export(client, model: str) -> tuple[int, str]:
    url = reverse(f"admin:campaigns_{model}_export")
    page = client.get(url)
    if page.status_code != 200:
        return page.status_code, ""
    boxes = re.findall(r'type="checkbox" name="(\w+)"', page.content.decode())
    response = client.post(url, {"format": CSV, **dict.fromkeys(boxes, "on")})
    return response.status_code, response.content.decode("utf-8-sig")


def test_do_not_call_import_previews_then_confirms_with_normalised_numbers(staff_client, placed_calls):
    DoNotCall.objects.create(phone="13800130001", reason={"text": "opted out by key"})
    queued = placed_calls[2]
    Call.objects.filter(pk=queued.pk).update(status=Call.Status.QUEUED, out_id=None)
    rows = f"phone,reason\n+86 138-0013-0001,from the file\n{queued.phone[:3]} {queued.phone[3:]},客户投诉\n"

    page = preview(staff_client, "donotcall", rows).content.decode()
    assert DoNotCall.objects.count() == 1  # the preview writes nothing
    assert queued.phone in page
    assert DoNotCall.objects.get(phone="13800130001").reason == {"text": "opted out by key"}

    assert confirm(staff_client, "donotcall", page).status_code == 302
    assert DoNotCall.objects.get(phone=queued.phone).reason == {"text": "客户投诉"}
    assert DoNotCall.objects.get(phone="13800130001").reason == {"text": "opted out by key"}  # kept
    assert Call.objects.get(pk=queued.pk).status == Call.Status.DNC  # nobody on the list is dialled


def test_an_invalid_number_is_reported_on_its_row_and_nothing_is_imported(staff_client, db):
    page = preview(staff_client, "donotcall", "phone,reason\n13800138000,ok\n12345,\n400-800-1234,\n").content
    page = page.decode()
    assert "too short for a phone number (a service short number?): 12345" in page
    assert "400/800 service numbers cannot be called: 400-800-1234" in page
    assert 'name="import_file_name"' not in page  # no confirm while rows are invalid
    assert not DoNotCall.objects.exists()


def test_do_not_call_export_is_formula_safe(staff_client, db):
    DoNotCall.objects.create(phone="13800138000", reason={"text": '=HYPERLINK("http://x","y")'})
    DoNotCall.objects.create(phone="13800138001", reason={"code": "dnc.blocked", "params": {}})
    status, body = export(staff_client, "donotcall")
    assert status == 200
    assert body.splitlines()[0] == "phone,reason,expires,added,source,campaign"
    assert '13800138000,"\'=HYPERLINK(""http://x"",""y"")"' in body
    assert "13800138001,Blocked after complaints,," in body


def test_do_not_call_export_needs_view_and_import_needs_add(staff_with, db):
    DoNotCall.objects.create(phone="13800138000")
    changer = staff_with("change_donotcall", "delete_donotcall")
    assert export(changer, "donotcall")[0] == 403
    assert preview(changer, "donotcall", "phone\n13900139000\n").status_code == 403
    assert not DoNotCall.objects.filter(phone="13900139000").exists()

    assert export(staff_with("view_donotcall"), "donotcall")[0] == 403  # numbers in full only
    viewer = staff_with("view_donotcall", "see_full_phone_numbers")
    status, body = export(viewer, "donotcall")
    assert (status, "13800138000" in body) == (200, True)
    assert preview(viewer, "donotcall", "phone\n13900139000\n").status_code == 403


def test_do_not_call_import_with_add_permission(staff_with, db):
    adder = staff_with("add_donotcall", "view_donotcall")
    page = preview(adder, "donotcall", "phone\n13900139000\n").content.decode()
    assert confirm(adder, "donotcall", page).status_code == 302
    assert DoNotCall.objects.filter(phone="13900139000").exists()


def test_caller_numbers_import_updates_and_adds_normalised_numbers(staff_client, caller):
    VoiceAccount.objects.create(name="杭州", access_key_id="LTAI0000000000000000")
    rows = "number,label,account,max_concurrent_calls\n0571-1234 5678,Hangzhou 2,,20\n(010) 8888-0000,Beijing,杭州,\n"
    page = preview(staff_client, "callernumber", rows).content.decode()
    assert CallerNumber.objects.count() == 1
    assert confirm(staff_client, "callernumber", page).status_code == 302
    caller.refresh_from_db()
    assert (caller.label, caller.max_concurrent_calls) == ("Hangzhou 2", 20)
    beijing = CallerNumber.objects.get(number="01088880000")
    assert (beijing.account.name, beijing.active, beijing.max_concurrent_calls) == ("杭州", True, None)


def test_caller_numbers_import_needs_add_and_change(staff_with, db):
    adder = staff_with("add_callernumber", "view_callernumber")
    assert preview(adder, "callernumber", "number\n057112345678\n").status_code == 403


def test_no_call_days_import_and_export(staff_client, db):
    NoCallDay.objects.create(date=dt.date(2027, 2, 6), label="春节")
    page = preview(staff_client, "nocallday", "date,label\n2027-02-06,春节（除夕）\n2027-10-01,国庆节\n").content
    assert NoCallDay.objects.count() == 1
    assert confirm(staff_client, "nocallday", page.decode()).status_code == 302
    assert dict(NoCallDay.objects.values_list("date", "label")) == {
        dt.date(2027, 2, 6): "春节（除夕）",
        dt.date(2027, 10, 1): "国庆节",
    }
    status, body = export(staff_client, "nocallday")
    assert status == 200
    assert body.splitlines() == ["date,label", "2027-02-06,春节（除夕）", "2027-10-01,国庆节"]
