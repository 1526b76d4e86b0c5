"""The `prior` baseline: back-off from (final operator, opening) to operator to overall, never peeking at gold."""

from __future__ import annotations

from dataclasses import replace

import pytest

from decomp.data.schema import Answer, Example, Paragraph
from decomp.errors import ConfigError
from decomp.qdmr.steps import Step
from decomp.strategies import REGISTRY, get_strategy
from decomp.strategies.prior import opening


def ex(i: str, question: str, final_op: str | None, answer: str = "", *spans: str) -> Example:
    steps = (Step("return things", "select"), Step("number of #1", final_op)) if final_op else ()
    answers = (Answer(spans=spans),) if spans else (Answer(number=answer),) if answer else ()
    return Example(id=i, source="drop", question=question, context=(Paragraph("", "text"),), answers=answers,
                   decomposition=steps, group=f"p{i}")


TRAIN = [
    ex("t1", "How many field goals were kicked?", "aggregate", "2"),
    ex("t2", "How many touchdowns did he score?", "aggregate", "2"),
    ex("t3", "How many yards was the longest run?", "aggregate", "3"),
    ex("t4", "Which team won?", "aggregate", "", "Bears"),  # same final operator, another opening
    ex("t5", "Who threw the pass?", "project", "", "Brady"),
    ex("t6", "Who scored first?", "project", "", "Brady"),
    ex("t7", "Was it cold?", "boolean", "", "no"),
]


@pytest.mark.parametrize(("question", "form"), [
    ("How many yards?", "how many"), ("how much money", "how much"), ("Which team", "which"), ("Who won", "who"),
    ("Is it", "is/was/did"), ("Did they", "is/was/did"), ("Were there", "is/was/did"), ("What year", "what"),
    ("When did", "when"), ("Where is", "where"), ("How did", "how"), ("In 2001, who", "other"),
])
def test_openings(question, form):
    assert opening(question) == form


def test_backs_off_from_operator_and_opening_to_operator_to_overall():
    prior = get_strategy("prior").fit(TRAIN)
    test = [ex("e1", "How many points?", "aggregate"),  # seen (aggregate, how many): "2" (2 of 3)
            ex("e2", "What was the score?", "aggregate"),  # unseen opening: aggregate alone -> "2" (2 of 4)
            ex("e3", "Who scored?", "project"),  # (project, who) -> Brady
            ex("e4", "Which is larger?", "comparison"),  # unseen operator: overall (2 x "2", 2 x Brady: tie)
            ex("e5", "How many?", None)]  # no decomposition: operator "none", unseen: overall
    got = {p.example_id: (p.answer, p.trace[0]["level"]) for p in prior.predict(test)}
    assert got == {"e1": ("2", "operator+opening"), "e2": ("2", "operator"), "e3": ("Brady", "operator+opening"),
                   "e4": ("2", "overall"), "e5": ("2", "overall")}  # the tie goes to the first answer, "2" < "Brady"


def test_predicts_from_the_form_of_the_question_only_never_its_gold():
    prior = get_strategy("prior").fit(TRAIN)
    question = ex("e1", "Which team won?", "aggregate", "", "Lions")
    other_gold = replace(question, answers=(Answer(number="99"),))
    no_gold = replace(question, answers=())
    answers = {tuple((p.answer, p.spans) for p in prior.predict([q])) for q in (question, other_gold, no_gold)}
    assert answers == {(("Bears", ("Bears",)),)}  # same prediction whatever (or whether) the gold is


def test_the_answer_counts_come_from_the_training_subset_only():
    prior = get_strategy("prior").fit(TRAIN)
    before = prior.predict([ex("e1", "How many points?", "aggregate")])[0].answer
    prior.predict([ex(f"x{i}", "How many points?", "aggregate", "7") for i in range(10)])  # evaluation never fits
    assert prior.predict([ex("e1", "How many points?", "aggregate")])[0].answer == before == "2"
    refit = get_strategy("prior").fit([ex(f"x{i}", "How many points?", "aggregate", "7") for i in range(3)])
    assert refit.predict([ex("e1", "How many points?", "aggregate")])[0].answer == "7"


def test_multi_span_answers_stay_sets_and_unfitted_prior_is_an_error():
    prior = get_strategy("prior").fit([ex("t1", "Which players scored?", "union", "", "Ann", "Bo")])
    p = prior.predict([ex("e1", "Which teams?", "union")])[0]
    assert p.spans == ("Ann", "Bo") and p.answer == "Ann, Bo" and p.answer_spans() == ("Ann", "Bo")
    with pytest.raises(ConfigError, match="not been fitted"):
        get_strategy("prior").predict([ex("e1", "Which?", "union")])
    empty = get_strategy("prior").fit([]).predict([ex("e1", "Which?", "union")])[0]  # size 0
    assert (empty.answer, empty.spans, empty.trace[0]["level"]) == ("", (), "empty")


def test_registered_without_a_reader():
    assert REGISTRY["prior"].needs_reader is False and get_strategy("prior").training_inputs(TRAIN[0]) == []


