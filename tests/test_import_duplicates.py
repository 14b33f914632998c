"""Duplicates in the file and against the list merge into one contact: update, never a second row."""

import io

from campaigns.contacts.importing import import_contacts
from campaigns.models import Contact


def run(contact_list, text, **kwargs):
    return import_contacts(contact_list, io.BytesIO(text.encode()), "d.csv", **kwargs)


def test_duplicates_inside_the_file_are_merged(contact_list):
    contact_list.contacts.all().delete()
    summary = run(
        contact_list,
        "phone,name,city\n13800138000,张三,北京\n+86 138 0013 8000,张三,北京\n"
        "138-0013-8000,张三丰,\n13900139000,李四,上海\n",
    )
    assert (summary.created, summary.updated, summary.skipped, summary.rejected_count) == (2, 1, 1, 0)
    contact = Contact.objects.get(contact_list=contact_list, phone="13800138000")
    assert (contact.name, contact.variables) == ("张三丰", {"city": "北京"})  # a blank cell keeps the old value
    assert contact_list.contacts.count() == 2


def test_duplicates_against_the_list_update_or_skip(contact_list):
    # The fixture list holds 1380013000{0..4}, named 张三{n}, product 宽带.
    summary = run(
        contact_list,
        "phone,name,product\n13800130000,张三0,宽带\n13800130001,张三1,电视\n13800130002,,\n13900139000,新人,宽带\n",
    )
    assert (summary.created, summary.updated, summary.skipped) == (1, 1, 2)
    assert contact_list.contacts.count() == 6
    assert contact_list.contacts.get(phone="13800130001").variables == {"product": "电视"}
    assert contact_list.contacts.get(phone="13800130002").name == "张三2"


def test_reimporting_the_same_file_skips_every_row(contact_list):
    text = "phone,name\n13900139000,李四\n13700137000,王五\n"
    run(contact_list, text)
    summary = run(contact_list, text)
    assert (summary.created, summary.updated, summary.skipped) == (0, 0, 2)


def test_duplicates_across_batches_are_merged(contact_list):
    rows = [f"139{n:08d},名{n}" for n in range(25)] + [f"139{n:08d},改名{n}" for n in range(25)]
    summary = run(contact_list, "phone,name\n" + "\n".join(rows) + "\n", batch_size=10)
    assert (summary.created, summary.updated, summary.skipped) == (25, 25, 0)
    assert contact_list.contacts.filter(phone__startswith="139").count() == 25
    assert contact_list.contacts.get(phone="13900000007").name == "改名7"


def test_the_same_number_in_two_lists_is_two_contacts(contact_list):
    from campaigns.models import ContactList

    other = ContactList.objects.create(name="另一个名单")
    summary = run(other, "phone\n13800130000\n")
    assert summary.created == 1
    assert Contact.objects.filter(phone="13800130000").count() == 2


def test_a_batch_costs_a_fixed_number_of_queries(contact_list, django_assert_max_num_queries):
    rows = "\n".join(f"137{n:08d},名{n}" for n in range(300))
    with django_assert_max_num_queries(12):
        summary = run(contact_list, "phone,name\n" + rows + "\n", batch_size=1000)
    assert summary.created == 300
