import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from accounts.validators import normalise_uscc, validate_uscc


@pytest.mark.parametrize(
    "code",
    [
        "91510114MA6RX1QQ3J",  # a supplier from the dev bundle
        "12510100801173374P",  # an institution (事业单位)
        "91110000600037341L",
        " 91510114ma6rx1qq3j ",  # spaces and lower case are normalised
        "９１５１０１１４ＭＡ６ＲＸ１ＱＱ３Ｊ",  # full-width, as pasted from some forms
    ],
)
def test_it_accepts_valid_codes(code):
    validate_uscc(code)


def test_it_normalises_to_upper_case_without_spaces():
    assert normalise_uscc(" 91510114ma6rx1qq3j ") == "91510114MA6RX1QQ3J"


@pytest.mark.parametrize(
    ("code", "error_code", "chinese"),
    [
        ("91510114MA6RX1QQ3K", "uscc_checksum", "校验位"),
        ("9151011", "uscc_length", "18"),
        ("91510114MA6RX1QQ3I", "uscc_format", "不是有效的统一社会信用代码"),
    ],
)
def test_it_rejects_invalid_codes_with_a_chinese_message(code, error_code, chinese):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as info:
        validate_uscc(code)
    assert info.value.code == error_code
    message = info.value.messages[0]
    assert chinese in message
    assert code.strip() in message


def test_it_speaks_english_when_asked():
    with translation.override("en"):
        with pytest.raises(ValidationError) as info:
            validate_uscc("91510114MA6RX1QQ3K")
        assert "check digit" in info.value.messages[0]
