"""Our V1.0 signer agrees byte for byte with the official SDK's (aliyun-python-sdk-core)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import parse_qsl

from aliyunsdkcore.auth.algorithm import sha_hmac1
from aliyunsdkcore.auth.composer import rpc_signature_composer
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.dialling.aliyun import IvrCallRequest, MenuKey, VoiceClient, percent_encode, sign, string_to_sign

# Module-level functions with a double underscore are not name-mangled: reach them by name.
sdk_string_to_sign = getattr(rpc_signature_composer, "__compose_string_to_sign")


def sdk_sign(params: dict[str, str], secret: str, method: str) -> tuple[str, str]:
    text = sdk_string_to_sign(method, dict(params))
    return text, sha_hmac1.get_sign_string(text, secret + "&")


KNOWN_VECTOR = {
    "AccessKeyId": "testid",
    "Action": "DescribeRegions",
    "Format": "XML",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    "SignatureVersion": "1.0",
    "TimeStamp": "2016-02-23T12:46:24Z",
    "Version": "2014-05-26",
}


def test_known_vector_from_aliyun_documentation():
    assert sign(KNOWN_VECTOR, "testsecret", "GET") == "CT9X0VtwR86fNWSnsc6v8YGOjuE="
    assert sdk_sign(KNOWN_VECTOR, "testsecret", "GET")[1] == "CT9X0VtwR86fNWSnsc6v8YGOjuE="


def test_signature_parameter_is_not_signed():
    assert sign({**KNOWN_VECTOR, "Signature": "anything"}, "testsecret", "GET") == "CT9X0VtwR86fNWSnsc6v8YGOjuE="


def test_percent_encoding_keeps_only_unreserved_characters():
    assert percent_encode("a-_.~ *+/=&") == "a-_.~%20%2A%2B%2F%3D%26"
    assert percent_encode("张") == "%E5%BC%A0"
    assert percent_encode("😀") == "%F0%9F%98%80"


# Parameter values as they occur: Chinese, spaces, reserved characters, emoji, JSON.
tricky_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("~*+/=&%? \t#!'()[]{}:\",;@$^|\\<>`")),
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
        st.sampled_from(list("张三满意度😀é\u3000")),
    ),
    max_size=40,
)
json_text = st.dictionaries(st.text(max_size=8), st.one_of(tricky_text, st.integers()), max_size=4).map(
    lambda d: json.dumps(d, ensure_ascii=False)
)
param_names = st.one_of(
    st.sampled_from(["CalledNumber", "StartTtsParams", "MenuKeyMap.1.Key", "MenuKeyMap.10.Code", "OutId", "Timeout"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12),
)
param_sets = st.dictionaries(param_names, st.one_of(tricky_text, json_text), min_size=1, max_size=12)


@settings(max_examples=400, deadline=None)
@given(params=param_sets, secret=tricky_text, method=st.sampled_from(["GET", "POST"]))
def test_signer_matches_official_sdk_byte_for_byte(params, secret, method):
    params.pop("Signature", None)
    sdk_text, sdk_signature = sdk_sign(params, secret, method)
    assert string_to_sign(params, method) == sdk_text
    assert sign(params, secret, method) == sdk_signature


@settings(max_examples=100, deadline=None)
@given(tts=json_text, out_id=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=15))
def test_client_request_body_carries_a_signature_the_sdk_agrees_with(tts, out_id):
    client = VoiceClient("my-key-id", "my secret ~*", "http://127.0.0.1:9/")
    request = IvrCallRequest(
        "057112345678",
        "13800138000",
        "TTS_1",
        out_id,
        start_tts_params=tts,
        play_times=2,
        menu_keys=(MenuKey("1", "TTS_2", tts), MenuKey("#", "TTS_3")),
    )
    params = dict(parse_qsl(client.signed_body("IvrCall", request.to_params()), keep_blank_values=True))
    signature = params.pop("Signature")
    assert params["StartTtsParams"] == tts
    assert params["MenuKeyMap.1.TtsParams"] == tts and params["MenuKeyMap.2.Key"] == "#"
    assert sdk_sign(params, "my secret ~*", "POST")[1] == signature


def test_sign_is_plain_hmac_sha1_of_string_to_sign():
    params = {"Action": "IvrCall", "StartTtsParams": '{"name":"张三"}'}
    expected = base64.b64encode(
        hmac.new(b"s&", string_to_sign(params, "POST").encode(), hashlib.sha1).digest()
    ).decode()
    assert sign(params, "s") == expected
