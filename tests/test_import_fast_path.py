"""The insert-first path (no per-row report) ends exactly where the row-by-row merge does:
same counts, same contacts, same do-not-call flags, on a file mixing every case."""

import io

import pytest

from campaigns.contacts.importing import import_contacts
from campaigns.models import Contact, ContactList, DoNotCall

# The fixture list holds 1380013000{0..4}, named 张三{n}, product 宽带.
FILE = (
    "手机号,姓名,产品,城市\n"
    "13900139000,新人,宽带,北京\n"  # new
    "13800130001,张三1,电视,\n"  # in the list: update
    "13800130002,,,\n"  # in the list, blank cells: update (gains the two columns, keeps its name)
    "13700137000,王五,,上海\n"  # new, on the do-not-call list
    "13900139000,,电视,\n"  # second row of a new number in the same batch: update
    "1.38E+10,坏,,\n"  # rejected
    "13600136000,赵六,云盘会员,深圳\n"  # new, its second row lands in the next batch
    "\n"
    "13500135000,钱七,宽带,杭州\n"
    "136-0013-6000,赵六六,,\n"  # next batch: update of a number the previous batch inserted
    "13500135000,钱七,宽带,杭州\n"  # identical second row: skip
)


def contents(contact_list: ContactList) -> list[tuple]:
    return sorted(contact_list.contacts.values_list("phone", "name", "variables", "do_not_call"))


@pytest.mark.parametrize("batch_size", [3, 1000])
def test_insert_first_path_matches_the_row_by_row_merge(contact_list, batch_size):
    DoNotCall.objects.create(phone="13700137000")
    twin = ContactList.objects.create(name="孪生")
    Contact.objects.bulk_create(
        Contact(contact_list=twin, phone=c.phone, name=c.name, variables=c.variables)
        for c in contact_list.contacts.all()
    )

    fast = import_contacts(contact_list, io.BytesIO(FILE.encode()), "a.csv", batch_size=batch_size)
    slow = import_contacts(twin, io.BytesIO(FILE.encode()), "a.csv", batch_size=batch_size, keep_rows=100)

    counts = (slow.created, slow.updated, slow.skipped, slow.rejected_count)
    assert counts == (4, 4, 1, 1)
    assert (fast.created, fast.updated, fast.skipped, fast.rejected_count) == counts
    assert fast.rejected == slow.rejected == [{**fast.rejected[0], "row": 7}]
    assert contents(contact_list) == contents(twin)
    assert contact_list.contacts.get(phone="13700137000").do_not_call is True
    assert contact_list.contacts.get(phone="13600136000").name == "赵六六"
    assert contact_list.contacts.get(phone="13900139000").variables == {"产品": "电视", "城市": "北京"}
    assert [r.outcome for r in slow.rows] == [
        "new", "update", "update", "new", "update", "invalid", "new", "new", "update", "skip",
    ]  # fmt: skip
