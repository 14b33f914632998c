"""Objects most tests need: a staff client, a caller number, a menu, a list, a campaign."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from campaigns.models import CallerNumber, Campaign, Contact, ContactList, MenuOption, MenuTemplate


@pytest.fixture
def redis_conn():
    """The test Redis database, emptied before and after (REDIS_URL points at a test db)."""
    import redis

    conn = redis.Redis.from_url(settings.REDIS_URL)
    conn.flushdb()
    yield conn
    conn.flushdb()


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_superuser("staff", "staff@example.com", "correct horse battery")


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
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
