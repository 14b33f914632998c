"""A Content-Security-Policy on every response: scripts and styles from our own static files
only. Our templates carry nothing it would block (the browser journey checks the console too)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
INLINE = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>|\sstyle=\"|\son[a-z]+=\"|<style", re.I)


def policy(response) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))


@pytest.mark.parametrize(
    "path",
    ["/admin/login/", "/admin/", "/admin/campaigns/campaign/", "/healthz/", "/admin/no-such-page/"],
)
def test_every_page_has_the_strict_policy(staff_client, path):
    csp = policy(staff_client.get(path))
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
    assert csp["object-src"] == "'none'" and csp["frame-ancestors"] == "'none'"


def test_the_dashboard_and_import_pages_have_it(staff_client, running_campaign, contact_list):
    for url in (
        reverse("results:dashboard", args=[running_campaign.pk]),
        reverse("admin:campaigns_contactlist_import", args=[contact_list.pk]),
        reverse("admin:campaigns_contactlist_change", args=[contact_list.pk]),
    ):
        assert policy(staff_client.get(url))["script-src"] == "'self'", url


def test_only_django_rqs_own_pages_allow_inline_script(staff_client):
    assert "'unsafe-inline'" in policy(staff_client.get("/admin/rq/"))["script-src"]


def test_report_only_mode(staff_client, settings):
    settings.CSP_REPORT_ONLY = True
    response = staff_client.get("/admin/")
    assert "Content-Security-Policy-Report-Only" in response and "Content-Security-Policy" not in response


def test_our_templates_have_no_inline_script_style_or_handler():
    found = [
        f"{path.relative_to(TEMPLATES)}: {match[0]}"
        for path in TEMPLATES.rglob("*.html")
        for match in INLINE.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []
