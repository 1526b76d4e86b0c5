"""DROP EM/F1 against the reference vectors and cases verified with the official script."""

from __future__ import annotations

import pytest

from decomp.data.schema import Answer, Example, Paragraph
from decomp.errors import DataError
from decomp.metrics import drop_answer_strings, drop_em_f1, drop_em_f1_example, drop_em_f1_max

# /work/shared/docs/metric-vectors.md, D1..D7b: (prediction, gold, EM, F1)
REFERENCE = [
    (["78"], ["78.0"], 1.0, 1.0),
    ("td", ["td", "td"], 0.0, 0.5),
    (["78-yard", "56", "28", "40", "44", "touchdown"], ["78-yard", "56 yard", "1 yard touchdown"], 0.0, 0.28),
    (["23", "23 yard"], ["23-yard", "56 yards"], 0.0, 0.5),
    (["John Karman", "Joe Hardy"], ["Joe Karman", "John Hardy"], 0.0, 0.5),
    (["yard"], ["36 yard td"], 0.0, 0.0),
    (["56 yards"], ["56 yd"], 0.0, 0.5),
    (["Per.i.o.d...."], [".P....e.r,,i;;;o...d,,"], 1.0, 1.0),
    (["78-yard"], ["78 yard"], 1.0, 1.0),
]

# Checked against the official allennlp-models `rc/tools/drop.py` `get_metrics` to the last decimal.
VERIFIED = [
    ("78", "78.0", 1.0, 1.0),  # int vs float
    ("1,000", "1000", 1.0, 1.0),  # comma in a number is punctuation
    ("3.50", "3.5", 1.0, 1.0),  # float forms
    (".5", "0.5", 1.0, 1.0),  # leading dot
    ("5.", "5", 1.0, 1.0),  # trailing dot
    ("1e3", "1000", 1.0, 1.0),  # exponent
    ("1_000", "1000", 1.0, 1.0),  # underscore digits (Python float)
    ("٣", "3", 1.0, 1.0),  # Arabic-Indic digit
    ("-5", "5", 1.0, 1.0),  # hyphen splits the minus sign
    ("12th", "12", 0.0, 0.0),  # ordinal is not a number
    ("$5", "5", 1.0, 1.0),  # currency sign removed
    ("5%", "5", 1.0, 1.0),  # percent sign removed
    ("NaN", "nan", 1.0, 1.0),  # nan parses as a number
    ("Infinity", "inf", 1.0, 1.0),  # infinity parses as a number
    ("2 3", "3 2", 0.0, 1.0),  # order inside a span ignored by F1, not by EM
    ("4 touchdowns", "4", 0.0, 0.67),  # extra tokens with the gold number
    ("3", "4 touchdowns", 0.0, 0.0),  # number gate fails
    ("13 yards", "13-yard", 0.0, 0.5),  # hyphenated number
    ("17 August 1990", "August 17, 1990", 0.0, 1.0),  # date word order
    ("August 1990", "17 August 1990", 0.0, 0.8),  # partial date
    ("1990", "17 August 1990", 0.0, 0.5),  # year only
    (["a", "b"], ["b", "a"], 1.0, 1.0),  # span order ignored
    (["Joe", "John"], ["John"], 0.0, 0.5),  # extra predicted span
    (["Joe"], ["Joe", "John"], 0.0, 0.5),  # missing gold span
    (["x", "x"], ["x"], 0.0, 0.5),  # duplicate predicted span
    ("Joe and John", ["Joe", "John"], 0.0, 0.25),  # one string against two spans
    (["Tom Brady", "Brady"], ["Brady", "Tom Brady"], 1.0, 1.0),  # overlapping spans aligned
    (["2", "3", "4"], ["3", "4", "5"], 0.0, 0.67),  # numeric spans
    ([], ["x"], 0.0, 0.0),  # empty prediction list
    ([""], ["x"], 0.0, 0.0),  # empty span
    ("", "", 1.0, 1.0),  # empty against empty string
    ("The Eagles", "eagles", 1.0, 1.0),  # article and case
    ("an apple a day", "apple day", 1.0, 1.0),  # all articles
    ("theater", "the theater", 1.0, 1.0),  # article only as a whole word
    ("A-team", "team", 1.0, 1.0),  # hyphen then article
    ("U.S.", "US", 1.0, 1.0),  # dots removed
    ("it's", "its", 1.0, 1.0),  # apostrophe removed
    ("Joe\u2019s", "Joes", 0.0, 0.0),  # curly apostrophe is not ASCII punctuation
    ("1990\u20132000", "1990 2000", 0.0, 0.0),  # en dash does not split
    ("New\tYork", "New York", 1.0, 1.0),  # tab inside span
    ("New\xa0York", "New York", 1.0, 1.0),  # no-break space
    ("  x  ", "x", 1.0, 1.0),  # outer spaces
    ("Café", "café", 1.0, 1.0),  # non-ASCII lower-casing
    ("İstanbul", "istanbul", 0.0, 0.0),  # dotted capital I lower-cases to two characters
    ("Straße", "strasse", 0.0, 0.0),  # no case folding
    ("日本", "日本", 1.0, 1.0),  # CJK
    # numpy rounds the mean 0.825 down (Python's round() would give 0.83)
    (["b c d", "e f g h i", "l m n o p", "s t u v w"],
     ["b c", "e f g h i j k", "l m n o p q r", "s t u v w x y"], 0.0, 0.82),
]


