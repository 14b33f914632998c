"""Who may see what: every page but the receipt webhook, the health check and login needs a
staff login; per-model permissions hold (an operator who runs campaigns sees nothing else);
secrets appear in no page, error page or log line, even through a whole dial + receipt flow."""

from __future__ import annotations

import io
import logging
import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from campaigns.actions import campaigns as actions
from campaigns.dialling import dispatch
from campaigns.models import Call, CallerNumber, Campaign, Contact, ContactList, MenuTemplate
from ivrsite.logging import MaskingFilter
from receipts.inbox import settle_pending
from receipts.models import Receipt
from tests.actors import OPERATOR
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db

# Pages anyone may reach (each for a reason).
PUBLIC = {
    "receipts:aliyun-push",  # Aliyun cannot log in: guarded by the token in its path
    "healthz",  # load balancers
    "admin:login",
    "admin:logout",  # ends a session, shows nothing
    "set_language",  # sets a cookie, shows nothing
}
# A redirect to the admin index, which itself needs a login.
REDIRECTS_TO_ADMIN = {"/"}

ACCESS_KEY_SECRET = "AKSECRET-recognisable-7f3c9e1d2b"
RECEIPT_TOKEN = "RTOKEN-recognisable-5a8b0c4d6e"


def walk(patterns, prefix: str = "", namespace: str = ""):
    """(route name, route) for every URL the project serves."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or ""
            inner = f"{namespace}:{ns}".strip(":") if ns else namespace
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}".strip(":") if pattern.name else ""
            yield name, prefix + str(pattern.pattern)


def sample_path(route: str, value: int) -> str:
    """A concrete path for a route: converters and regex groups filled with `value` (an existing
    object's id, so a view that forgot its login check shows a page instead of a 404)."""
    route = re.sub(r"\(\?P<\w+>[^)]*\)\??", str(value), route)
    route = re.sub(r"<(?:\w+:)?\w+>", str(value), route)
    route = route.replace("^", "").replace("$", "").replace("/?", "/").replace("\\", "")
    return "/" + route.lstrip("/")


def project_urls(value: int = 1) -> list[tuple[str, str]]:
    seen, urls = set(), []
    for name, route in walk(get_resolver().url_patterns):
        path = sample_path(route, value)
        if path not in seen:
            seen.add(path)
            urls.append((name, path))
    return urls


def test_the_walk_covers_every_area():
    paths = [path for _name, path in project_urls(7)]
    for expected in ("/admin/campaigns/campaign/", "/admin/rq/", "/receipts/campaigns/7/dashboard/", "/healthz/"):
        assert any(p == expected for p in paths), expected
    assert any(p.startswith("/admin/rq/queues/") for p in paths)
    assert any("export" in p for p in paths)
    assert any("progress" in p for p in paths)


def refused(response, login_path: str = "/admin/login/") -> bool:
    if response.status_code in (301, 302):
        return response["Location"].startswith(login_path) or "/login/" in response["Location"]
    return response.status_code in (401, 403, 404, 405)


@pytest.fixture
def some_objects(campaign):
    """Objects with pk 1-ish exist, so the walk reaches real pages, not only 404s."""
    return campaign


def test_anonymous_visitors_get_the_login_page_or_nothing(client, some_objects):
    leaks = []
    for name, path in project_urls(some_objects.pk):
        if name in PUBLIC or path in REDIRECTS_TO_ADMIN:
            continue
        for method in (client.get, client.post):
            response = method(path)
            if not refused(response):
                leaks.append((method.__name__, path, name, response.status_code))
    assert leaks == []


def test_logged_in_non_staff_users_are_refused_too(client, django_user_model, some_objects):
    client.force_login(django_user_model.objects.create_user("visitor", password="x" * 12))
    leaks = []
    for name, path in project_urls(some_objects.pk):
        if name in PUBLIC or path in REDIRECTS_TO_ADMIN:
            continue
        response = client.get(path)
        if not refused(response):
            leaks.append((path, name, response.status_code))
    assert leaks == []


def test_the_public_pages_show_nothing_private(client, settings, campaign):
    settings.RECEIPT_TOKEN = RECEIPT_TOKEN
    assert client.get("/healthz/").json()["ok"] is True
    assert client.get("/").status_code == 302
    assert client.get("/receipts/aliyun/guess/").status_code == 404
    assert client.post("/receipts/aliyun/guess/", b"[]", content_type="application/json").status_code == 404
    login = client.get(reverse("admin:login")).content.decode()
    assert campaign.name not in login


@pytest.fixture
def operator(django_user_model):
    """Staff who may view and change campaigns, and nothing else."""
    user = django_user_model.objects.create_user("operator", password="x" * 12, is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="campaigns", codename__in=["view_campaign", "change_campaign"]
        )
    )
    return user


