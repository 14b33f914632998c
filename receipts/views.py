"""The receipt webhook, the results dashboard and the result exports. Thin: the work is in
`receipts.ingest`, `receipts.aggregates` and `receipts.exports`."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import re
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from campaigns import spreadsheets
from campaigns.followups import may_follow_up
from campaigns.models import Campaign
from campaigns.permissions import may_export_results
from receipts import aggregates, analysis, chain_exports, crosstab, exports, inbox, segments
from receipts.models import RejectedPush

log = logging.getLogger(__name__)

ACCEPTED = json.dumps({"code": 0, "msg": "接收成功"}, ensure_ascii=False, separators=(",", ":")).encode()
KEEP_BYTES = 64 * 1024  # of a body too large to take, what staff get to see
MAX_DEPTH = 32  # receipts are flat objects in an array: deeper is not a receipt push
# NUL (PostgreSQL text and jsonb refuse it) and lone UTF-16 surrogates (valid JSON escapes, but not
# Unicode: nothing can encode them to store them).
UNSTORABLE_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _token_ok(token: str) -> bool:
    expected = settings.RECEIPT_TOKEN
    if not expected:
        return False
    # Digests first: compare_digest then leaks neither content nor length.
    return hmac.compare_digest(hashlib.sha256(token.encode()).digest(), hashlib.sha256(expected.encode()).digest())


def _reply(status: int, message: str) -> JsonResponse:
    return JsonResponse({"code": 1, "msg": message}, status=status, json_dumps_params={"ensure_ascii": False})


def _reject(request: HttpRequest, reason: str, detail: str, body: bytes, size: int) -> None:
    RejectedPush.objects.create(
        reason=reason,
        detail=detail[:500],
        body=body.decode("utf-8", errors="replace").replace("\x00", "\ufffd"),
        size=size,
        content_type=(request.content_type or "")[:200].replace("\x00", "\ufffd"),
        remote_addr=request.META.get("REMOTE_ADDR", "")[:100],
    )


def _no_nan(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400: Infinity by another name
        raise ValueError(f"{text[:40]} is out of range")
    return value


def _too_deep(value: object) -> bool:
    """Nested deeper than MAX_DEPTH (checked without recursion: deep values are what overflow it)."""
    stack = [(value, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > MAX_DEPTH:
                    return True
                stack.append((child, depth + 1))
    return False


def _storable(value: object) -> object:
    """The value with UNSTORABLE characters replaced by U+FFFD: keep the element, mark the spot."""
    if isinstance(value, str):
        return UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_storable(item) for item in value]
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    return value


@csrf_exempt
def aliyun_push(request: HttpRequest, token: str) -> HttpResponse:
    """Aliyun's HTTP receipt push: a JSON array of VoiceCallReport / VoiceReport elements."""
    if not _token_ok(token):
        raise Http404
    if request.method != "POST":
        return _reply(405, "POST only")
    limit = settings.RECEIPT_MAX_BODY_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    body = b"" if declared > limit else request.read(limit + 1)
    if declared > limit or len(body) > limit:
        _reject(
            request, RejectedPush.Reason.TOO_LARGE, f"over {limit} bytes", body[:KEEP_BYTES], max(declared, len(body))
        )
        return _reply(413, f"body over {limit} bytes")
    try:
        text = body.decode("utf-8-sig")
        elements = json.loads(text, parse_constant=_no_nan, parse_float=_finite)
        too_deep = isinstance(elements, list) and _too_deep(elements)
    except (UnicodeDecodeError, ValueError) as exc:
        _reject(request, RejectedPush.Reason.NOT_JSON, str(exc), body, len(body))
        return _reply(400, f"not JSON: {exc}")
    except RecursionError:  # too deep even to parse
        too_deep = True
    if too_deep:
        _reject(request, RejectedPush.Reason.WRONG_SHAPE, f"nested deeper than {MAX_DEPTH}", body, len(body))
        return _reply(400, f"JSON nested deeper than {MAX_DEPTH} levels")
    if not isinstance(elements, list):
        _reject(request, RejectedPush.Reason.WRONG_SHAPE, f"top level is {type(elements).__name__}", body, len(body))
        return _reply(400, "expected a JSON array of receipt objects")
    cap = settings.RECEIPT_MAX_ELEMENTS
    if len(elements) > cap:
        # Aliyun pushes a hundred or so at a time; a flood costs seconds and a row per element.
        detail = f"{len(elements)} elements, over {cap} per push"
        _reject(request, RejectedPush.Reason.TOO_LARGE, detail, body[:KEEP_BYTES], len(body))
        return _reply(413, f"more than {cap} elements in one push")
    if UNSTORABLE_ESCAPE.search(text):
        text = json.dumps(_storable(elements), ensure_ascii=False)  # no deeper than MAX_DEPTH by now
    try:
        inbox.accept(text)  # settled a moment later, in bulk: receipts.inbox
    except Exception as exc:
        log.exception("receipt push failed; Aliyun will resend it")
        try:
            _reject(request, RejectedPush.Reason.SERVER_ERROR, repr(exc), body, len(body))
        except Exception:
            log.exception("could not even keep the failed receipt push")
        # Not 200, so Aliyun resends in 1, 5 and 10 minutes.
        return _reply(503, "temporarily unable to store receipts")
    return HttpResponse(ACCEPTED, content_type="application/json; charset=utf-8")


