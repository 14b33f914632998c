"""The admin's "Find a person" page: everything stored about a number, its subject-access copy
(an audited download) and its erasure (campaigns.person). Thin: the work is in campaigns.person."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from audit.actors import Actor
from audit.record import record
from campaigns import person
from campaigns.contacts.phones import InvalidNumber, normalize
from campaigns.privacy import SEE_NUMBERS, hashed_phone

FIND_PERMISSIONS = (SEE_NUMBERS, "campaigns.view_contact", "campaigns.view_call")
ERASE_PERMISSIONS = (*FIND_PERMISSIONS, "campaigns.delete_contact")


def find_person(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perms(FIND_PERMISSIONS):
        raise PermissionDenied(_("Finding a person needs the permission “See full phone numbers”."))
    raw = (request.POST if request.method == "POST" else request.GET).get("number", "").strip()
    number, error, found = "", "", None
    if raw:
        try:
            number = normalize(raw)
        except InvalidNumber as exc:
            error = str(exc)
    may_erase = request.user.has_perms(ERASE_PERMISSIONS)
    if number and request.method == "POST":
        return _erase(request, number, may_erase)
    if number:
        found = person.find(number)
        if request.GET.get("download"):
            return _download(request, number, found)
    context = {
        **admin.site.each_context(request),
        "title": _("Find a person"),
        "number": number or raw,
        "error": error,
        "found": found,
        "stored": found and any(found[k] for k in ("lists", "calls", "do_not_call", "receipts", "audit_events")),
        "may_erase": may_erase,
    }
    return TemplateResponse(request, "admin/person.html", context)


def _download(request: HttpRequest, number: str, found: dict) -> HttpResponse:
    """The subject-access copy: what is stored about the number, as JSON."""
    record(Actor.of_request(request), "download.person", object_type="person", object_id=hashed_phone(number), rows=1)
    response = HttpResponse(json.dumps(found, ensure_ascii=False, indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="person-{number}.json"'
    return response


def _erase(request: HttpRequest, number: str, may_erase: bool) -> HttpResponse:
    if not may_erase:
        raise PermissionDenied(_("Erasing a person needs the permission to delete contacts."))
    reason = request.POST.get("reason", "").strip()
    if not reason:
        messages.error(request, _("Say why the number is erased (e.g. the request's reference)."))
        return redirect(reverse("admin-find-person") + "?" + request.POST.urlencode())
    person.erase(number, reason, Actor.of_request(request))
    messages.success(request, _("Erased. The number stays on the do-not-call list by its hash only."))
    return redirect("admin-find-person")


find_person_view = admin.site.admin_view(find_person)
