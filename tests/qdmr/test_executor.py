import csv
import re
from collections import Counter

import pytest

from decomp.qdmr.executor import SYMBOLIC_OPERATORS, execute, is_symbolic
from decomp.qdmr.steps import OPERATORS, Step, parse_decomposition


def run(text, previous, operator="arithmetic", **context):
    return execute(Step(text, operator), previous, **context)


# ---- arithmetic and aggregates ----------------------------------------------------------------------------

@pytest.mark.parametrize("text, previous, answer", [
    ("difference of #1 and #2", {1: ["3,000 people"], 2: ["1,200 soldiers"]}, "1800"),
    ("the difference of #1 and #2", {1: ["12.5%"], 2: ["10 percent"]}, "2.5"),
    ("the difference of #1 and #2", {1: ["20"], 2: ["45-yard"]}, "25"),  # a magnitude, as DROP answers
    ("difference of 100 and #1", {1: ["6.8%"]}, "93.2"),
    ("sum of #2 and #4 and #6", {2: ["42-yard"], 4: ["seven"], 6: ["1.5"]}, "50.5"),
    ("sum of #1 , #2 , #3", {1: ["1,000"], 2: ["3,700"], 3: ["1,000"]}, "5700"),
    ("the division of #1 and #2", {1: ["3"], 2: ["8"]}, "0.375"),
    ("multiplication of 100 and #1", {1: ["0.484"]}, "48.4"),
    ("difference of #1 and #2 in millions", {1: ["4.5 million"], 2: ["2 million"]}, "2.5"),
    ("difference in dollars of #1 and #2", {1: ["$73,000"], 2: ["$10,000"]}, "63000"),
])
def test_arithmetic(text, previous, answer):
    assert run(text, previous) == [answer]


@pytest.mark.parametrize("text, values, answer", [
    ("number of #1", ["a 2-yard run", "a 7-yard pass", "a 1-yard run"], ["3"]),
    ("the number of #1", [], ["0"]),
    ("number of #1", ["3,000 soldiers"], ["3000"]),  # one answer that states the count
    ("number of #1", ["seven"], ["7"]),
    ("number of #1", ["25-yard"], ["1"]),  # one yardage is one play, not 25
    ("number of #1", ["Smith's 5-yard run"], ["1"]),
    ("number of #1 in millions", ["4.5 million people"], ["4.5"]),
    ("sum of #1", ["42-yard", "13-yard", "7"], ["62"]),
    ("the average of #1", ["10", "20", "100"], ["43.33"]),
    ("longest of #1", ["25-yard", "42-yard", "13"], ["42"]),
    ("the shortest of #1", ["25-yard", "42-yard", "13"], ["13"]),
    ("second longest of #1", ["25-yard", "42-yard", "13"], ["25"]),
    ("the 2nd highest of #1", ["25-yard", "42-yard", "42", "13"], ["25"]),  # ranks distinct values
    ("the two highest of #1", ["25-yard", "42-yard", "13"], ["42", "25"]),
    ("first of #1", ["25-yard", "42-yard", "13"], ["25"]),  # first in passage order, not the smallest
    ("the last of #1", ["Smith", "Jones"], ["Jones"]),
    ("the earliest of #1", ["May 1990", "17 August 1989"], ["17 August 1989"]),
])
def test_aggregate(text, values, answer):
    assert run(text, {1: values}, "aggregate") == answer


# ---- comparisons name the winner --------------------------------------------------------------------------

FEDERALES = parse_decomposition(
    "return casualties of the  Federales ;return casualties of the  Americans ;"
    "return which  side was more of #1 ,  #2", "['select', 'select', 'comparison']")


def test_comparison_label_from_step_texts():
    assert run(FEDERALES[2].text, {1: ["45"], 2: ["12"]}, "comparison", steps=FEDERALES) == ["Federales"]
    assert run(FEDERALES[2].text, {1: ["4"], 2: ["12"]}, "comparison", steps=FEDERALES) == ["Americans"]


