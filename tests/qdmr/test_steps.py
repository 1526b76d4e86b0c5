import pytest

from decomp.errors import DataError
from decomp.qdmr.steps import (
    parse_decomposition,
    parse_operators,
    references_of,
    split_steps,
    to_break_string,
)

REAL = ("return casualties of the  Federales ;return casualties of the  Americans ;"
        "return which  side was more of #1 ,  #2")


def test_parse_real_break_decomposition():
    steps = parse_decomposition(REAL, "['select', 'select', 'comparison']")
    assert [s.text for s in steps] == ["casualties of the Federales", "casualties of the Americans",
                                       "which side was more of #1 , #2"]
    assert [s.operator for s in steps] == ["select", "select", "comparison"]
    assert steps[2].references == (1, 2)
    assert to_break_string(steps).startswith("return casualties of the Federales ;return")


def test_references_multi_digit_and_order():
    assert references_of("sum of #12 and #2 and #12") == (12, 2)


@pytest.mark.parametrize("decomposition, message", [
    ("return a ;return b of #2", "refers to itself"),
    ("return a of #2 ;return b", "refers forward"),
    ("return a ;return b of #0", "out of range"),
    ("return a ;return b of #3", "out of range"),
    ("return a ; ;return b", "empty step"),
])
def test_invalid_references_name_row_and_field(decomposition, message):
    with pytest.raises(DataError, match=message) as info:
        parse_decomposition(decomposition, None, file="dev.csv", row=7)
    assert info.value.file == "dev.csv" and info.value.row == 7 and info.value.field == "decomposition"
    assert "dev.csv, row 7, field 'decomposition'" in str(info.value)


def test_operator_list_checks():
    assert parse_operators("['select', 'None']") == ["select", "none"]
    with pytest.raises(ValueError, match="unparseable"):
        parse_operators("['select'")
    with pytest.raises(ValueError, match="unknown operator"):
        parse_operators("['selekt']")
    with pytest.raises(DataError, match="2 operators for 3 steps") as info:
        parse_decomposition(REAL, "['select', 'select']", file="f.csv", row=2)
    assert info.value.field == "operators"


def test_split_steps_cleans_whitespace():
    assert split_steps("return  the   Jaguars ;return #1 ") == ["the Jaguars", "#1"]
