"""Alibaba Cloud Voice Service: knows HTTP and signatures, nothing about campaigns.

- `api`: constants, request and result types (plain Python);
- `signing`: the one `sign()` (plain Python; the simulator checks signatures with it);
- `client`: `VoiceClient` (IvrCall, QueryCallDetailByCallId), how answers are classified,
  (the process's client from settings is `campaigns.accounts.voice_client()`).
"""

from campaigns.dialling.aliyun.api import (
    API_VERSION,
    CALLER_CONCURRENCY_CODE,
    IVR_PROD_ID,
    MAX_OUT_ID_BYTES,
    REGION_ID,
    CallDetail,
    CallResult,
    IvrCallRequest,
    MenuKey,
    Outcome,
    SignedIvrCall,
    VoiceApiError,
)
from campaigns.dialling.aliyun.client import (
    VoiceClient,
    classify_response,
    classify_transport_error,
    outcome_for_code,
)
from campaigns.dialling.aliyun.signing import canonical_query, percent_encode, sign, string_to_sign, utc_timestamp

__all__ = [
    "API_VERSION",
    "CALLER_CONCURRENCY_CODE",
    "IVR_PROD_ID",
    "MAX_OUT_ID_BYTES",
    "REGION_ID",
    "CallDetail",
    "CallResult",
    "IvrCallRequest",
    "MenuKey",
    "Outcome",
    "SignedIvrCall",
    "VoiceApiError",
    "VoiceClient",
    "canonical_query",
    "classify_response",
    "classify_transport_error",
    "outcome_for_code",
    "percent_encode",
    "sign",
    "string_to_sign",
    "utc_timestamp",
]