def test_comparison_label_from_question_candidates():
    question = "Which side suffered more casualties, the Federales or the Americans?"
    got = run(FEDERALES[2].text, {1: ["45"], 2: ["12"]}, "comparison", steps=FEDERALES, question=question)
    assert got == ["the Federales"]


def test_comparison_label_through_count_steps():
    steps = parse_decomposition(
        "return officers in the Croatian Armed Forces ;return non-commissioned officers in the Croatian "
        "Armed Forces ;return number of #1 ;return number of #2 ;return which is highest of #3 , #4")
    previous = {1: ["1,000"], 2: ["5,000"], 3: ["1000"], 4: ["5000"]}
    assert run(steps[4].text, previous, "comparison", steps=steps) == ["non-commissioned officers"]
    assert run("which is lowest of #3 , #4", previous, "comparison", steps=steps) == ["officers"]


@pytest.mark.parametrize("word, first_wins", [
    ("first", False), ("earlier", False), ("later", True), ("last", True), ("second", True),
])
def test_comparison_of_dates(word, first_wins):
    steps = [Step("when did Edward die"), Step("when did John die"), Step(f"which is {word} of #1 , #2")]
    got = run(steps[2].text, {1: ["17 August 1990"], 2: ["1985"]}, "comparison", steps=steps)
    assert got == (["Edward"] if first_wins else ["John"])


def test_comparison_of_booleans():
    steps = parse_decomposition("return if the  French fleet did go to Italy first ;return if the  French "
                                "fleet did go to Constantinople first ;return which is true of #1 ,  #2")
    assert run(steps[2].text, {1: ["yes"], 2: ["no"]}, "comparison", steps=steps) == ["Italy"]
    assert run("which is false of #1 , #2", {1: ["yes"], 2: ["no"]}, "comparison", steps=steps) == [
        "Constantinople"]
    assert run(steps[2].text, {1: ["yes"], 2: ["yes"]}, "comparison", steps=steps) is None


@pytest.mark.parametrize("previous, steps", [
    ({1: ["45"], 2: ["12"]}, None),  # no program: no way to name the winner
    ({1: ["12"], 2: ["12"]}, FEDERALES),  # a tie has no winner
    ({1: ["45", "3"], 2: ["12"]}, FEDERALES),  # one side has several values
    ({1: ["many"], 2: ["12"]}, FEDERALES),
    ({1: ["August 1990"], 2: ["17 August 1990"]}, FEDERALES),  # the known parts cannot decide
])
def test_comparison_refuses(previous, steps):
    assert run("which side was more of #1 , #2", previous, "comparison", steps=steps) is None


def test_comparison_refuses_unknown_relation_and_identical_steps():
    steps = [Step("location of Paris"), Step("location of Rome")]
    previous = {1: ["2.35"], 2: ["12.5"]}
    assert run("which is farther west of #1 , #2", previous, "comparison", steps=steps) is None
    same = [Step("size of it"), Step("size of it")]
    assert run("which is larger of #1 , #2", {1: ["1"], 2: ["2"]}, "comparison", steps=same) is None


