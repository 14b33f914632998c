"""Sizes and counts an operator reads at a glance: a list's contact count, variables and a small
sample (numbers masked without *see full phone numbers*, no sample without *view contact*); a
draft campaign's "will call" (its lists' distinct numbers less do-not-call, not 0); the
campaign's opt-outs on its tiles."""

import html

import pytest
from django.urls import reverse

from campaigns.models import Contact, ContactList, DoNotCall

pytestmark = pytest.mark.django_db


def page_of(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_the_list_changelist_shows_count_and_variables(staff_client, contact_list):
    page = page_of(staff_client, reverse("admin:campaigns_contactlist_changelist"))
    assert '<td class="field-contact_count">5</td>' in page
    assert '<td class="field-variables">product</td>' in page


def test_the_list_page_shows_count_variables_and_a_sample_in_full_for_who_may_see_numbers(staff_client, contact_list):
    page = page_of(staff_client, reverse("admin:campaigns_contactlist_change", args=[contact_list.pk]))
    assert "5 contacts" in page
    assert "<code>${product}</code>" in page
    assert "13800130000" in page and "张三0" in page and "宽带" in page
    assert "13800130004" in page and "13800130005" not in page  # five of them at most


def test_the_sample_is_masked_without_the_permission(staff_with, contact_list):
    client = staff_with("view_contactlist", "view_contact")
    page = page_of(client, reverse("admin:campaigns_contactlist_change", args=[contact_list.pk]))
    assert "5 contacts" in page and "张三0" in page
    assert "138****0000" in page
    assert "13800130000" not in page


def test_no_sample_without_view_contact(staff_with, contact_list):
    client = staff_with("view_contactlist")
    page = page_of(client, reverse("admin:campaigns_contactlist_change", args=[contact_list.pk]))
    assert "5 contacts" in page and "<code>${product}</code>" in page
    assert "张三0" not in page and "138****0000" not in page


def test_a_draft_shows_how_many_it_will_call(staff_client, campaign, contact_list):
    second = ContactList.objects.create(name="第二名单")
    Contact.objects.create(contact_list=second, phone="13800130000", name="重复")  # in both lists
    Contact.objects.create(contact_list=second, phone="13900000001", name="新人")
    campaign.contact_lists.add(second)
    DoNotCall.objects.create(phone="13800130001")
    Contact.objects.filter(phone="13800130001").update(do_not_call=True)

    page = page_of(staff_client, reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
    # 5 + 2 contacts, one number twice, one on the do-not-call list: 5 numbers to call.
    assert f'<dt>Will call</dt><dd data-campaign="{campaign.pk}" data-figure="contacts">5</dd>' in page
    listing = page_of(staff_client, reverse("admin:campaigns_campaign_changelist"))
    assert 'data-figure="contacts">5</span>' in listing
    polled = staff_client.get(reverse("admin:campaigns_campaign_progress") + f"?ids={campaign.pk}").json()
    assert polled[str(campaign.pk)]["contacts"] == 5


def test_opt_outs_show_on_the_campaigns_tiles(staff_client, running_campaign):
    for phone in ("13800130000", "13800130001"):
        DoNotCall.objects.create(phone=phone, campaign=running_campaign, source=DoNotCall.Source.OPT_OUT)
    DoNotCall.objects.create(phone="13900000009")  # not this campaign's
    page = page_of(staff_client, reverse("admin:campaigns_campaign_change", args=[running_campaign.pk]))
    assert '<dd class="opt-outs">2</dd>' in page
    assert f"/admin/campaigns/donotcall/?campaign__id__exact={running_campaign.pk}" in page


def test_a_marketing_draft_counts_only_numbers_with_consent(staff_client, campaign):
    campaign.purpose = campaign.Purpose.MARKETING
    campaign.save()
    Contact.objects.filter(phone="13800130000").update(variables={"product": "宽带", "consent_source": "网站勾选"})
    page = page_of(staff_client, reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
    assert f'data-campaign="{campaign.pk}" data-figure="contacts">1</dd>' in page
