"""A number typed in look-alike digits (Arabic-Indic, Devanagari, full-width) is the ASCII
number: stored as ASCII, on the do-not-call list when the ASCII form is, de-duplicated with
it in a file; a digit-like character that is no decimal digit is no number at all."""

from __future__ import annotations

import io

import pytest

from campaigns.contacts.importing import import_contacts
from campaigns.contacts.phones import InvalidNumber, is_plain_mobile, normalize
from campaigns.models import Contact, ContactList, DoNotCall

pytestmark = pytest.mark.django_db

ARABIC_INDIC = "13٨٠٠١٣٨٠٠٠"
DEVANAGARI = "१३८००१३८०००"


@pytest.mark.parametrize("raw", [ARABIC_INDIC, DEVANAGARI, "+86 ١٣٨ ٠٠١٣ ٨٠٠٠", "１３８００１３８０００"])
def test_unicode_decimal_digits_normalise_to_ascii(raw):
    phone = normalize(raw)
    assert phone == "13800138000" and phone.isascii()


def test_the_fast_path_takes_ascii_only():
    assert not is_plain_mobile(ARABIC_INDIC)


@pytest.mark.parametrize("raw", ["1380013800²", "¹3800138000"])
def test_digit_like_characters_are_not_a_number(raw):
    with pytest.raises(InvalidNumber):
        normalize(raw)


def test_a_lookalike_of_a_do_not_call_number_is_do_not_call():
    DoNotCall.objects.create(phone="13800138000")
    contact_list = ContactList.objects.create(name="look-alike")
    import_contacts(contact_list, io.BytesIO(f"phone\n{ARABIC_INDIC}\n".encode()), "a.csv")
    contact = Contact.objects.get(contact_list=contact_list)
    assert contact.phone == "13800138000"
    assert contact.do_not_call


def test_a_lookalike_and_its_ascii_form_are_one_contact():
    contact_list = ContactList.objects.create(name="dedupe")
    import_contacts(contact_list, io.BytesIO(f"phone,name\n13800138000,a\n{DEVANAGARI},b\n".encode()), "b.csv")
    assert list(Contact.objects.filter(contact_list=contact_list).values_list("phone", "name")) == [
        ("13800138000", "b")
    ]
