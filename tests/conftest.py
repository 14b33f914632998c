"""Objects most tests need: a staff client, a caller number, a menu, a list, a campaign."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from campaigns.models import CallerNumber, Campaign, Contact, ContactList, ImportJob, MenuOption, MenuTemplate


@pytest.fixture(autouse=True)
def default_language():
    """A request in Chinese activates zh-hans for the thread; later tests expect the default."""
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def single_dial_thread(settings):
    """Dial jobs called in a test's transaction must use its connection: one thread.
    (test_dial_threads and the stack tests run the threaded path.)"""
    settings.DIAL_THREADS = 1


@pytest.fixture(autouse=True)
def forget_no_call_days():
    """No-call dates are cached per process; a rolled-back test must not leave its own behind."""
    from campaigns.no_call_days import forget_cached

    forget_cached()
    yield
    forget_cached()


@pytest.fixture
def redis_conn():
    """The test Redis database, emptied before and after (REDIS_URL points at a test db)."""
    import redis

    conn = redis.Redis.from_url(settings.REDIS_URL)
    conn.flushdb()
    yield conn
    conn.flushdb()


@pytest.fixture
def start_simulator():
    """Start in-process voice simulators (free port, instant calls unless overridden);
    every one started is stopped after the test."""
    from campaigns.dialling.simulator import SimulatorConfig, SimulatorServer

    started = []

    def start(**options):
        server = SimulatorServer(SimulatorConfig(**{"port": 0, "call_duration_scale": 0.0, **options})).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_superuser("staff", "staff@example.com", "correct horse battery")


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def staff_with(django_user_model):
    """A logged-in client of a staff user holding only the permissions named (codenames)."""
    from django.test import Client

    def login(*codenames: str) -> Client:
        return _logged_in(Client(), django_user_model, "staff-" + "-".join(codenames), codenames)

    return login


@pytest.fixture
def login_with(client, django_user_model):
    """`login_with("view_call", ...)`: the test's client, logged in as staff holding just those permissions."""

    def login(*codenames: str):
        return _logged_in(client, django_user_model, "limited", codenames)

    return login


def _logged_in(client, django_user_model, username: str, codenames):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user(username, password="x" * 12, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return client


@pytest.fixture
def caller(db) -> CallerNumber:
    return CallerNumber.objects.create(number="057112345678", label="Hangzhou", max_concurrent_calls=500)


@pytest.fixture
def menu(db) -> MenuTemplate:
    template = MenuTemplate.objects.create(
        name="满意度调查",
        start_code="TTS_100001",
        start_tts_params='{"name": "${name}", "product": "${product}"}',
        play_times=2,
        timeout_ms=5000,
        bye_code="TTS_100009",
        bye_tts_params="{}",
    )
    for position, (key, label) in enumerate([("1", "满意"), ("2", "一般"), ("3", "不满意")]):
        MenuOption.objects.create(template=template, key=key, label=label, code=f"TTS_20000{key}", position=position)
    return template


@pytest.fixture
def contact_list(db) -> ContactList:
    contacts = ContactList.objects.create(name="客户名单")
    Contact.objects.bulk_create(
        Contact(contact_list=contacts, phone=f"1380013{n:04d}", name=f"张三{n}", variables={"product": "宽带"})
        for n in range(5)
    )
    return contacts


@pytest.fixture
def campaign(db, contact_list, caller, menu) -> Campaign:
    created = Campaign.objects.create(
        name="Q4 survey",
        menu=menu,
        daily_start=dt.time(0, 0),
        daily_end=dt.time(0, 0),
        max_attempts=2,
        retry_delay_seconds=60,
    )
    created.contact_lists.add(contact_list)
    created.caller_numbers.add(caller)
    return created


# --- receipts (issue 6) ---------------------------------------------------------------

RECEIPT_TOKEN = "s3cret-receipt-token-0123456789"


@pytest.fixture
def receipt_url(settings) -> str:
    """The webhook URL with the right token (RECEIPT_TOKEN set for the test)."""
    settings.RECEIPT_TOKEN = RECEIPT_TOKEN
    return f"/receipts/aliyun/{RECEIPT_TOKEN}/"


@pytest.fixture
def running_campaign(campaign, menu) -> Campaign:
    campaign.state = Campaign.State.RUNNING
    campaign.menu_snapshot = menu.snapshot()
    campaign.started_at = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)
    campaign.save()
    return campaign


@pytest.fixture
def placed_calls(running_campaign):
    """One placed call per contact: out_id `o{n}`, CallId `c{n}^1`, sent at 2026-11-02 02:0n UTC."""
    from campaigns.models import Call

    contacts = Contact.objects.filter(contact_list__campaigns=running_campaign).order_by("phone")
    return Call.objects.bulk_create(
        Call(
            campaign=running_campaign,
            contact=contact,
            phone=contact.phone,
            status=Call.Status.PLACED,
            out_id=f"o{n}",
            call_id=f"c{n}^1",
            sent_at=dt.datetime(2026, 11, 2, 2, n, tzinfo=dt.UTC),
        )
        for n, contact in enumerate(contacts)
    )


@pytest.fixture
def post_receipts(client, receipt_url):
    """POST a list of receipt elements (or raw bytes) to the webhook; returns the response."""
    import json

    from receipts.inbox import settle_pending

    def post(elements, **extra):
        body = elements if isinstance(elements, bytes) else json.dumps(elements, ensure_ascii=False).encode()
        response = client.generic("POST", receipt_url, body, content_type="application/json", **extra)
        settle_pending()  # what the dispatcher's next tick does
        return response

    return post


@pytest.fixture(autouse=True)
def enrolment_job_runs_at_once(monkeypatch):
    """Starting from the admin queues the enrolment job; here it runs at once, as a free worker would."""
    from campaigns import enrolment

    monkeypatch.setattr(enrolment, "enqueue_enrolment", lambda campaign: enrolment.run_enrolment(campaign.pk))


@pytest.fixture(autouse=True)
def simple_static(settings):
    """Pages that use {% static %} without a collectstatic manifest (DEBUG is off in tests;
    test_deploy_settings checks the production storage separately)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def import_in_background(
    settings, tmp_path, redis_conn, staff_client, contact_list, django_capture_on_commit_callbacks
):
    """A big import as staff run it: uploaded in the admin (every upload goes to the `imports`
    queue, its file under a throwaway MEDIA_ROOT), then run by a worker speaking
    `worker_language`; returns its job."""
    settings.MEDIA_ROOT = tmp_path
    settings.IMPORT_BACKGROUND_THRESHOLD_BYTES = 10

    import django_rq
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse
    from django.utils import translation
    from rq.worker import SimpleWorker

    def run(data: bytes, worker_language: str) -> ImportJob:
        url = reverse("admin:campaigns_contactlist_import", args=[contact_list.pk])
        with django_capture_on_commit_callbacks(execute=True):
            response = staff_client.post(url, {"file": SimpleUploadedFile("名单.csv", data, content_type="text/csv")})
        assert response.status_code == 302
        with translation.override(worker_language):
            django_rq.get_worker("imports", worker_class=SimpleWorker).work(burst=True)
        return ImportJob.objects.get(contact_list=contact_list)

    return run
