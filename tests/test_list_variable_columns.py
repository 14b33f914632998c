"""A list keeps the variable names its contacts carry, so that no page reads every contact to list them."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns.actions import campaigns as actions
from campaigns.contacts.importing import import_contacts
from campaigns.contacts.variables import variable_names_of
from campaigns.followups import create_followup
from campaigns.models import Contact, ContactList
from campaigns.segments import parse_all
from tests.actors import OPERATOR
from tests.results_fixtures import OUTCOMES, finished_campaign

pytestmark = pytest.mark.django_db


def import_file(tmp_path, list_name: str, text: str) -> None:
    path = tmp_path / "名单.csv"
    path.write_text(text, encoding="utf-8")
    call_command("import_contacts", list_name, str(path), stdout=io.StringIO())


def columns(name: str) -> list[str]:
    return ContactList.objects.get(name=name).variable_columns


def contact_variable_reads(queries) -> list[str]:
    return [
        q["sql"] for q in queries if '"campaigns_contact"."variables"' in q["sql"] or "jsonb_object_keys" in q["sql"]
    ]


def test_an_import_keeps_the_files_columns_in_their_order_and_a_later_one_appends(tmp_path):
    import_file(tmp_path, "名单", "手机号,姓名,城市,产品,到期日\n13800138000,张三,杭州,宽带,2027-01-01\n")
    assert columns("名单") == ["城市", "产品", "到期日"]

    import_file(tmp_path, "名单", "手机号,会员等级,城市\n13800138001,金卡,温州\n")
    assert columns("名单") == ["城市", "产品", "到期日", "会员等级"]


def test_a_file_of_rejected_rows_or_a_dry_run_adds_no_name(tmp_path):
    import_file(tmp_path, "名单", "phone,city\n13800138000,杭州\n")
    import_file(tmp_path, "名单", "phone,坏列\nnot-a-number,x\n")
    preview = import_contacts(
        ContactList.objects.get(name="名单"), io.BytesIO(b"phone,preview\n13800138009,x\n"), dry_run=True
    )
    assert preview.created == 1
    assert columns("名单") == ["city"]


def test_an_edit_in_the_admin_adds_its_new_name(admin_client, contact_list):
    contact = contact_list.contacts.first()
    response = admin_client.post(
        reverse("admin:campaigns_contact_change", args=[contact.pk]),
        {
            "contact_list": contact_list.pk,
            "phone": contact.phone,
            "name": contact.name,
            "variables": '{"product": "宽带", "门店": "西湖店"}',
            "created_at_0": "2026-12-01",
            "created_at_1": "10:00:00",
            "updated_at_0": "2026-12-01",
            "updated_at_1": "10:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert columns("客户名单") == ["product", "门店"]


def test_the_dashboard_lists_the_stored_names_without_reading_contacts(staff_client, caller, menu):
    campaign = finished_campaign(caller, menu)
    # Variables changed behind the model's back: what the page shows can only come from the list.
    Contact.objects.filter(contact_list__campaigns=campaign).update(variables={})
    with CaptureQueriesContext(connection) as page:
        response = staff_client.get(reverse("results:dashboard", args=[campaign.pk]))
    assert response.status_code == 200
    assert "city" in response.content.decode() and "product" in response.content.decode()
    assert contact_variable_reads(page.captured_queries) == []


def test_a_made_up_breakdown_variable_reads_no_contact(staff_client, caller, menu):
    campaign = finished_campaign(caller, menu)
    url = reverse("results:dashboard-data", args=[campaign.pk])
    with CaptureQueriesContext(connection) as poll:
        response = staff_client.get(url, {"by": "no-such-column"})
    assert response.status_code == 200
    assert response.json()["charts"].get("crosstab") is None
    assert contact_variable_reads(poll.captured_queries) == []


def test_a_list_from_before_the_column_has_its_names_read_once(contact_list):
    Contact.objects.create(contact_list=contact_list, phone="13900000001", variables={"product": "电视", "late": "x"})
    ContactList.objects.filter(pk=contact_list.pk).update(variable_columns=None)  # as the migration leaves it

    assert variable_names_of([contact_list.pk]) == ["product", "late"]
    assert columns("客户名单") == ["product", "late"]
    with CaptureQueriesContext(connection) as again:
        assert variable_names_of([contact_list.pk]) == ["product", "late"]
    assert contact_variable_reads(again.captured_queries) == []


def test_start_refuses_a_menu_variable_whose_last_contact_is_gone(tmp_path, campaign, menu):
    import_file(tmp_path, "客户名单", "phone,门店\n13900000001,西湖店\n")
    menu.start_tts_params = '{"shop": "${门店}"}'
    menu.save()
    assert actions.check_ready(campaign) == []

    Contact.objects.filter(phone="13900000001").delete()
    assert "门店" in columns("客户名单")  # names only grow ...
    problems = actions.check_ready(campaign)  # ... but the start check looks at the contacts
    assert problems and "门店" in problems[0]


def test_a_follow_up_list_has_the_names_its_copied_contacts_carry(caller, menu):
    variables = {phone: {"product": "宽带"} for phone in OUTCOMES}
    source = finished_campaign(caller, menu, variables=variables)
    ContactList.objects.filter(campaigns=source).update(variable_columns=["city", "product", "只在别处"])

    followup = create_followup(source, "二期", parse_all(["status:answered"]), background=False, actor=OPERATOR)
    assert followup.contact_lists.get().variable_columns == ["product"]
