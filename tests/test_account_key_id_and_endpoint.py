"""A stored account's AccessKey ID is shown masked once created (the admin page, view-only users
too, and `account list`); its endpoint is HTTPS on Aliyun's hosts unless the settings allow
another one (a simulator): the endpoint receives every signed request."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from campaigns.accounts import VoiceAccount

pytestmark = pytest.mark.django_db
KEY_ID = "LTAI5tFullKeyIdNotToShow"


@pytest.fixture
def stored(db) -> VoiceAccount:
    account = VoiceAccount(name="华北", access_key_id=KEY_ID, endpoint="https://dyvmsapi.aliyuncs.com/")
    account.set_secret("s")
    account.save()
    return account


def add(*args: str, stdin: str = "secret\n") -> str:
    import sys

    out, saved = io.StringIO(), sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        call_command("account", "add", "acc", "--access-key-id", KEY_ID, *args, stdout=out)
    finally:
        sys.stdin = saved
    return out.getvalue()


def test_the_change_page_shows_the_key_id_masked_and_keeps_it_when_left_blank(staff_client, stored):
    url = f"/admin/campaigns/voiceaccount/{stored.pk}/change/"
    page = staff_client.get(url).content.decode()
    assert KEY_ID not in page and stored.masked_key_id in page
    form = {"name": "华北", "access_key_id": "", "secret": "", "endpoint": stored.endpoint, "qps": 7}
    assert staff_client.post(url, form).status_code == 302
    stored.refresh_from_db()
    assert (stored.access_key_id, stored.qps) == (KEY_ID, 7)


def test_a_view_only_user_sees_the_key_id_masked(login_with, stored):
    client = login_with("view_voiceaccount")
    page = client.get(f"/admin/campaigns/voiceaccount/{stored.pk}/change/").content.decode()
    assert KEY_ID not in page and stored.masked_key_id in page


def test_account_list_masks_key_ids(settings, stored):
    settings.ALIYUN_ACCESS_KEY_ID = "LTAIenvironmentKeyId"
    text, as_json = io.StringIO(), io.StringIO()
    call_command("account", "list", stdout=text)
    call_command("account", "list", "--json", stdout=as_json)
    for output in (text.getvalue(), as_json.getvalue()):
        assert KEY_ID not in output and "LTAIenvironmentKeyId" not in output
    assert stored.masked_key_id in [row["access_key_id"] for row in json.loads(as_json.getvalue())["accounts"]]


@pytest.mark.parametrize(
    "endpoint",
    ["http://dyvmsapi.aliyuncs.com/", "https://evil.example/", "https://aliyuncs.com.evil.example/", "ftp://x/"],
)
def test_endpoints_off_aliyun_or_without_https_are_refused(settings, endpoint):
    settings.ALIYUN_VOICE_ENDPOINT = "https://dyvmsapi.aliyuncs.com/"
    with pytest.raises(CommandError, match="endpoint"):
        add("--endpoint", endpoint)
    assert not VoiceAccount.objects.exists()


def test_aliyun_hosts_and_allowed_origins_are_taken(settings):
    settings.ALIYUN_VOICE_ENDPOINT = "https://dyvmsapi.aliyuncs.com/"
    add("--endpoint", "https://dyvmsapi.cn-shanghai.aliyuncs.com/")
    settings.VOICE_ENDPOINTS_ALLOWED = ["http://127.0.0.1:8010"]
    add("--endpoint", "http://127.0.0.1:8010/")
    assert VoiceAccount.objects.get().endpoint == "http://127.0.0.1:8010/"