@pytest.mark.parametrize(("prediction", "gold", "em", "f1"), REFERENCE + VERIFIED)
def test_drop_em_f1_matches_official(prediction, gold, em, f1):
    assert drop_em_f1(prediction, gold) == (em, f1)


def test_string_and_tuple_answers_score_like_lists():
    assert drop_em_f1("56 yards", ("56 yd",)) == drop_em_f1(["56 yards"], ["56 yd"]) == (0.0, 0.5)


def test_empty_lists_score_one_instead_of_nan():
    assert drop_em_f1([], []) == (1.0, 1.0)


def _answer(number="", spans=(), day="", month="", year=""):
    return {"number": number, "spans": list(spans), "date": {"day": day, "month": month, "year": year}}


def test_answer_strings_follow_answer_json_to_strings():
    assert drop_answer_strings(_answer(number="17", spans=["x"])) == ("17",)
    assert drop_answer_strings(_answer(spans=["a", "b"], day="1")) == ("a", "b")
    assert drop_answer_strings(_answer(day="17", month="August")) == ("17 August",)
    assert drop_answer_strings(_answer(month="May", year="1990")) == ("May 1990",)
    assert drop_answer_strings(_answer()) == ("",)
    with pytest.raises(DataError, match="number, spans, date"):
        drop_answer_strings({"spans": []})


def test_max_over_validated_answers_d8():
    golds = [drop_answer_strings(a) for a in (_answer(spans=["span1", "span2"]), _answer(spans=["span2"]))]
    assert drop_em_f1_max("span1", golds) == (0.0, 0.5)


def test_date_with_empty_year_d9():
    golds = [drop_answer_strings(a) for a in (_answer(day="17", month="August"), _answer(spans=["August"]),
                                              _answer(number="17"))]
    assert drop_em_f1_max("17 August", golds) == (1.0, 1.0)


def test_max_over_alternatives_skips_blank_ones():
    assert drop_em_f1_max("4 touchdowns", ["4", "4 touchdowns"]) == (1.0, 1.0)
    assert drop_em_f1_max(["a", "b"], [["a", "b", "c"], ["a", "b", "c", "d"]]) == (0.0, 0.67)
    assert drop_em_f1_max("", ["", " "]) == (0.0, 0.0)
    assert drop_em_f1_max("x", "x") == (1.0, 1.0)


def test_example_scores_against_every_gold_answer():
    example = Example(id="q1", source="drop", question="Which?", context=(Paragraph("", "p"),),
                      answers=(Answer.from_dict(_answer(day="17", month="August")),
                               Answer.from_dict(_answer(spans=["August"])), Answer()))
    assert drop_em_f1_example("August", example) == (1.0, 1.0)
    assert drop_em_f1_example("17 August", example) == (1.0, 1.0)
    # the date alternative fails the number gate; "August" still gives partial credit
    assert drop_em_f1_example("18 August", example) == (0.0, 0.67)
