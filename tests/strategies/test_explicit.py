"""`explicit-hybrid` end to end on real BREAK programs: the path a run takes (the strategy's step-synchronous
`predict`, the QDMR executor for symbolic steps, the reader for the rest), with the reader's answers written
from the passages."""

from __future__ import annotations

import pytest

from decomp.data.schema import Answer, Example, Paragraph
from decomp.qdmr.steps import parse_decomposition
from decomp.strategies import get_strategy
from decomp.types import Prediction

PROGRAMS = [
    (  # DROP_dev_history_1092_53b02aa7-df92-41f0-9388-b7629c4b09d8, gold "Socialist Revolutionaries"
        "Who had more women as delegates, the Socialist Revolutionaries or the Bolsheviks?",
        "return women as delegates of the  Socialist Revolutionaries ;return women as delegates of the  "
        "Bolsheviks ;return number of  #1 ;return number of  #2 ;return which is more of #3 ,  #4",
        "['select', 'select', 'aggregate', 'aggregate', 'comparison']",
        {1: ["seven"], 2: ["one"]}, ["the Socialist Revolutionaries"], "RREEE"),
    (  # DROP_dev_history_10_a0c02482-0031-400d-b6f0-aa089bcf1424, gold "80"
        "How many total people were killed, captured and were listed as casualties?",
        "return people who  were killed ;return number of  #1 ;return people who  were captured ;return "
        "number of  #3 ;return people who  were listed as casualties ;return number of  #5 ;return sum of #2 "
        "and  #4 and #6",
        "['select', 'aggregate', 'select', 'aggregate', 'select', 'aggregate', 'arithmetic']",
        {1: ["12 US troops"], 3: ["23"], 5: ["45 Federales"]}, ["80"], "REREREE"),
    (  # DROP_dev_history_1276_10fed83a-a5cf-402e-a792-c7039553657f, gold "5700"
        "How many French casualties were killed, wounded and missing in total after the Rifians attacked the "
        "line?",
        "return French casualties that were killed after the  Rifians attacked the line ;return French "
        "casualties that were wounded after the  Rifians attacked the line ;return French casualties that "
        "were missing after the  Rifians attacked the line ;return number of  #1 ;return number of  #2 ;"
        "return number of  #3 ;return sum of #4 and  #5 and #6",
        "['select', 'select', 'select', 'aggregate', 'aggregate', 'aggregate', 'arithmetic']",
        {1: ["1,000"], 2: ["3,700"], 3: ["1,000"]}, ["5700"], "RRREEEE"),
    (  # DROP_dev_history_1418_10cde81d-e30c-4b05-97fb-a45bbeaa2f08, gold "138"
        "How many years after the 1537 inheritance treaty did Frederick William lay claim to the Silesian "
        "principalities?",
        "return when  the 1537 inheritance treaty was  ;return when  Frederick William lay claim to the "
        "Silesian principalities ;return difference in  years of #1 and  #2",
        "['select', 'select', 'arithmetic']", {1: ["1537"], 2: ["1675"]}, ["138"], "RRE"),
    (  # DROP_dev_history_241_8932b025-d69e-4110-ad18-13462761c791, gold "4"
        "How many days after the Braunau Parliament meeting was the Sendling's Night of Murder?",
        "return when  was  the  Braunau Parliament meeting ;return when  was  the  Sendling 's Night of "
        "Murder ;return difference in  days of #1 and  #2", "['select', 'select', 'arithmetic']",
        {1: ["21 December 1705"], 2: ["night of 25 December 1705"]}, ["4"], "RRE"),
    (  # DROP_dev_history_2187_27189445-ef12-49b8-8cdb-d1e2f79799c5, gold "93.2|93.8"
        "How many percent were not  Polish?", "return percent that were Polish ;return percent besides  #1",
        "['select', 'discard']", {1: ["6.8%"]}, ["93.2"], "RE"),
    (  # DROP_dev_nfl_1240_389b9b3a-8473-44c9-a8c1-a2ba140c81b6, gold "4"
        "How many field goals over 30 yards did Nick Folk make?",
        "return field goals of Nick Folk ;return yards of #1 ;return #1 where #2 is higher than 30 ;return "
        "number of  #3",
        "['select', 'project', 'comparative', 'aggregate']",
        {1: ["48-yard field goal", "41-yard field goal", "47-yard field goal", "42-yard field goal"],
         2: ["48", "41", "47", "42"]}, ["4"], "RREE"),
    (  # DROP_dev_nfl_104_2d43aca4-9996-4bb0-99aa-8009591f76bb, gold "8|69|6"
        "How many yards longer was the longest field goal over the second longest?",
        "return yards of field goals ;return longest of #1 ;return second longest of #1 ;return difference "
        "of #2 and  #3",
        "['select', 'aggregate', 'aggregate', 'arithmetic']", {1: ["23-yard", "43-yard", "35-yard"]}, ["8"],
        "REEE"),
    (  # DROP_dev_history_1019_72407857-72ac-480e-bc2d-0e4ce3781f10, gold "1852"
        "Which year saw a smaller Siamese invasion force, 1852 or 1854?",
        "return size of the  Siamese invasion force in  1852 ;return size of the  Siamese invasion force in  "
        "1854 ;return which is smaller of #1 ,  #2",
        "['select', 'select', 'comparison']",  # sizes the executor cannot compare: the reader answers step 3
        {1: ["several thousand"], 2: ["the largest Siamese invasion force"], 3: ["1852"]}, ["1852"], "RRR"),
]


