"""Aliyun accounts: each its own key pair, endpoint and QPS budget.

A caller number belongs to one account; a number with no account uses the *default
account*, the one configured by the ALIYUN_* environment variables and VOICE_QPS (so an
installation from before accounts existed keeps working with nothing to do).

Secrets are stored encrypted (Fernet) with a key from `ACCOUNT_SECRETS_KEY`; without it
the key is derived from DJANGO_SECRET_KEY, so rotating that key makes stored secrets
unreadable (re-enter them with `account add`). `ACCOUNT_SECRETS_KEY` may list several
comma-separated keys: the first encrypts, all decrypt (key rotation).
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns.dialling import aliyun
from campaigns.dialling.pacing import ACCOUNT_KEY

DEFAULT_ENDPOINT = "https://dyvmsapi.aliyuncs.com/"


def _fernet() -> MultiFernet:
    keys = [k.strip() for k in settings.ACCOUNT_SECRETS_KEY.split(",") if k.strip()]
    if not keys:
        digest = hashlib.sha256(b"ivrsite account secrets|" + settings.SECRET_KEY.encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured("ACCOUNT_SECRETS_KEY must be Fernet keys (32 url-safe base64 bytes).") from exc


def encrypt_secret(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode("ascii")


class SecretUnreadable(ImproperlyConfigured):
    """A stored secret that the configured keys cannot decrypt."""


def decrypt_secret(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "A stored AccessKey secret cannot be decrypted: ACCOUNT_SECRETS_KEY (or DJANGO_SECRET_KEY) changed."
        ) from None


class VoiceAccount(models.Model):
    """An Aliyun account the caller numbers it owns dial through."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    access_key_id = models.CharField(_("AccessKey ID"), max_length=128)
    encrypted_secret = models.TextField(_("AccessKey secret (encrypted)"), editable=False)
    endpoint = models.URLField(_("endpoint"), max_length=300, default=DEFAULT_ENDPOINT)
    qps = models.PositiveIntegerField(
        _("QPS budget"), default=100, help_text=_("IvrCall requests per second allowed to this account.")
    )
    price_per_minute = models.DecimalField(
        _("price per minute (yuan)"),
        max_digits=8,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("What a started minute of a call costs on this account; blank: VOICE_PRICE_PER_MINUTE."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("Aliyun account")
        verbose_name_plural = _("Aliyun accounts")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def set_secret(self, secret: str) -> None:
        self.encrypted_secret = encrypt_secret(secret)

    def reveal_secret(self) -> str:
        return decrypt_secret(self.encrypted_secret)

    @property
    def masked_key_id(self) -> str:
        return mask(self.access_key_id)

    def clean(self) -> None:
        try:
            validate_endpoint(self.endpoint)
        except ValidationError as exc:
            raise ValidationError({"endpoint": exc.messages}) from None


def mask(value: str) -> str:
    """Enough of an identifier to recognise it, not enough to use it."""
    return f"{value[:4]}…{value[-2:]}" if len(value) > 8 else "…"


ALIYUN_HOST_SUFFIX = ".aliyuncs.com"


def _origin(url: str) -> str:
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower()


def allowed_origins() -> set[str]:
    """Endpoints other than Aliyun's that a stored account may use: VOICE_ENDPOINTS_ALLOWED, and
    the environment's own ALIYUN_VOICE_ENDPOINT (the bundled simulator under `make run`)."""
    return {_origin(url) for url in [*settings.VOICE_ENDPOINTS_ALLOWED, settings.ALIYUN_VOICE_ENDPOINT] if url}


def validate_endpoint(value: str) -> None:
    """HTTPS on one of Aliyun's hosts (`*.aliyuncs.com`), or an origin the settings allow: the
    endpoint receives every signed request, and a stored account must not send them elsewhere."""
    URLValidator(schemes=["http", "https"])(value)
    if _origin(value) in allowed_origins():
        return
    parts = urlsplit(value)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not (host.endswith(ALIYUN_HOST_SUFFIX) or host == ALIYUN_HOST_SUFFIX[1:]):
        raise ValidationError(
            _(
                "The endpoint must be HTTPS on one of Aliyun's hosts (*.aliyuncs.com), or allowed by "
                "VOICE_ENDPOINTS_ALLOWED."
            )
        )


@dataclass(frozen=True)
class Route:
    """Where a call goes and under which budget: one per account (None = the default one)."""

    account_id: int | None
    name: str
    qps: int
    pace_key: str
    price_per_minute: Decimal  # yuan per started minute


def default_price() -> Decimal:
    """The environment's account's price per started minute (VOICE_PRICE_PER_MINUTE)."""
    return Decimal(str(settings.VOICE_PRICE_PER_MINUTE))


DEFAULT_PACE_KEY = ACCOUNT_KEY  # the key the pacer used before accounts existed


def default_route() -> Route:
    return Route(None, str(_("default (environment)")), settings.VOICE_QPS, DEFAULT_PACE_KEY, default_price())


def route_for(account: VoiceAccount | None) -> Route:
    if account is None:
        return default_route()
    price = account.price_per_minute if account.price_per_minute is not None else default_price()
    return Route(account.pk, account.name, account.qps, f"{DEFAULT_PACE_KEY}:{account.pk}", price)


def routes_by_account(account_ids: set[int | None]) -> dict[int | None, Route]:
    """The route of each account id (None = default) in one query."""
    routes: dict[int | None, Route] = {None: default_route()} if None in account_ids else {}
    for account in VoiceAccount.objects.filter(pk__in=[a for a in account_ids if a is not None]):
        routes[account.pk] = route_for(account)
    return routes


# account id -> (updated_at it was built from, client, monotonic time it was last checked)
_clients: dict[int, tuple] = {}
_clients_lock = threading.Lock()
# How long a client is used before checking whether its account was edited.
CLIENT_RECHECK_SECONDS = 10.0


_env_client_lock = threading.Lock()
_env_client: tuple[tuple[str, str, str], aliyun.VoiceClient] | None = None  # (key id, secret digest, endpoint)


def voice_client() -> aliyun.VoiceClient:
    """The process's client for the environment's account (settings ALIYUN_ACCESS_KEY_ID /
    _SECRET / ALIYUN_VOICE_ENDPOINT), rebuilt when one of them changes."""
    global _env_client
    key_id, secret, endpoint = (
        settings.ALIYUN_ACCESS_KEY_ID,
        settings.ALIYUN_ACCESS_KEY_SECRET,
        settings.ALIYUN_VOICE_ENDPOINT,
    )
    wanted = (key_id, hashlib.sha256(secret.encode()).hexdigest(), endpoint)
    with _env_client_lock:
        if _env_client is None or _env_client[0] != wanted:
            client = aliyun.VoiceClient(key_id, secret, endpoint, timeout=(3.05, settings.ALIYUN_READ_TIMEOUT))
            _env_client = (wanted, client)
        return _env_client[1]


def client_for(account_id: int | None) -> aliyun.VoiceClient:
    """The process's VoiceClient for an account (None = the environment's), rebuilt when the
    account is edited (noticed within CLIENT_RECHECK_SECONDS, no query on the hot path)."""
    if account_id is None:
        return voice_client()
    with _clients_lock:
        cached = _clients.get(account_id)
        now = time.monotonic()
        if cached and now - cached[2] < CLIENT_RECHECK_SECONDS:
            return cached[1]
        stamp = VoiceAccount.objects.filter(pk=account_id).values_list("updated_at", flat=True).first()
        if cached and cached[0] == stamp:
            _clients[account_id] = (stamp, cached[1], now)
            return cached[1]
        account = VoiceAccount.objects.get(pk=account_id)
        client = aliyun.VoiceClient(
            account.access_key_id,
            account.reveal_secret(),
            account.endpoint,
            timeout=(3.05, settings.ALIYUN_READ_TIMEOUT),
        )
        _clients[account_id] = (stamp, client, now)
        return client