@pytest.fixture
def operator_client(operator) -> Client:
    client = Client()
    client.force_login(operator)
    return client


def test_operator_starts_pauses_and_resumes_campaigns(operator_client, campaign):
    change_url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    assert operator_client.get(reverse("admin:campaigns_campaign_changelist")).status_code == 200
    assert operator_client.get(change_url).status_code == 200
    for action, state in (("start", "running"), ("pause", "paused"), ("resume", "running")):
        url = reverse("admin:campaigns_campaign_transition", args=[campaign.pk, action])
        assert operator_client.get(url).status_code == 200
        assert operator_client.post(url).status_code == 302
        campaign.refresh_from_db()
        assert campaign.state == state
    progress = operator_client.get(reverse("admin:campaigns_campaign_progress") + f"?ids={campaign.pk}")
    assert progress.status_code == 200 and str(campaign.pk) in progress.json()


def test_operator_sees_no_other_model(operator_client, campaign, caller, menu, contact_list):
    index = operator_client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:campaigns_campaign_changelist") in index
    hidden = []
    for model in admin.site._registry:
        if model is Campaign or model._meta.app_label == "django_rq":  # see test_operator_cannot_reach_the_job_queues
            continue
        info = (model._meta.app_label, model._meta.model_name)
        changelist = reverse(f"admin:{info[0]}_{info[1]}_changelist")
        if changelist in index:
            hidden.append(("listed on the index", changelist))
        response = operator_client.get(changelist)
        if response.status_code not in (302, 403):
            hidden.append(("changelist", changelist, response.status_code))
    for model, obj in ((CallerNumber, caller), (MenuTemplate, menu), (ContactList, contact_list)):
        url = reverse(f"admin:campaigns_{model._meta.model_name}_change", args=[obj.pk])
        if operator_client.get(url).status_code != 403:
            hidden.append(("change page", url))
    assert hidden == []