def _filters(request: HttpRequest, campaign: Campaign) -> int | None:
    raw = request.GET.get("list") or ""
    if not raw.isdigit():
        return None
    list_id = int(raw)
    if not campaign.contact_lists.filter(pk=list_id).exists():
        raise Http404(_("That list is not part of this campaign."))
    return list_id


def campaign_viewer(view):
    """Staff who may view campaigns: results are campaign data."""
    return staff_member_required(permission_required("campaigns.view_campaign", raise_exception=True)(view))


@campaign_viewer
@require_GET
def dashboard(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    list_id = _filters(request, campaign)
    by = request.GET.get("by") or None
    data = _data(campaign, list_id, by)
    query = {k: v for k, v in (("list", list_id), ("by", data["by"])) if v}
    user = request.user
    context = {
        "campaign": campaign,
        "lists": campaign.contact_lists.order_by("name"),
        "list_id": list_id,
        "data": data,
        "query": urlencode(query),
        "title": _("Results: %(name)s") % {"name": campaign.name},
        "no_data_text": _("No data yet."),
        "may_export": may_export_results(user),
        "may_follow_up": may_follow_up(user),
        "may_view_calls": user.has_perm("campaigns.view_call"),
    }
    return render(request, "receipts/dashboard.html", context)


def _data(campaign: Campaign, list_id: int | None, by: str | None, *, list_variables: bool = True) -> dict:
    data = aggregates.dashboard_data(campaign, contact_list_id=list_id)
    return analysis.merge(data, analysis.extras(campaign, list_id, by, list_variables=list_variables))


def _segments(request: HttpRequest) -> list:
    try:
        return segments.parse_all(request.GET.getlist("segment"))
    except ValidationError as exc:
        raise Http404(" ".join(exc.messages)) from exc


@campaign_viewer
@require_GET
def dashboard_data(request: HttpRequest, campaign_id: int) -> JsonResponse:
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    list_id = _filters(request, campaign)
    # The poll redraws figures and charts; the picker's variable names stay as the page drew them.
    return JsonResponse(_data(campaign, list_id, request.GET.get("by") or None, list_variables=False))


@staff_member_required
@require_GET
def export_results(request: HttpRequest, campaign_id: int, fmt: str) -> HttpResponse:
    """Numbers, names and answers: personal data (see campaigns.permissions)."""
    if not may_export_results(request.user):
        raise PermissionDenied
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    list_id = _filters(request, campaign)
    if fmt == "csv":
        return exports.csv_response(campaign, contact_list_id=list_id)
    if fmt == "xlsx":
        try:
            return exports.xlsx_response(campaign, contact_list_id=list_id)
        except spreadsheets.TooWide as exc:
            messages.error(request, str(exc))
            return redirect("receipts:dashboard", campaign.pk)
    raise Http404


@campaign_viewer
@require_GET
def segment_action(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """The dashboard's segment form: export the ticked segments or make a follow-up of them."""
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    chosen = _segments(request)
    query = urlencode([("segment", s.code) for s in chosen])
    if request.GET.get("do") == "followup":
        return redirect(reverse("admin:campaigns_campaign_followup", args=[campaign.pk]) + "?" + query)
    fmt = request.GET.get("format", "csv")
    return redirect(reverse("receipts:segment-export", args=[campaign.pk, fmt]) + "?" + query)


@campaign_viewer
@require_GET
def export_segment(request: HttpRequest, campaign_id: int, fmt: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    if not may_export_results(request.user):
        raise PermissionDenied
    rows = chain_exports.segment_rows(campaign, _segments(request))
    return _download(request, campaign, rows, "segment", fmt)


@campaign_viewer
@require_GET
def export_chain(request: HttpRequest, campaign_id: int, fmt: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    if not may_export_results(request.user):
        raise PermissionDenied
    return _download(request, campaign, chain_exports.chain_rows(campaign), "chain", fmt)


def _download(request: HttpRequest, campaign: Campaign, rows, kind: str, fmt: str) -> HttpResponse:
    try:
        return chain_exports.response(rows, campaign, kind, fmt)
    except spreadsheets.TooWide as exc:
        messages.error(request, str(exc))
        return redirect("receipts:dashboard", campaign.pk)


@campaign_viewer
@require_GET
def export_crosstab(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """The cross-tab table as CSV: counts only, no contact is named."""
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    by = request.GET.get("by") or ""
    if not by or not crosstab.has_variable(campaign, by):
        raise Http404(_("No contact of this campaign has that variable."))
    chart = analysis.crosstab_chart(campaign, by)
    if chart["pending"]:
        return HttpResponse(_("The breakdown is being computed; try again in a moment."), status=503)
    return crosstab.csv_response(campaign, chart)
