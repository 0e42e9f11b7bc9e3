"""Check digits per GB 11643-1999 (resident ID) and GB 32100-2015 (USCC), with published examples."""
import pytest

from marketplace.core.ids import (
    is_valid_resident_id,
    is_valid_uscc,
    mask,
    resident_id_check_char,
    uscc_check_char,
)

# The two examples printed in GB 11643-1999 itself, plus the X check character case.
VALID_IDS = ["11010519491231002X", "440524188001010014"]
INVALID_IDS = [
    "110105194912310021",  # wrong check digit
    "11010519491231002",   # 17 characters
    "1101051949123100XX",  # X in the body
    "110105194913310028",  # month 13
    "000000194912310021",  # region 00
    "11010530001231002X",  # born in the future
    "",
]
# The example USCC printed in GB 32100-2015, and a well-known published one.
VALID_USCC = ["91350100M000100Y43", "91110000600037341L"]
INVALID_USCC = [
    "91350100M000100Y44",  # wrong check character
    "91350100M000100Y4",   # 17 characters
    "91350100M00010OY43",  # O is not in the alphabet
    "9135010OM000100Y43",
    "",
]


@pytest.mark.parametrize("number", VALID_IDS)
def test_valid_resident_ids(number):
    assert is_valid_resident_id(number)
    assert is_valid_resident_id(number.lower())


@pytest.mark.parametrize("number", INVALID_IDS)
def test_invalid_resident_ids(number):
    assert not is_valid_resident_id(number)


def test_resident_id_check_char_computation():
    assert resident_id_check_char("11010519491231002") == "X"
    assert resident_id_check_char("44052418800101001") == "4"


@pytest.mark.parametrize("code", VALID_USCC)
def test_valid_uscc(code):
    assert is_valid_uscc(code)


@pytest.mark.parametrize("code", INVALID_USCC)
def test_invalid_uscc(code):
    assert not is_valid_uscc(code)


def test_uscc_check_char_computation():
    assert uscc_check_char("91350100M000100Y4") == "3"


def test_mask_hides_the_middle():
    assert mask("11010519491231002X") == "110***********002X"
    assert "19491231" not in mask("11010519491231002X")
