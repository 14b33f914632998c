"""The receipt webhook. Thin: the work is in `receipts.inbox` and `receipts.ingest`."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import re

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from receipts import inbox
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
        body=body[:KEEP_BYTES].decode("utf-8", errors="replace").replace("\x00", "\ufffd"),
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
