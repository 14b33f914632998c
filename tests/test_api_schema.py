"""The OpenAPI 3 schema at /api/v1/schema/ validates (drf-spectacular's validation, warnings
as errors), and the docs page loads Redoc from our own static files (works offline)."""

from __future__ import annotations

import yaml
from django.core.management import call_command

from tests.api_helpers import client_for


def test_the_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/lists/{id}/contacts/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["token"]["scheme"] == "bearer"


def test_the_schema_is_served_and_the_docs_page_needs_no_cdn(staff_user, client):
    api, _token = client_for(staff_user)
    assert api.get("/api/v1/schema/").status_code == 200
    client.force_login(staff_user)
    page = client.get("/api/v1/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/redoc/" in page
    assert "https://" not in page
