"""`Idempotency-Key`: a write retried with the same key (by the same user) gets the first answer
back and changes nothing. The first answer is stored in the write's own transaction, so a
write that rolled back is not remembered and its retry runs."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.db import IntegrityError, transaction
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
        stored = IdempotentResponse.objects.filter(user=request.user, key=key).first()
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