# ---- booleans -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, previous, answer", [
    ("if #1 is higher than #2", {1: ["25"], 2: ["13-yard"]}, "yes"),
    ("is #1 higher than #2", {1: ["2,500"], 2: ["3,000"]}, "no"),
    ("is #1 less than #2", {1: ["two"], 2: ["3"]}, "yes"),
    ("if #1 is less than 2010", {1: ["1999"]}, "yes"),
    ("is #1 higher than 4 years", {1: ["3 years"]}, "no"),
    ("if #1 is at least 40", {1: ["40-yard"]}, "yes"),
    ("if #1 is the same as #2", {1: ["American"], 2: ["american"]}, "yes"),
    ("is #1 the same as #2", {1: ["actor", "director"], 2: ["Director", "actor"]}, "yes"),
    ("is #1 same as #2", {1: ["English"], 2: ["American"]}, "no"),
    ("is #1 equal to 2", {1: ["2"]}, "yes"),
    ("if #1 was the Buccaneers", {1: ["Buccaneers"]}, "yes"),
    ("if #1 is Mavrovouni and Skouriotissa", {1: ["Mavrovouni", "Skouriotissa"]}, "yes"),
    ("is #1 Aikmen", {1: ["Kosar"]}, "no"),
    ("if both #1 and #2 are true", {1: ["yes"], 2: ["no"]}, "no"),
    ("if both #1 and #2 are true", {1: ["Yes"], 2: ["yes"]}, "yes"),
    ("if either #1 or #2 are true", {1: ["yes"], 2: ["no"]}, "yes"),
])
def test_boolean(text, previous, answer):
    assert run(text, previous, "boolean") == [answer]


def test_boolean_with_dates_and_refusals():
    assert run("if #1 is before #2", {1: ["17 August 1990"], 2: ["1991"]}, "boolean") == ["yes"]
    assert run("if #1 is later than #2", {1: ["17 August 1990"], 2: ["18 May 1990"]}, "boolean") == ["yes"]
    assert run("if #1 is higher than #2", {1: ["many"], 2: ["13"]}, "boolean") is None
    assert run("if both #1 and #2 are true", {1: ["yes"], 2: ["perhaps"]}, "boolean") is None
    assert run("if Edward III ruled first", {}, "boolean") is None  # a question for the reader


# ---- dates ----------------------------------------------------------------------------------------------

def test_date_differences():
    assert run("difference in days of #1 and #2", {1: ["21 December 1705"], 2: ["25 December 1705"]}) == ["4"]
    assert run("difference of #1 and #2 in months", {1: ["May 1919"], 2: ["August 1919"]}) == ["3"]
    assert run("difference of #1 and #2", {1: ["1537"], 2: ["1675"]}) == ["138"]  # years are numbers
    # A full date without a unit takes the question's ("How many years ...").
    previous = {1: ["17 August 1990"], 2: ["May 1985"]}
    assert run("difference of #1 and #2", previous, question="How many years after ...?") == ["5"]
    assert run("difference of #1 and #2", previous) is None
    assert run("difference of #1 and #2 in days", previous) is None  # "May 1985" has no day
    assert run("difference of #1 and #2 in days", {1: ["1990"], 2: ["1992"]}) is None


# ---- filters, superlatives and sorting over aligned sets ------------------------------------------------

PLAYS = {1: ["Folk 48", "Folk 41", "Nedney 23", "Nedney 30"], 2: ["48-yard", "41", "23", "30"]}


@pytest.mark.parametrize("text, answer", [
    ("#1 where #2 is higher than 30", ["Folk 48", "Folk 41"]),
    ("#1 where #2 higher than 30", ["Folk 48", "Folk 41"]),
    ("#1 where #2 is at least 30", ["Folk 48", "Folk 41", "Nedney 30"]),
    ("#1 where #2 at most 30", ["Nedney 23", "Nedney 30"]),
    ("#1 where #2 is lower than 10", []),
    ("#1 where #2 is between 25 and 45", ["Folk 41", "Nedney 30"]),
    ("#1 where #2 is 41", ["Folk 41"]),
    ("#1 where #2 is longer than 40 yards", ["Folk 48", "Folk 41"]),
    ("#1 where #2 is highest", ["Folk 48"]),
    ("#1 where #2 is the lowest", ["Nedney 23"]),
    ("#1 where #2 is the second highest", ["Folk 41"]),
    ("#1 where #2 is lower than #3", ["Nedney 23", "Nedney 30"]),
    ("#1 sorted by #2", ["Nedney 23", "Nedney 30", "Folk 41", "Folk 48"]),
    ("#1 sorted by #2 from high to low", ["Folk 48", "Folk 41", "Nedney 30", "Nedney 23"]),
])
def test_comparative_superlative_sort(text, answer):
    operator = "sort" if "sorted" in text else "comparative"
    assert run(text, {**PLAYS, 3: ["35"]}, operator) == answer


