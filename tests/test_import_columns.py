"""Column names: repeated titles get numbered in linear time, and a header wider than
MAX_COLUMNS is refused with a clear message (16,000 copies of a title took 15 s before)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns.contacts.import_files import MAX_COLUMNS, map_columns

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_repeated_titles_are_numbered():
    columns = map_columns(["phone", "x", "x", "x_2", "x", "姓名", "name", ""])
    assert [name for _index, name in columns.variables] == ["x", "x_2", "x_2_2", "x_3", "姓名", "column_8"]


def test_trailing_blank_titles_do_not_count_against_the_cap():
    assert len(map_columns(["phone", *(["v"] * (MAX_COLUMNS - 1)), *([""] * 5000)]).variables) == MAX_COLUMNS + 4999


def test_a_header_of_sixteen_thousand_copies_is_refused_at_once(staff_client, contact_list):
    data = ("phone," + ",".join(["x"] * 16_000) + "\n13900139000" + ",1" * 16_000 + "\n").encode()
    url = reverse("admin:campaigns_contactlist_import", args=[contact_list.pk])
    response = staff_client.post(url, {"file": SimpleUploadedFile("wide.csv", data)})
    assert response.status_code == 200
    page = response.content.decode()
    assert "16001" in page and str(MAX_COLUMNS) in page
    assert not contact_list.contacts.filter(phone="13900139000").exists()
