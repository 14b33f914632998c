"""Real-world number shapes from customer spreadsheets, normalised or rejected with a reason."""

import pytest

from campaigns.contacts.phones import InvalidNumber, is_plain_mobile, normalize

ACCEPTED = [
    ("13800138000", "13800138000"),
    ("+8613800138000", "13800138000"),
    ("+86 138 0013 8000", "13800138000"),
    ("+86-138-0013-8000", "13800138000"),
    ("0086 138 0013 8000", "13800138000"),
    ("0086-13800138000", "13800138000"),
    ("8613800138000", "13800138000"),
    ("86-138-0013-8000", "13800138000"),
    ("(+86)13800138000", "13800138000"),
    ("138 0013 8000", "13800138000"),
    ("138-0013-8000", "13800138000"),
    ("138.0013.8000", "13800138000"),
    ("(138)00138000", "13800138000"),
    (" 13800138000 ", "13800138000"),
    ("１３８００１３８０００", "13800138000"),
    ("＋８６　１３８－００１３－８０００", "13800138000"),
    ("'13800138000", "13800138000"),
    ('="13800138000"', "13800138000"),
    ("13800138000.0", "13800138000"),
    ("19912345678", "19912345678"),
    ("16612345678", "16612345678"),
    ("14712345678", "14712345678"),
    ("010-12345678", "01012345678"),
    ("01012345678", "01012345678"),
    ("(010)12345678", "01012345678"),
    ("(010) 1234-5678", "01012345678"),
    ("010 1234 5678", "01012345678"),
    ("021-87654321", "02187654321"),
    ("+86 21 8765 4321", "02187654321"),
    ("+86 (0)21 8765 4321", "02187654321"),
    ("0086 10 12345678", "01012345678"),
    ("0755-88888888", "075588888888"),
    ("0755 8888 8888", "075588888888"),
    ("075588888888", "075588888888"),
    ("0571-8888-8888", "057188888888"),
]

REJECTED = [
    ("", "empty"),
    ("   ", "empty"),
    ("1.38E+10", "spreadsheet"),
    ("1.38001E+10", "spreadsheet"),
    ("1.3800138E10", "spreadsheet"),
    ("12345678", "area code"),
    ("87654321", "area code"),
    ("1380013800", "11 digits"),
    ("138001380001", "11 digits"),
    ("1012345678", "11 digits"),
    ("12345678901", "not a valid mobile"),
    ("10086", "short"),
    ("95588", "short"),
    ("110", "short"),
    ("400-800-1234", "400/800"),
    ("4008001234", "400/800"),
    ("800-810-1234", "400/800"),
    ("+1 650 253 0000", "mainland China"),
    ("+852 2123 4567", "mainland China"),
    ("001 650 253 0000", "mainland China"),
    ("010-12345678-123", "extension"),
    ("010-12345678 ext. 123", "extension"),
    ("010-12345678转8001", "extension"),
    ("abc", "not a phone number"),
    ("138-0013-800O", "not a phone number"),
    ("N/A", "not a phone number"),
]


@pytest.mark.parametrize(("raw", "expected"), ACCEPTED)
def test_accepted_shapes(raw, expected):
    assert normalize(raw) == expected


@pytest.mark.parametrize(("raw", "reason"), REJECTED)
def test_rejected_shapes_say_why(raw, reason):
    with pytest.raises(InvalidNumber) as exc:
        normalize(raw)
    assert reason in str(exc.value)


def test_fast_path_agrees_with_phonenumbers():
    import phonenumbers

    for prefix in range(130, 200):
        number = f"{prefix}12345678"
        parsed = phonenumbers.parse(number, "CN")
        slow = phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) in (
            phonenumbers.PhoneNumberType.MOBILE,
            phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        )
        assert is_plain_mobile(number) == slow, number


def test_damaged_number_reason_quotes_the_cell():
    with pytest.raises(InvalidNumber, match=r"1\.38E\+10"):
        normalize("1.38E+10")
