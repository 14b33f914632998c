"""Numbers on the do-not-call list are imported, marked so they are never dialled."""

import io

from campaigns.contacts.importing import import_contacts
from campaigns.models import Contact, DoNotCall


def test_dnc_numbers_are_imported_and_marked(contact_list):
    DoNotCall.objects.create(phone="13900139000", reason="投诉")
    summary = import_contacts(
        contact_list, io.BytesIO("手机号,姓名\n139-0013-9000,李四\n13700137000,王五\n".encode()), "dnc.csv"
    )
    assert summary.created == 2
    assert Contact.objects.get(contact_list=contact_list, phone="13900139000").do_not_call is True
    assert Contact.objects.get(contact_list=contact_list, phone="13700137000").do_not_call is False


def test_reimport_marks_a_number_added_to_dnc_since(contact_list):
    DoNotCall.objects.create(phone="13800130001")
    summary = import_contacts(
        contact_list, io.BytesIO("phone,name,product\n13800130001,张三1,宽带\n".encode()), "d.csv"
    )
    assert (summary.updated, summary.skipped) == (1, 0)
    assert contact_list.contacts.get(phone="13800130001").do_not_call is True