def run_hybrid(question: str, steps, answers: dict, asked: list | None = None) -> Prediction:
    """One example through `explicit-hybrid`; the stand-in reader answers step k with `answers[k]`."""
    example = Example(id="ex", source="drop", question=question, context=(Paragraph("", "passage"),),
                      answers=(Answer.span("gold"),), decomposition=steps)

    def reader(inputs):
        if asked is not None:
            asked.extend((i.step, i.question) for i in inputs)
        return {i.uid: tuple(answers[i.step]) if isinstance(answers[i.step], list) else answers[i.step]
                for i in inputs}

    (prediction,) = get_strategy("explicit-hybrid").predict([example], reader)
    return prediction


@pytest.mark.parametrize("question, decomposition, operators, answers, final, by", PROGRAMS,
                         ids=[p[0][:40] for p in PROGRAMS])
def test_hybrid_on_break_decompositions(question, decomposition, operators, answers, final, by):
    prediction = run_hybrid(question, parse_decomposition(decomposition, operators), answers)
    assert list(prediction.answer_spans()) == final
    assert "".join(t["by"][0].upper() for t in prediction.trace) == by
    assert [t["step"] for t in prediction.trace] == list(range(1, len(by) + 1))


def test_hybrid_asks_each_step_with_earlier_answers_in_place():
    steps = parse_decomposition("return field goals of Nick Folk ;return yards of #1 ;return #1 where #2 is "
                                "higher than 42 ;return number of  #3",
                                "['select', 'project', 'comparative', 'aggregate']")
    asked = []
    answers = {1: ["48-yard field goal", "41-yard field goal"], 2: ["48", "41"]}
    prediction = run_hybrid("How many field goals over 42 yards did Nick Folk make?", steps, answers, asked)
    assert asked == [(1, "field goals of Nick Folk"), (2, "yards of 48-yard field goal, 41-yard field goal")]
    assert [(t["question"], t["spans"], t["by"]) for t in prediction.trace] == [
        ("field goals of Nick Folk", ["48-yard field goal", "41-yard field goal"], "reader"),
        ("yards of 48-yard field goal, 41-yard field goal", ["48", "41"], "reader"),
        ("48-yard field goal, 41-yard field goal where 48, 41 is higher than 42", ["48-yard field goal"],
         "executor"),
        ("number of 48-yard field goal", ["1"], "executor"),
    ]
    assert prediction.answer == "1"


def test_hybrid_falls_back_to_the_reader_for_a_step_the_executor_declines():
    # DROP_dev_history_1352_d1397441-2f73-4c7b-8ad5-0cbef7a35ea9: the passage dates one landing only as
    # "the previous year", which the executor cannot compare; the reader answers the comparison.
    steps = parse_decomposition("return when  did Fitzmaurice land in  Smerwick ;return when  did Sebastiano "
                                "di San Giuseppe land in  Smerwick ;return which was  later of #1 ,  #2",
                                "['select', 'select', 'comparison']")
    answers = {1: ["the previous year"], 2: "10 September 1580", 3: ["Sebastiano di San Giuseppe"]}
    prediction = run_hybrid("Who landed in Smerwick later?", steps, answers)
    assert prediction.trace[1]["spans"] == ["10 September 1580"]  # a plain string is one answer
    last = prediction.trace[2]
    assert (last["question"], last["spans"], last["by"]) == (
        "which was later of the previous year , 10 September 1580", ["Sebastiano di San Giuseppe"], "reader")
    assert prediction.answer == "Sebastiano di San Giuseppe"
