"""Content-Security-Policy on every response (Django 5.2 has none built in).

Our pages load scripts and styles only from our own static files: no inline <script>, no
style="" attribute, no on…="" handler in our templates or the Django admin's, and Chart.js
is vendored. The policy says exactly that, so an injected script or style does nothing.

django-rq's job pages (superusers only) carry inline scripts of their own: under
`/admin/rq/` and `/admin/django_rq/` scripts and styles may also be inline. Nothing else is
relaxed there.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
THIRD_PARTY_INLINE = {**POLICY, "script-src": "'self' 'unsafe-inline'", "style-src": "'self' 'unsafe-inline'"}
# Redoc (the API docs page) styles itself with inline <style> elements and runs a blob: worker.
THIRD_PARTY_INLINE_PATHS = ("/admin/rq/", "/admin/django_rq/", "/api/v1/docs/")


def header(policy: dict[str, str]) -> str:
    return "; ".join(f"{directive} {sources}" for directive, sources in policy.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.strict = header(POLICY)
        self.relaxed = header(THIRD_PARTY_INLINE)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        name = "Content-Security-Policy-Report-Only" if settings.CSP_REPORT_ONLY else "Content-Security-Policy"
        relaxed = request.path.startswith(THIRD_PARTY_INLINE_PATHS)
        response.headers.setdefault(name, self.relaxed if relaxed else self.strict)
        return response
