"""Aliyun RPC request signing (Signature Version 1.0, HMAC-SHA1): the one `sign()` that both
the client and the bundled simulator use. Plain Python."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from urllib.parse import quote


def percent_encode(value: str) -> str:
    """RFC 3986 as Aliyun wants it: UTF-8, only A-Z a-z 0-9 - _ . ~ left as is (space is %20)."""
    return quote(value, safe="~")


def canonical_query(params: dict[str, str]) -> str:
    """Parameters sorted by name, percent-encoded, joined `k=v&k=v` (Signature excluded)."""
    return "&".join(
        f"{percent_encode(name)}={percent_encode(params[name])}" for name in sorted(params) if name != "Signature"
    )


_QUERY_ESCAPES = str.maketrans({"%": "%25", "&": "%26", "=": "%3D"})


def encode_query(query: str) -> str:
    """`percent_encode` of a canonical query, which holds nothing but unreserved characters,
    `%`, `&` and `=`: those three are all that changes (a table lookup instead of quoting
    every byte again)."""
    return query.translate(_QUERY_ESCAPES)


def string_to_sign(params: dict[str, str], method: str = "POST") -> str:
    return f"{method.upper()}&%2F&{encode_query(canonical_query(params))}"


def sign_query(query: str, secret: str, method: str = "POST") -> str:
    """`sign` for parameters already in canonical form (the body reuses it: one encoding)."""
    string = f"{method.upper()}&%2F&{encode_query(query)}"
    digest = hmac.new(f"{secret}&".encode(), string.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def sign(params: dict[str, str], secret: str, method: str = "POST") -> str:
    """Base64 HMAC-SHA1 of the V1.0 string to sign, keyed with `secret + "&"`."""
    return sign_query(canonical_query(params), secret, method)


def utc_timestamp(now: dt.datetime | None = None) -> str:
    return (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
