"""Aliyun accounts: `account add/list`, `campaign create --account`, the admin; the secret is
stored encrypted and never shown back, in a listing, a page or a log line."""

import io
import json
import logging

import pytest
from django.core.management import CommandError, call_command

from campaigns.accounts import VoiceAccount, client_for
from campaigns.models import CallerNumber, Campaign

pytestmark = pytest.mark.django_db
SECRET = "S3cr3t-密钥-value-0123456789"
ALIYUN_HOST = "https://dyvmsapi.cn-hangzhou.aliyuncs.com/"


def account(*args, stdin: str = "") -> str:
    out = io.StringIO()
    import sys

    saved = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        call_command("account", *args, stdout=out)
    finally:
        sys.stdin = saved
    return out.getvalue()


def test_account_add_reads_the_secret_from_stdin_and_stores_it_encrypted():
    output = account("add", "华东", "--access-key-id", "LTAI5tExampleKeyId", "--qps", "50", stdin=SECRET + "\n")

    created = VoiceAccount.objects.get(pk=int(output.strip().splitlines()[-1]))
    assert (created.name, created.access_key_id, created.qps) == ("华东", "LTAI5tExampleKeyId", 50)
    assert created.endpoint == "https://dyvmsapi.aliyuncs.com/"
    assert SECRET not in created.encrypted_secret
    assert created.reveal_secret() == SECRET
    assert SECRET not in output


def test_account_add_again_replaces_the_keys_of_that_account(settings):
    settings.VOICE_ENDPOINTS_ALLOWED = ["http://127.0.0.1:8010/"]  # a simulator
    account("add", "main", "--access-key-id", "LTAIoldkey0000", stdin="old\n")
    account("add", "main", "--access-key-id", "LTAInewkey0000", "--endpoint", "http://127.0.0.1:8010/", stdin="new\n")
    only = VoiceAccount.objects.get()
    assert (only.access_key_id, only.endpoint, only.reveal_secret()) == (
        "LTAInewkey0000",
        "http://127.0.0.1:8010/",
        "new",
    )


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--access-key-id", "LTAIkey"], "\n", "secret"),
        (["--access-key-id", "LTAIkey", "--qps", "0"], "x\n", "--qps"),
        (["--access-key-id", "LTAIkey", "--endpoint", "not a url"], "x\n", "endpoint"),
    ],
)
def test_account_add_refuses_bad_input_and_stores_nothing(args, stdin, message):
    with pytest.raises(CommandError, match=message):
        account("add", "bad", *args, stdin=stdin)
    assert not VoiceAccount.objects.exists()


def test_account_list_shows_the_default_and_stored_accounts_without_secrets(settings):
    settings.ALIYUN_ACCESS_KEY_SECRET = "env-secret-value-987"
    account("add", "华东", "--access-key-id", "LTAI5tExampleKeyId", "--qps", "50", stdin=SECRET + "\n")
    CallerNumber.objects.create(number="02100000000", account=VoiceAccount.objects.get())

    listed = json.loads(account("list", "--json"))["accounts"]
    text = account("list")

    assert [(a["name"], a["qps"], a["caller_numbers"]) for a in listed][1:] == [("华东", 50, 1)]
    assert listed[0]["default"] is True and listed[0]["qps"] == settings.VOICE_QPS
    for output in (json.dumps(listed, ensure_ascii=False), text):
        assert SECRET not in output
        assert "env-secret-value-987" not in output
        assert VoiceAccount.objects.get().encrypted_secret not in output
    assert "华东" in text


def test_campaign_create_puts_new_caller_numbers_in_the_named_account(contact_list, menu):
    account("add", "second", "--access-key-id", "LTAIsecondkey", stdin="x\n")
    out = io.StringIO()
    call_command(
        "campaign", "create", "c", "--list", contact_list.name, "--caller", "02188889999", "--menu", menu.name,
        "--account", "second", stdout=out,
    )  # fmt: skip
    assert CallerNumber.objects.get(number="02188889999").account.name == "second"
    assert Campaign.objects.get(pk=int(out.getvalue().split()[-1])).caller_numbers.count() == 1
    with pytest.raises(CommandError, match="No Aliyun account"):
        call_command("campaign", "create", "d", "--list", contact_list.name, "--caller", "1", "--menu", menu.name,
                     "--account", "nope", stdout=io.StringIO())  # fmt: skip


def test_the_admin_never_renders_the_secret_and_keeps_it_when_left_blank(staff_client):
    response = staff_client.post(
        "/admin/campaigns/voiceaccount/add/",
        {
            "name": "华南",
            "access_key_id": "LTAI5tAdminKeyId",
            "secret": SECRET,
            "endpoint": ALIYUN_HOST,
            "qps": 20,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = VoiceAccount.objects.get(name="华南")
    assert created.reveal_secret() == SECRET

    for url in ("/admin/campaigns/voiceaccount/", f"/admin/campaigns/voiceaccount/{created.pk}/change/"):
        page = staff_client.get(url).content.decode()
        assert SECRET not in page and created.encrypted_secret not in page
    assert "LTAI5tAdminKeyId" not in staff_client.get("/admin/campaigns/voiceaccount/").content.decode()

    staff_client.post(
        f"/admin/campaigns/voiceaccount/{created.pk}/change/",
        {
            "name": "华南",
            "access_key_id": "LTAI5tAdminKeyId",
            "secret": "",
            "endpoint": ALIYUN_HOST,
            "qps": 30,
        },
    )
    created.refresh_from_db()
    assert (created.qps, created.reveal_secret()) == (30, SECRET)


def test_a_new_account_needs_a_secret_in_the_admin(staff_client):
    response = staff_client.post(
        "/admin/campaigns/voiceaccount/add/",
        {"name": "x", "access_key_id": "LTAIkey", "secret": "", "endpoint": ALIYUN_HOST, "qps": 20},
    )
    assert response.status_code == 200
    assert not VoiceAccount.objects.exists()


def test_the_client_of_an_account_signs_with_its_keys_and_never_logs_the_secret(caplog):
    account("add", "华东", "--access-key-id", "LTAI5tExampleKeyId", stdin=SECRET + "\n")
    stored = VoiceAccount.objects.get()
    with caplog.at_level(logging.DEBUG):
        client = client_for(stored.pk)
        assert client.access_key_id == "LTAI5tExampleKeyId"
        assert SECRET not in repr(client) and SECRET not in str(vars(client))
        logging.getLogger("campaigns").info("client %r", client)
    assert SECRET not in caplog.text


def test_secrets_need_the_key_they_were_encrypted_with(settings):
    from cryptography.fernet import Fernet
    from django.core.exceptions import ImproperlyConfigured

    settings.ACCOUNT_SECRETS_KEY = Fernet.generate_key().decode()
    stored = VoiceAccount(name="a", access_key_id="LTAIkey")
    stored.set_secret(SECRET)
    # Rotation: a new key first, the old one still listed, decrypts; without the old one it cannot.
    settings.ACCOUNT_SECRETS_KEY = Fernet.generate_key().decode() + "," + settings.ACCOUNT_SECRETS_KEY
    assert stored.reveal_secret() == SECRET
    settings.ACCOUNT_SECRETS_KEY = Fernet.generate_key().decode()
    with pytest.raises(ImproperlyConfigured) as error:
        stored.reveal_secret()
    assert SECRET not in str(error.value)