def test_superlative_keeps_ties_and_string_filters():
    previous = {1: ["Bears", "Lions", "Packers"], 2: ["2", "3", "3"]}
    assert run("#1 where #2 is highest", previous, "superlative") == ["Lions", "Packers"]
    assert run("#1 where #2 is Cahul", {1: ["a", "b"], 2: ["Cahul", "Orhei"]}, "comparative") == ["a"]
    assert run("#1 sorted by #2 in alphabetical order", {1: ["x", "y"], 2: ["Orhei", "Cahul"]}, "sort") == [
        "y", "x"]


def test_filters_refuse_unaligned_or_unreadable_sets():
    assert run("#1 where #2 is higher than 30", {1: ["Folk"], 2: ["48", "41"]}, "comparative") is None
    assert run("#1 where #2 is higher than 30", {1: ["a", "b"], 2: ["48", "many"]}, "comparative") is None
    assert run("#1 where #2 is less than 4.5 million", {1: ["a"], 2: ["3.2"]}, "comparative") is None
    assert run("#1 sorted by #2 from oldest to youngest", PLAYS, "sort") is None


# ---- set operations -------------------------------------------------------------------------------------

def test_union_intersection_discard():
    assert run("#1 , #2", {1: ["a"], 2: ["b", "c"]}, "union") == ["a", "b", "c"]
    assert run("#3 , #4", {3: ["2"], 4: ["2"]}, "union") == ["2", "2"]
    sets = {1: ["a", "b", "c"], 3: ["a", "B"], 4: ["b", "c"]}
    assert run("#1 in both #3 and #4", sets, "intersection") == ["b"]
    assert run("#1 in both #1 and #4", {1: ["a"], 4: ["b"]}, "intersection") == []
    assert run("profession in both #1 and #2", {1: ["actor", "singer"], 2: ["Singer"]}, "intersection") == [
        "singer"]
    # Nothing in common between two wordings is not an answer: ask the reader.
    assert run("the country of both #1 and #2", {1: ["USA"], 2: ["United States"]}, "intersection") is None
    assert run("#1 besides #2", {1: ["40-yard", "30", "25"], 2: ["40"]}, "discard") == ["30", "25"]
    assert run("#1 besides Moore", {1: ["Moore", "Smith"]}, "discard") == ["Smith"]
    assert run("#1 besides the individual born on August 21", {1: ["Moore"]}, "discard") is None
    assert run("percent besides #1", {1: ["6.8%"]}, "discard") == ["93.2"]
    assert run("percent in the county from the census of 2000 besides #1", {1: ["10.68"]}, "discard") == [
        "89.32"]
    assert run("men besides #1", {1: ["27"]}, "discard") is None


# ---- what the executor leaves to the reader -------------------------------------------------------------

@pytest.mark.parametrize("step, previous", [
    (Step("number of #1", "select"), {1: ["a"]}),  # not a symbolic operator
    (Step("number of #1", "aggregate"), {}),  # the reference has no answer yet
    (Step("number of #1 Atlanta score", "aggregate"), {1: ["a"]}),
    (Step("sum of #1", "aggregate"), {1: ["2 touchdowns and 3 field goals"]}),
    (Step("difference of #1 and #2", "arithmetic"), {1: ["many"], 2: ["3"]}),
    (Step("difference of #1 and #2", "arithmetic"), {1: ["3", "4"], 2: ["3"]}),
    (Step("division of #1 and #2", "arithmetic"), {1: ["3"], 2: ["0"]}),
    (Step("difference of #1 and #2 in the first half", "arithmetic"), {1: ["3"], 2: ["1"]}),
    (Step("second longest of #1", "aggregate"), {1: ["40"]}),
    (Step("number of #1", "aggregate"), {1: ["1990"]}),  # one year, or a count of 1990?
    (Step("highest of #1", "aggregate"), {1: ["Bears", "Lions"]}),
    (Step("percentage of the world total of #2", "aggregate"), {2: ["3"]}),
    (Step("days between #1 and #2", "arithmetic"), {1: ["May 5"], 2: ["June 3"]}),
])
def test_unparseable_or_unreadable_gives_none(step, previous):
    assert execute(step, previous) is None