def test_view_only_staff_cannot_start_a_campaign(django_user_model, campaign):
    user = django_user_model.objects.create_user("viewer", password="x" * 12, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_campaign"))
    client = Client()
    client.force_login(user)
    url = reverse("admin:campaigns_campaign_transition", args=[campaign.pk, "start"])
    assert client.post(url).status_code == 403
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT


def test_operator_cannot_reach_the_job_queues(operator_client):
    for path in ("/admin/rq/", "/admin/rq/queues/0/", "/admin/rq/workers/0/", "/admin/django_rq/dashboard/"):
        assert operator_client.get(path).status_code in (302, 403), path


def test_staff_without_campaign_permission_gets_no_results(django_user_model, running_campaign):
    user = django_user_model.objects.create_user("clerk", password="x" * 12, is_staff=True)
    client = Client()
    client.force_login(user)
    for name in ("results:dashboard", "results:dashboard-data"):
        assert client.get(reverse(name, args=[running_campaign.pk])).status_code in (302, 403), name
    export = reverse("results:export", args=[running_campaign.pk, "csv"])
    assert client.get(export).status_code in (302, 403)


# --- secrets ---------------------------------------------------------------------------


@pytest.fixture
def captured_log():
    """What the configured console handler writes (its stream swapped), everything at DEBUG."""
    handler = next(h for h in logging.getLogger().handlers if any(isinstance(f, MaskingFilter) for f in h.filters))
    buffer = io.StringIO()
    old_stream = handler.setStream(buffer)
    root = logging.getLogger()
    old_level = root.level
    root.setLevel(logging.DEBUG)
    yield buffer
    root.setLevel(old_level)
    handler.setStream(old_stream)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_no_secret_in_pages_errors_or_logs_through_a_dial_and_receipt_flow(
    settings, live_server, redis_conn, captured_log, client, django_user_model, monkeypatch
):
    from django.db import connection

    from campaigns.dialling.simulator import SimulatorConfig, SimulatorServer

    # The simulator keeps its connection to the live server alive: its request thread must not
    # keep a database session open past the test.
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)

    settings.ALIYUN_ACCESS_KEY_ID = "LTAI-access-id"
    settings.ALIYUN_ACCESS_KEY_SECRET = ACCESS_KEY_SECRET
    settings.RECEIPT_TOKEN = RECEIPT_TOKEN
    receipt_url = f"{live_server.url}/receipts/aliyun/{RECEIPT_TOKEN}/"
    simulator = SimulatorServer(
        SimulatorConfig(
            keys={"LTAI-access-id": ACCESS_KEY_SECRET},
            port=0,
            seed=5,
            receipt_url=receipt_url,
            call_duration_scale=0.0,
            receipt_flush_interval=0.2,
        )
    ).start()
    try:
        settings.ALIYUN_VOICE_ENDPOINT = simulator.url
        contacts = ContactList.objects.create(name="secret flow")
        phones = [f"1380013{n:04d}" for n in range(8)]
        Contact.objects.bulk_create(Contact(contact_list=contacts, phone=p, name=f"客户{p[-2:]}") for p in phones)
        menu = MenuTemplate.objects.create(name="m", start_code="TTS_1", start_tts_params='{"n": "${name}"}')
        menu.options.create(key="1", label="是", code="TTS_2")
        campaign = Campaign.objects.create(
            name="secret flow", menu=menu, daily_start="00:00", daily_end="00:00", max_attempts=1
        )
        campaign.contact_lists.add(contacts)
        campaign.caller_numbers.add(CallerNumber.objects.create(number="057100000009"))
        actions.do_start_campaign(campaign, actor=OPERATOR)
        dispatch.dial_campaign(campaign.pk, max_seconds=10)
        final = [*Call.FINAL]

        def all_settled() -> bool:
            settle_pending()  # the dispatcher's tick settles what the webhook accepted
            return not campaign.calls.exclude(status__in=final).exists()

        wait_until(all_settled, timeout=20, message=lambda: list(campaign.calls.values_list("status", flat=True)))
        assert Receipt.objects.exists()
    finally:
        simulator.stop()

    # Error pages: wrong token, malformed body with the right one, missing pages.
    pages = [
        client.post("/receipts/aliyun/wrong-token/", b"[]", content_type="application/json"),
        client.post(f"/receipts/aliyun/{RECEIPT_TOKEN}/", b"{not json", content_type="application/json"),
        client.post(f"/receipts/aliyun/{RECEIPT_TOKEN}/", b'{"a": 1}', content_type="application/json"),
        client.get("/admin/no-such-page/"),
    ]
    # Every admin page a superuser can open, and the dashboard and exports.
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "x" * 12))
    for name, path in project_urls(campaign.pk):
        if name.startswith("admin:django_rq_") or name == "admin:view_on_site":
            continue  # django_rq's table-less Dashboard model (any content type id may be it)
        if name.startswith("admin:") or (name.startswith("receipts:") and "push" not in name):
            pages.append(client.get(path))
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        pages.append(client.get(reverse(f"admin:{info[0]}_{info[1]}_changelist")))
        for obj in model.objects.all()[:3] if model._meta.managed else []:
            pages.append(client.get(reverse(f"admin:{info[0]}_{info[1]}_change", args=[obj.pk])))
    for fmt in ("csv", "xlsx"):
        pages.append(client.get(reverse("results:export", args=[campaign.pk, fmt])))
    assert sum(p.status_code == 200 for p in pages) > 20

    for response in pages:
        body = b"".join(response) if response.streaming else response.content
        text = body.decode("utf-8", errors="replace")
        assert ACCESS_KEY_SECRET not in text, response.request["PATH_INFO"]
        assert RECEIPT_TOKEN not in text, response.request["PATH_INFO"]

    log = captured_log.getvalue()
    assert "IvrCall out_id=" in log and "-> placed" in log, "the flow should have logged something"
    assert ACCESS_KEY_SECRET not in log and RECEIPT_TOKEN not in log
    assert not [p for p in phones if p in log], "whole phone numbers in the log"
