"""Production settings: `check --deploy` clean, DEBUG off unless asked for, HTTPS switches on
when configured, hosts and CSRF origins from the environment, static files served by
WhiteNoise from a collectstatic manifest, gunicorn in the Procfile."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client

from tests.test_i18n import ROOT

PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "prod-" + "k3y-not-in-git-" * 4,
    "ALLOWED_HOSTS": "ivr.example.com,ivr-internal.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://ivr.example.com",
}
SHOWN = [
    "DEBUG",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_PROXY_SSL_HEADER",
    "MIDDLEWARE",
    "STORAGES",
]


def environment(**overrides: str | None) -> dict[str, str]:
    """The process environment without any DJANGO_* knob of the test run, plus `overrides`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") and k not in ("ALLOWED_HOSTS",)}
    env.pop("CSRF_TRUSTED_ORIGINS", None)
    env.update({k: v for k, v in overrides.items() if v is not None})
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def settings_under(env: dict[str, str]) -> dict:
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({{k: getattr(settings, k) for k in {SHOWN!r}}}, default=str))"
    )
    result = run(["-c", code], {**env, "DJANGO_SETTINGS_MODULE": "ivrsite.settings"})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_is_clean_under_production_settings():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], environment(**PRODUCTION_ENV))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_is_off_and_https_is_strict_by_default():
    s = settings_under(environment(**PRODUCTION_ENV))
    assert s["DEBUG"] is False
    assert s["ALLOWED_HOSTS"] == ["ivr.example.com", "ivr-internal.example.com"]
    assert s["CSRF_TRUSTED_ORIGINS"] == ["https://ivr.example.com"]
    assert s["SECURE_SSL_REDIRECT"] is True
    assert s["SESSION_COOKIE_SECURE"] is True and s["CSRF_COOKIE_SECURE"] is True
    assert s["SECURE_HSTS_SECONDS"] >= 31536000 and s["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert s["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert s["STORAGES"]["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    middleware = s["MIDDLEWARE"]
    assert middleware.index("whitenoise.middleware.WhiteNoiseMiddleware") == (
        middleware.index("django.middleware.security.SecurityMiddleware") + 1
    )


def test_behind_a_redirecting_proxy_ssl_redirect_can_be_turned_off():
    s = settings_under(environment(**PRODUCTION_ENV, DJANGO_SECURE_SSL_REDIRECT="0"))
    assert s["SECURE_SSL_REDIRECT"] is False
    assert s["SESSION_COOKIE_SECURE"] is True and s["SECURE_HSTS_SECONDS"] > 0  # still HTTPS-only cookies


def test_debug_only_when_asked_for_and_then_relaxed():
    s = settings_under(environment(DJANGO_DEBUG="1"))
    assert s["DEBUG"] is True
    assert s["SECURE_SSL_REDIRECT"] is False and s["SESSION_COOKIE_SECURE"] is False
    assert s["SECURE_HSTS_SECONDS"] == 0


@pytest.mark.parametrize("debug", [None, "0", "false", "no"])
def test_refuses_to_start_without_a_secret_key_unless_debugging(debug):
    result = run(["manage.py", "check"], environment(DJANGO_DEBUG=debug))
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_procfile_serves_the_web_with_gunicorn():
    web = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    assert web.split()[1] == "gunicorn" and "ivrsite.wsgi" in web


def test_https_request_gets_hsts_and_secure_cookies_in_production(settings, client):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.CSRF_COOKIE_SECURE = settings.SESSION_COOKIE_SECURE = True
    settings.ALLOWED_HOSTS = ["ivr.example.com"]
    plain = client.get("/admin/login/", headers={"host": "ivr.example.com"})
    assert plain.status_code == 301 and plain["Location"].startswith("https://ivr.example.com/")
    secure = client.get("/admin/login/", headers={"host": "ivr.example.com", "x-forwarded-proto": "https"})
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"].startswith("max-age=31536000")
    assert secure.cookies["csrftoken"]["secure"] is True
    assert client.get("/admin/login/", headers={"host": "evil.example.net"}).status_code == 400


@pytest.mark.slow
def test_whitenoise_serves_collected_static_files(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    client = Client()  # a new handler: WhiteNoise reads STATIC_ROOT when it starts
    for name in ("ivrsite/site.css", "admin/css/base.css", "vendor/chartjs/chart.umd.min.js"):
        url = static(name)
        assert url != f"/static/{name}", f"{name} has no hashed name: not in the manifest"
        response = client.get(url, headers={"accept-encoding": "gzip"})
        assert response.status_code == 200, url
        assert "immutable" in response["Cache-Control"]
        assert response.get("Content-Encoding") == "gzip", url
    assert client.get("/static/ivrsite/nope.css").status_code == 404