@pytest.mark.parametrize(("question", "options"), [
    ("Who is younger, Ulrich Walter or Luca Parmitano?", ("Ulrich Walter", "Luca Parmitano")),
    ("who is younger Ulrich Walter or  Luca Parmitano?", ("Ulrich Walter", "Luca Parmitano")),
    ("Which event happened first, the invasion of Burma, or a truce?", ("the invasion of Burma", "a truce")),
    ("Who scored more touchdowns, Erric Pegram and Bam Morris, or Yancey Thigpen?",
     ("Erric Pegram and Bam Morris", "Yancey Thigpen")),
    ("What happened second: fleet fired on the Swedish or war was declared?",
     ("fleet fired on the Swedish", "war was declared")),
    ("Which magazine was started first Arthur's Magazine or First for Women?",
     ("Arthur's Magazine", "First for Women")),
    ("Was he a singer or an actor?", None),  # no option boundary before "or"
    ("How many yards did Brady pass to Moss?", None),
    # Version 3. A number question offers no choice, unless a colon introduces its options.
    ("How many touchdowns were 30-yards or longer?", None),
    ("How many of the 293 prisoners were not pardoned, purchased amnesty or were executed?", None),
    ("How many from the census is fewer: Germans or English?", ("Germans", "English")),
    # Options mid-question: before a clause after a comma, or before the verb of a yes/no question.
    ("Which musician, Ciaran Gribbin or Brett Scallions, is a member of the post-grunge band Fuel?",
     ("Ciaran Gribbin", "Brett Scallions")),
    ("Did the Bengals or the Steelers win?", ("the Bengals", "the Steelers")),
    ("Did France or the Ottoman Empire offer to send more galleys?", ("France", "the Ottoman Empire")),
    ("Is the Metropolitan Tower or 750 7th Avenue Skyscaper taller?",
     ("the Metropolitan Tower", "750 7th Avenue Skyscaper")),
    # Parallel options open with the same article or preposition.
    ("Did Palmer have more touchdown yards in the first quarter or the second quarter?",
     ("the first quarter", "the second quarter")),
    ("Were more people between 40 and 54 or between 20 and 34?", ("between 40 and 54", "between 20 and 34")),
    # A number is not cut to its first word; the thousands comma is not an option boundary.
    ("Were more people between the ages of 10 to 19 or 20 to 29?", ("19", "20 to 29")),
    ("Who the smallest group of people, 3,826 scribes or 361 scholars?", ("3,826 scribes", "361 scholars")),
])
def test_a_two_way_choice_is_read_from_the_question(question, options):
    from decomp.strategies.prior import choice

    assert choice(question) == options


def choice_example(i: str, question: str, answer: str = "") -> Example:
    return Example(id=i, source="hotpotqa", question=question, context=(Paragraph("", "text"),),
                   answers=(Answer(spans=(answer,)),) if answer else (), group=f"p{i}",
                   decomposition=(Step("return A", "select"), Step("return B", "select"),
                                  Step("return which is larger of #1, #2", "comparison")))


def test_a_choice_is_answered_by_the_position_the_training_choices_favour():
    train = [choice_example("t1", "Who is older, Ann Lee or Bo Chan?", "Bo Chan"),
             choice_example("t2", "Which is taller, the Eiffel Tower, or Big Ben?", "Big Ben"),
             choice_example("t3", "Who was born first, Cy Young or Di Ross?", "Cy Young"),
             choice_example("t4", "Who is older, Ed Orr or Flo Poe?", "the Jets"),  # neither option: not counted
             choice_example("t5", "Where was the treaty signed?", "Paris")]
    prior = get_strategy("prior").fit(train)
    assert prior.positions == {1: 2, 0: 1}
    question = choice_example("e1", "Which came first, the Beatles or the Stones?", "the Beatles")
    for gold in ("the Beatles", "the Stones", ""):  # never the evaluation answer
        (p,) = prior.predict([replace(question, answers=choice_example("x", "q", gold).answers)])
        assert (p.answer, p.trace[0]["level"], p.trace[0]["options"]) == (
            "the Stones", "choice", ["the Beatles", "the Stones"])
    # A question without a choice keeps the answer prior; no training choice: the answer prior for all.
    assert prior.predict([choice_example("e2", "Where was it signed?")])[0].answer == "Paris"
    plain = get_strategy("prior").fit([choice_example("t5", "Which city is larger?", "Paris")])
    (p,) = plain.predict([question])
    assert (p.answer, p.trace[0]["level"]) == ("Paris", "operator+opening")
    tied = get_strategy("prior").fit(train[:2] + [choice_example("t6", "Who won, Al or Bea?", "Al"),
                                                  choice_example("t7", "Who won, Cal or Dee?", "Cal")])
    assert tied.positions[0] == tied.positions[1] == 2
    assert tied.predict([question])[0].answer == "the Beatles"  # a tie goes to the first option
    assert REGISTRY["prior"].format_version == 3
