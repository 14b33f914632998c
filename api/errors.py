"""Every error the API answers in one shape: {"error": {"code", "message", "details"}}, the
message in the request's language (LocaleMiddleware activates it from Accept-Language)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class Conflict(exceptions.APIException):
    """The object is in a state that refuses the action (a campaign not running, …)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def error(code: str, message: str, details: object = None, status_code: int = 400, headers=None) -> Response:
    return Response(
        {"error": {"code": code, "message": message, "details": details}}, status=status_code, headers=headers
    )


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = Conflict(detail=" ".join(exc.messages))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)  # sets WWW-Authenticate, Retry-After
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        code, message, details = "invalid", _("The request is not valid."), exc.detail
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        message, details = str(detail), None
        if isinstance(exc, exceptions.Throttled):
            details = {"retry_after": exc.wait and int(exc.wait + 0.999)}
    response.data = {"error": {"code": code, "message": message, "details": details}}
    return response
