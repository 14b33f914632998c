"""Phone numbers, names and per-person answers need the permissions the contact and call pages
need (SECURITY.md, "What each role can see"): staff holding one view permission each see the
pages of that model without them; follow-ups and imports need every permission they use."""

import pytest
from django.urls import reverse

from campaigns.models import Call, ContactList
from receipts.models import Receipt, RejectedPush
from tests.receipt_elements import record

pytestmark = pytest.mark.django_db
CALLER = "057112345678"


@pytest.fixture
def received(post_receipts, placed_calls):
    element = record(0, dtmf="1") | {"caller": CALLER, "callee": placed_calls[0].phone}
    assert post_receipts([element]).status_code == 200
    RejectedPush.objects.create(reason=RejectedPush.Reason.NOT_JSON, detail="x", body=f"callee={placed_calls[0].phone}")
    return Call.objects.get(pk=placed_calls[0].pk)


def test_receipt_pages_hide_numbers_and_raw_elements_from_a_receipt_viewer(login_with, received):
    client = login_with("view_receipt", "view_rejectedpush")
    receipt = Receipt.objects.get()
    pages = [
        reverse("admin:receipts_receipt_changelist"),
        reverse("admin:receipts_receipt_change", args=[receipt.pk]),
        reverse("admin:receipts_rejectedpush_changelist"),
        reverse("admin:receipts_rejectedpush_change", args=[RejectedPush.objects.get().pk]),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert received.phone not in response.text and CALLER not in response.text, url


def test_receipt_pages_show_raw_elements_to_who_may_see_calls_and_contacts(login_with, received):
    client = login_with("view_receipt", "view_call", "view_contact", "see_full_phone_numbers")
    response = client.get(reverse("admin:receipts_receipt_change", args=[Receipt.objects.get().pk]))
    assert received.phone in response.text and CALLER in response.text


def test_call_pages_hide_phones_names_and_answers_from_a_call_viewer(login_with, received):
    client = login_with("view_call")
    listing = client.get(reverse("admin:campaigns_call_changelist"))
    page = client.get(reverse("admin:campaigns_call_change", args=[received.pk]))
    for response in (listing, page):
        assert response.status_code == 200
        assert received.phone not in response.text
        assert received.contact.name not in response.text
        assert received.answer_label and received.answer_label not in response.text
    searched = client.get(reverse("admin:campaigns_call_changelist"), {"q": received.phone})
    assert searched.context["cl"].result_count == 0  # a search by number is no oracle either


def test_call_pages_show_phones_to_who_may_view_contacts(login_with, received):
    client = login_with("view_call", "view_contact", "see_full_phone_numbers")
    assert received.phone in client.get(reverse("admin:campaigns_call_change", args=[received.pk])).text


FOLLOW_UP_NEEDS = ("view_campaign", "add_campaign", "view_call", "add_contactlist", "add_contact", "view_contact")
FOLLOW_UP_BUTTON = 'name="do" value="followup"'


def test_follow_up_with_every_permission_it_uses_shows_the_button_and_the_form(staff_with, running_campaign):
    client = staff_with(*FOLLOW_UP_NEEDS)
    dashboard = client.get(reverse("results:dashboard", args=[running_campaign.pk]))
    assert FOLLOW_UP_BUTTON in dashboard.text
    assert client.get(reverse("admin:campaigns_campaign_followup", args=[running_campaign.pk])).status_code == 200


@pytest.mark.parametrize("missing", FOLLOW_UP_NEEDS)
def test_follow_up_without_any_one_permission_is_403_and_no_button(staff_with, running_campaign, missing):
    client = staff_with(*(codename for codename in FOLLOW_UP_NEEDS if codename != missing))
    url = reverse("admin:campaigns_campaign_followup", args=[running_campaign.pk])
    assert client.get(url).status_code == 403
    dashboard = client.get(reverse("results:dashboard", args=[running_campaign.pk]))
    assert FOLLOW_UP_BUTTON not in dashboard.text
    assert url not in dashboard.text


def test_import_needs_view_contact_and_add_contact(login_with, contact_list):
    client = login_with("view_contactlist", "change_contactlist")
    url = reverse("admin:campaigns_contactlist_import", args=[contact_list.pk])
    assert client.get(url).status_code == 403
    page = client.get(reverse("admin:campaigns_contactlist_change", args=[contact_list.pk]))
    assert url not in page.text
    assert ContactList.objects.filter(pk=contact_list.pk).exists()
