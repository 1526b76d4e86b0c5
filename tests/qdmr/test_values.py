import pytest

from decomp.qdmr.values import (
    PartialDate,
    compare_dates,
    compare_values,
    date_difference,
    format_number,
    parse_date,
    parse_number,
    parse_numbers,
    parse_yes_no,
    rank_values,
    same_value,
)


@pytest.mark.parametrize("text, value", [
    ("3,000 people", 3000), ("1,200 soldiers", 1200), ("42-yard", 42), ("a 33-yard pass", 33),
    ("12.5%", 12.5), ("seven", 7), ("Seven", 7), ("twenty-one", 21), ("$20,000", 20000),
    ("4.5 million", 4.5e6), ("3 thousand", 3000), ("-5", -5), ("0.25", 0.25),
])
def test_parse_number(text, value):
    assert parse_number(text).value == value


@pytest.mark.parametrize("text", [
    "", "many", "49ers", "the 1990s", "2nd quarter", "two 40-yard field goals", "17 August 1990", "20-30",
    "someone",
])
def test_parse_number_refuses_none_or_several(text):
    assert parse_number(text) is None


def test_number_keeps_written_decimals_and_scale():
    assert parse_number("2.50").decimals == 2
    assert parse_number("4.5 million").scaled and not parse_number("450").scaled


def test_numbers_with_and_without_scale_words_do_not_mix():
    assert parse_numbers(["4.5 million", "3.2"]) is None
    assert [n.value for n in parse_numbers(["4.5 million", "3,200,000"])] == [4.5e6, 3.2e6]


@pytest.mark.parametrize("text, date", [
    ("17 August 1990", PartialDate(1990, 8, 17)), ("August 17, 1990", PartialDate(1990, 8, 17)),
    ("on 21 December 1705", PartialDate(1705, 12, 21)), ("August 1990", PartialDate(1990, 8, None)),
    ("1990", PartialDate(1990, None, None)), ("May 5", PartialDate(None, 5, 5)),
    ("5 May", PartialDate(None, 5, 5)),
    ("12 Sept. 1683", PartialDate(1683, 9, 12)), ("in June", PartialDate(None, 6, None)),
    ("500 BC", PartialDate(-500, None, None)),
])
def test_parse_date(text, date):
    assert parse_date(text) == date


@pytest.mark.parametrize("text", ["may", "between 1380 and 1388", "1990-1992", "the 1990s", "late"])
def test_parse_date_refuses_none_or_several(text):
    assert parse_date(text) is None


def test_compare_dates_only_when_known_parts_decide():
    assert compare_dates(PartialDate(1989), PartialDate(1990, 8)) == -1
    assert compare_dates(PartialDate(1990, 8, 17), PartialDate(1990, 8, 3)) == 1
    assert compare_dates(PartialDate(1990, 8), PartialDate(1990, 8, 17)) is None
    assert compare_dates(PartialDate(None, 5, 5), PartialDate(1990, 6, 1)) is None


def test_date_difference_units():
    a, b = PartialDate(1705, 12, 21), PartialDate(1705, 12, 25)
    assert date_difference(a, b, "days") == 4
    assert date_difference(PartialDate(1990, 5, 5), PartialDate(1992, 8), "months") == 27
    assert date_difference(PartialDate(1537), PartialDate(1675, 3, 1), "years") == 138
    assert date_difference(PartialDate(2000, 1, 1), PartialDate(2000, 1, 15), "weeks") == 2
    assert date_difference(PartialDate(1990, 8), PartialDate(1990, 9, 2), "days") is None
    # Without years, only day counts that no 29 February can change.
    assert date_difference(PartialDate(None, 5, 5), PartialDate(None, 6, 3), "days") == 29
    assert date_difference(PartialDate(None, 2, 20), PartialDate(None, 3, 3), "days") is None


@pytest.mark.parametrize("value, decimals, text", [
    (5.0, 2, "5"), (2.5, 2, "2.5"), (2.2000000000000006, 1, "2.2"), (130 / 3, 2, "43.33"), (-0.0, 2, "0"),
    (674637.0, 0, "674637"), (10.375, 3, "10.375"),
])
def test_format_number(value, decimals, text):
    assert format_number(value, decimals) == text


def test_same_value_and_yes_no():
    assert same_value("40", "40-yard") and same_value("The Bears", "bears")
    assert not same_value("2 touchdowns", "2 field goals")
    assert parse_yes_no("Yes") is True and parse_yes_no("false") is False and parse_yes_no("maybe") is None


def test_rank_values_groups_ties_and_refuses_mixed():
    assert rank_values(["30", "12", "30", "45-yard"]) == [[1], [0, 2], [3]]
    assert rank_values(["17 August 1990", "1985", "May 1990"]) == [[1], [2], [0]]
    assert rank_values(["12", "many"]) is None
    assert compare_values("August 1990", "17 August 1990") is None
