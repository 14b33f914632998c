"""`Idempotency-Key`: a write retried with the same key (by the same user) within
`API_IDEMPOTENCY_HOURS` gets the first answer back and changes nothing. The first answer is
stored in the write's own transaction, so a write that rolled back is not remembered and its
retry runs; after the period the key is forgotten (`delete_expired`, hourly) and may be used again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.response import Response

from api.errors import error
from api.models import IdempotentResponse

HEADER = "HTTP_IDEMPOTENCY_KEY"


def idempotent(handler: Callable) -> Callable:
    @wraps(handler)
    def wrapper(view, request, *args, **kwargs) -> Response:
        key = request.META.get(HEADER, "").strip()
        if not key:
            return handler(view, request, *args, **kwargs)
        if len(key) > 200:
            return error("invalid", _("The Idempotency-Key header is longer than 200 characters."))
        mine = IdempotentResponse.objects.filter(user=request.user, key=key)
        mine.filter(created_at__lt=_forgotten_before(timezone.now())).delete()  # before the hourly job
        stored = mine.first()
        if stored is not None:
            if (stored.method, stored.path) != (request.method, request.path):
                return error(
                    "idempotency_key_reused", _("This Idempotency-Key was used for another request."), status_code=422
                )
            return Response(stored.body, status=stored.status_code, headers={"Idempotent-Replayed": "true"})
        try:
            with transaction.atomic():
                response = handler(view, request, *args, **kwargs)
                if response.status_code < 500:
                    IdempotentResponse.objects.create(
                        user=request.user,
                        key=key,
                        method=request.method,
                        path=request.path,
                        status_code=response.status_code,
                        body=response.data,
                    )
        except IntegrityError:  # the same key at the same moment: the other request's answer wins
            stored = IdempotentResponse.objects.get(user=request.user, key=key)
            return Response(stored.body, status=stored.status_code, headers={"Idempotent-Replayed": "true"})
        return response

    return wrapper


def _forgotten_before(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(hours=settings.API_IDEMPOTENCY_HOURS)


def delete_expired(now: dt.datetime) -> int:
    """Hourly housekeeping (registered by `ApiConfig.ready`): forget the answers older than
    API_IDEMPOTENCY_HOURS."""
    deleted, _by_model = IdempotentResponse.objects.filter(created_at__lt=_forgotten_before(now)).delete()
    return deleted
