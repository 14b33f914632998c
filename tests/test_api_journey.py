"""The whole journey through the API alone, against the running stack (web, worker,
dispatcher, the bundled voice simulator): token → webhook endpoint → list → upsert →
campaign → start → status → results, and every call.settled delivered to a local receiver
exactly once per webhook-id, each signature valid by the `standardwebhooks` library."""

from __future__ import annotations

import json
import time
from collections import defaultdict

import pytest
import requests
from django.contrib.auth import get_user_model
from standardwebhooks import Webhook

from api.models import ApiToken
from campaigns.models import MenuOption, MenuTemplate
from tests.stack import Stack, database_url
from tests.webhook_receiver import Receiver

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
CONTACTS = 40


def test_the_journey_through_the_api_with_signed_webhooks(tmp_path):
    user = get_user_model().objects.create_superuser("crm", "crm@example.com", "correct horse battery")
    _token, value = ApiToken.issue(user, "journey")  # the admin's "add token" (tests/test_api_tokens.py)
    menu = MenuTemplate.objects.create(name="API 菜单", start_code="TTS_1", start_tts_params='{"name": "${name}"}')
    for key, label in (("1", "满意"), ("2", "不满意")):
        MenuOption.objects.create(template=menu, key=key, label=label, code=f"TTS_{key}0")

    with (
        Receiver() as receiver,
        Stack(database_url(), workers=1, simulator_args=("--call-duration-scale", "0.01"), log_dir=tmp_path) as stack,
    ):
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {value}"
        base = f"{stack.url}/api/v1"

        def call(method: str, path: str, **kwargs) -> dict:
            response = api.request(method, base + path, timeout=30, **kwargs)
            assert response.status_code < 300, (path, response.status_code, response.text)
            return response.json()

        hook = call("POST", "/webhooks/", json={"url": receiver.url, "events": ["call.settled"]})
        contact_list = call("POST", "/lists/", json={"name": "CRM 名单"})
        contacts = [
            {"phone": f"1390000{n:04d}", "external_id": f"crm-{n}", "name": f"客户{n}", "variables": {"tier": "gold"}}
            for n in range(CONTACTS)
        ]
        upserted = call("POST", f"/lists/{contact_list['id']}/contacts/", json={"contacts": contacts})
        assert upserted["created"] == CONTACTS and upserted["rejected"] == []
        campaign = call(
            "POST",
            "/campaigns/",
            json={
                "name": "API journey",
                "contact_lists": [contact_list["id"]],
                "menu": menu.name,
                "caller_numbers": ["057100002222"],
                "daily_start": "00:00",
                "daily_end": "00:00",
                "max_attempts": 1,
            },
        )
        call("POST", f"/campaigns/{campaign['id']}/start/")
        deadline = time.monotonic() + 120
        while (status := call("GET", f"/campaigns/{campaign['id']}/"))["state"] != "completed":
            assert time.monotonic() < deadline, f"not completed: {status} (logs in {tmp_path})"
            time.sleep(1)

        results, cursor = [], None
        while True:
            page = call("GET", f"/campaigns/{campaign['id']}/results/", params={"limit": 15, "cursor": cursor or ""})
            results += page["results"]
            if not (cursor := page["next_cursor"]):
                break
        assert len(results) == CONTACTS
        assert {r["external_id"] for r in results} == {c["external_id"] for c in contacts}

        # Every settled call's event, delivered by the worker (the first ones within seconds).
        deadline = time.monotonic() + 60
        while len({h["webhook-id"] for h, _b in receiver.received}) < CONTACTS:
            assert time.monotonic() < deadline, f"{len(receiver.received)} webhooks received (logs in {tmp_path})"
            time.sleep(0.5)
        time.sleep(2)  # anything sent twice arrives meanwhile

    verifier = Webhook(hook["secret"])
    by_id: dict[str, list[bytes]] = defaultdict(list)
    by_call: dict[int, set[str]] = defaultdict(set)
    for headers, body in receiver.received:
        event = verifier.verify(body, headers)  # raises on a bad signature
        assert event["type"] == "call.settled"
        by_id[headers["webhook-id"]].append(body)
        by_call[event["data"]["call_id"]].add(headers["webhook-id"])
    assert all(len(set(bodies)) == 1 for bodies in by_id.values())  # a duplicate is the same message
    assert len(by_call) == CONTACTS and all(len(ids) == 1 for ids in by_call.values())
    events = [json.loads(bodies[0])["data"] for bodies in by_id.values()]
    expected = {r["external_id"]: (r["status"], r["answer_label"]) for r in results}
    assert {e["external_id"]: (e["status"], e["answer_label"]) for e in events} == expected
    assert all(e["variables"] == {"tier": "gold"} for e in events)