def test_is_symbolic():
    assert SYMBOLIC_OPERATORS <= set(OPERATORS)
    assert all(is_symbolic(Step("x", op)) for op in SYMBOLIC_OPERATORS)
    assert not any(is_symbolic(Step("x", op)) for op in ("select", "project", "filter", "group", "none"))


# Share of the real symbolic steps (BREAK dev, high-level and low-level together) the executor answers for
# at least one of the stand-in inputs below; measured at 0.99, 1.00, 0.83, 0.96, 0.90, 0.77, 0.98, 0.83, 1.00
# and 0.90. A handler that stops matching its steps drops its operator below the floor.
COVERAGE_FLOOR = {"aggregate": 0.95, "arithmetic": 0.95, "boolean": 0.75, "comparative": 0.9, "comparison": 0.85,
                  "discard": 0.7, "intersection": 0.95, "sort": 0.75, "superlative": 0.95, "union": 0.85}
# Step texts whose answer the stand-in inputs fix exactly: (pattern, stand-in, expected answer).
TEMPLATES = [
    (r"(?:the )?number of #\d+", "pair", ["2"]),
    (r"(?:the )?sum of #\d+ and #\d+", "13", ["26"]),
    (r"(?:the )?difference of #\d+ and #\d+", "13", ["0"]),
    (r"#\d+ , #\d+", "13", ["13", "13"]),
]


@pytest.mark.slow  # every symbolic step of both BREAK dev files, five stand-in inputs each (~6 s)
def test_real_symbolic_steps_execute_at_the_measured_rate_and_never_raise(data_dir):
    """Each real step is given stand-in answers for its references: the same one for every step, or
    distinct numbers (so that comparisons have a winner). Whatever it returns is a list of strings; the
    steps of the fixed templates get their exact answer; each operator is answered at its measured rate."""
    seen, answered, templated = Counter(), Counter(), Counter()
    for name in ("QDMR-high-level/dev.csv", "QDMR/dev.csv"):
        with open(data_dir / "raw" / "break" / name, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                try:
                    steps = parse_decomposition(row["decomposition"], row["operators"])
                except ValueError:
                    continue
                for i, step in enumerate(steps, start=1):
                    if not is_symbolic(step):
                        continue
                    stand_ins = {"13": dict.fromkeys(range(1, i), ["13"]),
                                 "yes": dict.fromkeys(range(1, i), ["yes"]),
                                 "pair": dict.fromkeys(range(1, i), ["17 August 1990", "3,000"]),
                                 "empty": dict.fromkeys(range(1, i), []),
                                 "distinct": {j: [str(10 * j)] for j in range(1, i)}}
                    got = {key: execute(step, previous, steps=steps, question=row["question_text"])
                           for key, previous in stand_ins.items()}
                    assert all(g is None or all(isinstance(a, str) for a in g) for g in got.values()), step
                    seen[step.operator] += 1
                    answered[step.operator] += any(g is not None for g in got.values())
                    for pattern, key, expected in TEMPLATES:
                        if re.fullmatch(pattern, step.text):
                            assert got[key] == expected, (step.text, got[key])
                            templated[pattern] += 1
    assert set(seen) == SYMBOLIC_OPERATORS
    rates = {op: answered[op] / seen[op] for op in seen}
    assert {op: rate for op, rate in rates.items() if rate < COVERAGE_FLOOR[op]} == {}, rates
    assert all(templated[pattern] >= 50 for pattern, _, _ in TEMPLATES), templated
