"""`Authorization: Bearer ivr_<prefix>_<secret>`: the token's user, if the token is usable."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from api.models import ApiToken
from audit.actors import Actor

# last_used_at is written at most this often per token (not one UPDATE per request).
TOUCH_EVERY = dt.timedelta(minutes=1)


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode().lower() != self.keyword.lower():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Malformed Authorization header."))
        try:
            value = header[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        _ivr, _sep, rest = value.partition("ivr_")
        prefix, _sep, secret = rest.partition("_")
        token = ApiToken.objects.select_related("user").filter(prefix=prefix).first() if prefix and secret else None
        if token is None or not token.matches(secret):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.usable:
            raise exceptions.AuthenticationFailed(_("This token was revoked or has expired."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("The token's user is inactive."))
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return self.keyword


def actor_of(request) -> Actor:
    """The audit trail's actor for an API request: the token's user, kind "api"."""
    token = request.auth if isinstance(request.auth, ApiToken) else None
    name = request.user.get_username() + (f" [{token.name}]" if token else "")
    return Actor(kind="api", name=name, user_id=request.user.pk, ip=request.META.get("REMOTE_ADDR") or None)
