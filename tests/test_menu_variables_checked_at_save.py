"""A menu's `${var}` that a list lacks is caught when the menu or a campaign is saved, not only
at Start: the warning names each list's variables and links to the list and the menu to change."""

import html

import pytest
from django.urls import reverse

from campaigns.models import Campaign, ContactList
from tests.admin_forms import form_data

pytestmark = pytest.mark.django_db


def messages_of(response) -> str:
    return html.unescape(" ".join(str(m) for m in response.context["messages"]))


def test_saving_a_menu_warns_about_the_lists_of_draft_campaigns_using_it(staff_client, campaign, menu, contact_list):
    url = reverse("admin:campaigns_menutemplate_change", args=[menu.pk])
    params = '{"name": "${name}", "product": "${product}", "city": "${city}"}'
    response = staff_client.post(url, form_data(staff_client.get(url), start_tts_params=params), follow=True)

    assert response.status_code == 200
    menu.refresh_from_db()
    assert "${city}" in menu.start_tts_params  # saved: a warning, not a refusal
    text = messages_of(response)
    assert "${city}" in text and "${product}" not in text.split("has no")[1].split("(")[0]
    assert "its variables: product" in text
    assert reverse("admin:campaigns_contactlist_change", args=[contact_list.pk]) in text
    assert reverse("admin:campaigns_campaign_change", args=[campaign.pk]) in text


def test_saving_a_menu_the_lists_satisfy_says_nothing(staff_client, campaign, menu):
    url = reverse("admin:campaigns_menutemplate_change", args=[menu.pk])
    response = staff_client.post(url, form_data(staff_client.get(url), play_times="3"), follow=True)
    menu.refresh_from_db()
    assert menu.play_times == 3
    assert "has no" not in messages_of(response)


def test_a_started_campaign_is_not_warned_about(staff_client, running_campaign, menu):
    url = reverse("admin:campaigns_menutemplate_change", args=[menu.pk])
    params = '{"city": "${city}"}'
    response = staff_client.post(url, form_data(staff_client.get(url), start_tts_params=params), follow=True)
    assert "has no" not in messages_of(response)


def test_creating_a_campaign_warns_about_a_list_lacking_the_menus_variables(staff_client, caller, menu):
    bare = ContactList.objects.create(name="无变量名单")
    bare.contacts.create(phone="13800138000", name="李四")
    add = reverse("admin:campaigns_campaign_add")
    data = form_data(
        staff_client.get(add),
        name="新外呼",
        contact_lists=[str(bare.pk)],
        caller_numbers=[str(caller.pk)],
        menu=str(menu.pk),
    )
    response = staff_client.post(add, data, follow=True)

    assert response.status_code == 200, response.content.decode()[:3000]
    assert Campaign.objects.filter(name="新外呼").exists()
    text = messages_of(response)
    assert "has no ${product}" in text
    assert "the list's variables: none" in text
    assert reverse("admin:campaigns_contactlist_change", args=[bare.pk]) in text
    assert reverse("admin:campaigns_menutemplate_change", args=[menu.pk]) in text


def test_editing_a_campaign_in_chinese_warns_in_chinese(staff_client, campaign, menu):
    other = ContactList.objects.create(name="第二名单")
    other.contacts.create(phone="13800138001", name="王五", variables={"city": "杭州"})
    url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    page = staff_client.get(url)
    lists = [*page.context["adminform"].form["contact_lists"].value(), other.pk]
    data = form_data(page, contact_lists=[str(pk) for pk in lists])
    response = staff_client.post(url, data, follow=True, HTTP_ACCEPT_LANGUAGE="zh-hans")

    text = messages_of(response)
    assert "第二名单" in text and "${product}" in text
    assert "名单的变量：city" in text


def test_the_start_check_lists_each_lists_variables_and_links_to_them(staff_client, campaign, menu, contact_list):
    menu.start_tts_params = '{"city": "${city}"}'
    menu.save()
    page = staff_client.get(reverse("admin:campaigns_campaign_transition", args=[campaign.pk, "start"]))
    text = html.unescape(page.content.decode())

    assert "The menu uses variables no contact has: city." in text
    assert "Variables of each list: “客户名单”: product." in text
    assert reverse("admin:campaigns_contactlist_change", args=[contact_list.pk]) in text
    assert reverse("admin:campaigns_menutemplate_change", args=[menu.pk]) in text


def test_campaign_create_on_the_command_line_warns_too(menu):
    from io import StringIO

    from django.core.management import call_command

    bare = ContactList.objects.create(name="命令行名单")
    bare.contacts.create(phone="13800138000", name="李四", variables={"city": "杭州"})
    out, err = StringIO(), StringIO()
    call_command(
        "campaign", "create", "命令行外呼", "--list", bare.name, "--caller", "02166668888", "--menu", menu.name,
        stdout=out, stderr=err,
    )  # fmt: skip
    assert Campaign.objects.filter(pk=int(out.getvalue().strip().splitlines()[-1])).exists()
    assert "list '命令行名单' has no product, which the menu uses (its variables: city)" in err.getvalue()


def test_a_script_variants_menu_is_checked_as_the_campaigns_own(staff_client, campaign, menu, contact_list):
    """In an experiment a contact may hear a variant's menu instead: its variables count too,
    at Start, on the campaign page and when the variant's menu is saved."""
    from campaigns.actions.campaigns import check_ready
    from campaigns.menu_variables import campaign_gaps
    from campaigns.models import MenuOption, MenuTemplate, ScriptVariant

    other = MenuTemplate.objects.create(
        name="B 版", start_code="TTS_100002", start_tts_params='{"city": "${city}"}', play_times=1, timeout_ms=5000
    )
    MenuOption.objects.create(template=other, key="1", label="满意", code="TTS_200001", position=0)
    ScriptVariant.objects.create(campaign=campaign, name="A", menu=menu)
    ScriptVariant.objects.create(campaign=campaign, name="B", menu=other)

    assert [(gap.contact_list, gap.missing) for gap in campaign_gaps(campaign)] == [(contact_list, ["city"])]
    assert "The menu uses variables no contact has: city." in check_ready(campaign)
    url = reverse("admin:campaigns_menutemplate_change", args=[other.pk])
    response = staff_client.post(url, form_data(staff_client.get(url), play_times="2"), follow=True)
    assert reverse("admin:campaigns_campaign_change", args=[campaign.pk]) in messages_of(response)
