"""Request authentication as Aliyun's RPC gateway does it: V1.0 HMAC-SHA1 and ACS3-HMAC-SHA256.

Each check returns None when the request passes, or an `ApiError` carrying the error code,
HTTP status and message Aliyun answers with.
"""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from campaigns.dialling.aliyun.signing import percent_encode, sign, string_to_sign

ACS3 = "ACS3-HMAC-SHA256"
MAX_CLOCK_SKEW = 15 * 60


@dataclass(frozen=True)
class ApiError:
    code: str
    message: str
    status: int = 400


def missing(name: str) -> ApiError:
    return ApiError(f"Missing{name}", f"{name} is mandatory for this action.")


class NonceCache:
    """Signature nonces seen in the last 15 minutes (Aliyun refuses a reused one)."""

    def __init__(self, ttl: float = MAX_CLOCK_SKEW, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._seen: set[str] = set()
        self._order: collections.deque[tuple[float, str]] = collections.deque()
        self._lock = threading.Lock()

    def use(self, nonce: str) -> bool:
        """Record `nonce`; False if it was already used."""
        now = self.clock()
        with self._lock:
            while self._order and self._order[0][0] < now - self.ttl:
                self._seen.discard(self._order.popleft()[1])
            if nonce in self._seen:
                return False
            self._seen.add(nonce)
            self._order.append((now, nonce))
            return True


def _check_time(value: str, fmt: str = "%Y-%m-%dT%H:%M:%SZ") -> ApiError | None:
    try:
        stamp = dt.datetime.strptime(value, fmt).replace(tzinfo=dt.UTC)
    except ValueError:
        return ApiError("InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
    if abs((dt.datetime.now(dt.UTC) - stamp).total_seconds()) > MAX_CLOCK_SKEW:
        return ApiError("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
    return None


def verify_v1(
    method: str, params: Mapping[str, str], keys: Mapping[str, str], nonces: NonceCache
) -> tuple[str, ApiError | None]:
    """Signature Version 1.0 over every query and form parameter. Returns (access key id, error)."""
    for name in ("AccessKeyId", "Signature", "SignatureMethod", "SignatureNonce", "Timestamp"):
        if not params.get(name):
            return "", missing(name)
    key_id = params["AccessKeyId"]
    if params["SignatureMethod"] != "HMAC-SHA1":
        return key_id, ApiError("InvalidSignatureMethod", "Specified signature method is not supported.")
    if params.get("SignatureVersion", "1.0") != "1.0":
        return key_id, ApiError("InvalidSignatureVersion", "Specified signature version is not supported.")
    secret = keys.get(key_id)
    if secret is None:
        return key_id, ApiError("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
    expected = sign(dict(params), secret, method)
    if not hmac.compare_digest(expected.encode(), params["Signature"].encode()):
        server_string = string_to_sign(dict(params), method)
        return key_id, ApiError(
            "SignatureDoesNotMatch",
            f"Specified signature does not match our calculation. server string to sign is:{server_string}",
        )
    error = _check_time(params["Timestamp"])
    if error is None and not nonces.use(params["SignatureNonce"]):
        error = ApiError("SignatureNonceUsed", "Specified signature nonce was used already.")
    return key_id, error


def parse_acs3(authorization: str) -> dict[str, str] | None:
    scheme, _, rest = authorization.partition(" ")
    if scheme != ACS3:
        return None
    parts = dict(item.strip().partition("=")[::2] for item in rest.split(","))
    if not all(parts.get(name) for name in ("Credential", "SignedHeaders", "Signature")):
        return None
    return parts


def acs3_canonical_request(
    method: str, path: str, raw_query: str, headers: Mapping[str, str], signed_headers: str, payload_hash: str
) -> str:
    pairs = sorted(parse_qsl(raw_query, keep_blank_values=True))
    query = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in pairs)
    names = signed_headers.split(";")
    canonical_headers = "".join(f"{name}:{(headers.get(name) or '').strip()}\n" for name in names)
    return "\n".join([method, path or "/", query, canonical_headers, signed_headers, payload_hash])


def acs3_signature(secret: str, canonical_request: str) -> str:
    digest = hashlib.sha256(canonical_request.encode()).hexdigest()
    return hmac.new(secret.encode(), f"{ACS3}\n{digest}".encode(), hashlib.sha256).hexdigest()


def verify_acs3(
    method: str,
    path: str,
    raw_query: str,
    headers: Mapping[str, str],
    body: bytes,
    keys: Mapping[str, str],
    nonces: NonceCache,
) -> tuple[str, ApiError | None]:
    """The V3 scheme the current official SDK uses by default (Authorization header)."""
    parts = parse_acs3(headers.get("authorization") or "")
    if parts is None:
        return "", ApiError("IncompleteSignature", "The request signature does not conform to Aliyun standards.")
    key_id = parts["Credential"]
    secret = keys.get(key_id)
    if secret is None:
        return key_id, ApiError("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
    signed = parts["SignedHeaders"]
    if "x-acs-date" not in signed.split(";") or "x-acs-signature-nonce" not in signed.split(";"):
        return key_id, ApiError("IncompleteSignature", "x-acs-date and x-acs-signature-nonce must be signed.")
    payload_hash = hashlib.sha256(body).hexdigest()
    if (headers.get("x-acs-content-sha256") or payload_hash) != payload_hash:
        return key_id, ApiError("ContentSHA256NotMatched", "The x-acs-content-sha256 header does not match the body.")
    canonical = acs3_canonical_request(method, path, raw_query, headers, signed, payload_hash)
    if not hmac.compare_digest(acs3_signature(secret, canonical).encode(), parts["Signature"].encode()):
        return key_id, ApiError(
            "SignatureDoesNotMatch",
            f"Specified signature does not match our calculation. server canonical request is:{canonical}",
        )
    error = _check_time(headers.get("x-acs-date") or "")
    if error is None and not nonces.use(headers.get("x-acs-signature-nonce") or ""):
        error = ApiError("SignatureNonceUsed", "Specified signature nonce was used already.")
    return key_id, error
