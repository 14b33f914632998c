"""The TTS template registry (Aliyun's templates live only in its console): staff record each
code's text and status; a menu's page renders what callees will hear for a sample contact and
warns about codes not registered or not approved, params that do not match the text, shared
templates with too many variables and values too long for Aliyun."""

import html

import pytest
from django.urls import reverse

from campaigns.models import Contact, MenuOption, TtsTemplate

pytestmark = pytest.mark.django_db


def menu_page(client, menu, **headers) -> str:
    response = client.get(reverse("admin:campaigns_menutemplate_change", args=[menu.pk]), **headers)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


@pytest.fixture
def registry(db):
    TtsTemplate.objects.create(code="TTS_100001", text="您好${name}，请为${product}打分", status="approved")
    TtsTemplate.objects.create(code="TTS_100009", text="感谢您的参与", status="pending")
    TtsTemplate.objects.create(code="TTS_200001", text="您选择了满意", status="approved")


def test_staff_register_a_template_in_the_admin(staff_client):
    add = reverse("admin:campaigns_ttstemplate_add")
    response = staff_client.post(add, {"code": " TTS_300001 ", "text": "尊敬的${name}", "status": "approved"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert TtsTemplate.objects.get(code="TTS_300001").variables() == ["name"]

    refused = staff_client.post(add, {"code": "300002", "text": "x", "status": "approved"})
    assert refused.status_code == 200
    assert "A TTS template code starts with TTS_" in html.unescape(refused.content.decode())
    assert not TtsTemplate.objects.filter(code="300002").exists()


def test_the_menu_page_renders_each_prompt_for_a_sample_contact(staff_client, campaign, menu, registry):
    page = menu_page(staff_client, menu)
    assert "What callees will hear" in page
    assert "Rendered for 张三0 (13800130000), the first contact of" in page
    assert '<span class="heard">您好张三0，请为宽带打分</span>' in page  # start
    assert '<span class="heard">您选择了满意</span>' in page  # key 1
    assert '<span class="heard">感谢您的参与</span>' in page  # bye


def test_the_menu_page_warns_about_codes_and_params(staff_client, campaign, menu, registry):
    page = menu_page(staff_client, menu)
    # keys 2 and 3 play codes nobody registered; the bye template is still in review
    assert "“Key 2 (一般)” plays TTS_200002, which is not in the TTS template registry" in page
    assert "“Bye” plays TTS_100009, which is pending review at Aliyun" in page
    assert "TTS_100001, which is" not in page  # approved, params matching: nothing to say

    TtsTemplate.objects.filter(code="TTS_100001").update(text="您好${name}，您所在的${city}")
    page = menu_page(staff_client, menu)
    assert (
        "“Start”: the TTS params give product, which template TTS_100001 does not have (its variables: name, city)"
        in page
    )
    assert "“Start”: template TTS_100001 needs city, which the TTS params do not give: Aliyun refuses the call." in page


def test_shared_templates_and_long_values_are_flagged(staff_client, campaign, menu, registry):
    TtsTemplate.objects.filter(code="TTS_100001").update(text="${name}${product}${date}", shared=True)
    menu.start_tts_params = '{"name": "${name}", "product": "${product}", "date": "十二月六日"}'
    menu.save()
    Contact.objects.filter(phone="13800130000").update(name="欧阳" * 11)  # 22 characters
    page = menu_page(staff_client, menu)
    assert "Template TTS_100001 is a shared-mode template with 3 variables; Aliyun allows at most 2." in page
    assert "the value of name is 22 characters" in page and "at most 20 characters per variable" in page


def test_without_view_contact_the_placeholders_show_as_written(staff_with, campaign, menu, registry):
    client = staff_with("view_menutemplate", "view_ttstemplate")
    page = menu_page(client, menu)
    assert "No contact to render for" in page
    assert '<span class="heard">您好${name}，请为${product}打分</span>' in page
    assert "张三0" not in page and "13800130000" not in page


def test_numbers_are_masked_without_see_full_phone_numbers(staff_with, campaign, menu, registry):
    MenuOption.objects.filter(template=menu, key="1").update(
        code="TTS_100001", tts_params='{"name": "${phone}", "product": "x"}'
    )
    client = staff_with("view_menutemplate", "view_ttstemplate", "view_contact")
    page = menu_page(client, menu)
    assert "Rendered for 张三0 (138****0000)" in page
    assert "您好138****0000，请为x打分" in page
    assert "13800130000" not in page


def test_without_view_ttstemplate_the_section_is_not_shown(staff_with, campaign, menu, registry):
    page = menu_page(staff_with("view_menutemplate", "view_contact"), menu)
    assert "What callees will hear" not in page and "您好" not in page


def test_the_menu_page_in_chinese(staff_client, campaign, menu, registry):
    page = menu_page(staff_client, menu, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "被叫将听到的内容" in page
    assert "“结束语”播放 TTS_100009，该模板在阿里云的状态为审核中" in page


def test_a_template_of_another_account_is_flagged(staff_client, campaign, menu, registry, caller):
    from campaigns.accounts import VoiceAccount

    south = VoiceAccount(name="华南", access_key_id="LTAI5tSouthKeyId")
    south.set_secret("s" * 30)
    south.save()
    TtsTemplate.objects.filter(code="TTS_100001").update(account=south)
    page = menu_page(staff_client, menu)  # the campaign's number is the environment's account's
    assert (
        "Template TTS_100001 is in the console of account 华南, but campaigns using this menu also dial through default"
        in page
    )
    caller.account = south
    caller.save()
    page = menu_page(staff_client, menu)
    assert "Template TTS_100001 is in the console" not in page
    # ... and now the environment's templates are the ones used through another account
    assert "Template TTS_200001 is in the console of account default (environment), but" in page
