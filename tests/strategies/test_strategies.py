import subprocess
import sys

import pytest

from decomp.data.schema import Answer, Example, Paragraph
from decomp.errors import ConfigError
from decomp.qdmr.steps import Step, parse_decomposition
from decomp.strategies import REGISTRY, get_strategy
from decomp.strategies.explicit import expand

DECOMP = parse_decomposition(
    "return casualties of the Federales ;return casualties of the Americans ;"
    "return which side was more of #1 , #2", "['select', 'select', 'comparison']")


def _example(eid: str = "ex1", steps=DECOMP, subs=()) -> Example:
    return Example(id=eid, source="drop", question="Which side suffered more casualties?",
                   context=(Paragraph("", "The Federales lost 160 men and the Americans 30."),),
                   answers=(Answer.span("Federales"),), decomposition=steps, sub_answers=subs, group="g")


def test_registry_has_the_compared_strategies_and_rejects_unknown():
    # A subset: the registry's contents come from discovery (tests/test_registry.py checks it finds every one).
    assert {"none", "implicit-operators", "implicit-steps", "explicit", "explicit-hybrid"} <= set(REGISTRY)
    with pytest.raises(ConfigError, match="unknown strategy 'bogus'.*explicit"):
        get_strategy("bogus")
    with pytest.raises(ConfigError, match="supervision"):
        get_strategy("explicit", supervision="magic")


def test_none_and_implicit_inputs():
    e = _example()
    assert get_strategy("none").training_inputs(e)[0].question == e.question
    ops = get_strategy("implicit-operators")
    assert ops.training_inputs(e)[0].question == "[select] [select] [comparison] " + e.question
    assert "[comparison]" in ops.special_tokens() and "[arithmetic]" in ops.special_tokens()
    steps = get_strategy("implicit-steps").training_inputs(e)[0].question
    assert steps.endswith("[steps] 1) casualties of the Federales 2) casualties of the Americans "
                          "3) which side was more of #1 , #2")
    for name in ("none", "implicit-operators", "implicit-steps"):
        (i,) = get_strategy(name).training_inputs(e)
        assert i.answers == (("Federales",),) and i.uid == "ex1"


def test_expand_substitutes_known_answers_and_inlines_unknown_steps():
    assert expand(DECOMP, 3, {1: "160", 2: "30"}) == "which side was more of 160 , 30"
    assert expand(DECOMP, 3, {}) == ("which side was more of (casualties of the Federales) , "
                                     "(casualties of the Americans)")
    many = [*(Step(f"step {i}") for i in range(1, 12)), Step("sum of #1 and #11")]  # #11 is not #1 then "1"
    assert expand(many, 12, {1: "3", 11: "40"}) == "sum of 3 and 40"


def test_explicit_training_inputs_by_supervision():
    subs = (Answer(number="160"), Answer(number="30"), Answer.span("Federales"))
    e = _example(subs=subs)
    final = get_strategy("explicit", supervision="final").training_inputs(e)
    assert [(i.step, i.answers) for i in final] == [(3, (("Federales",),))]
    oracle = get_strategy("explicit", supervision="oracle").training_inputs(e)
    assert [(i.step, i.question, i.answers) for i in oracle] == [
        (1, "casualties of the Federales", (("160",),)),
        (2, "casualties of the Americans", (("30",),)),
        (3, "which side was more of 160 , 30", (("Federales",),)),
    ]
    assert {i.uid for i in oracle} == {"ex1#1", "ex1#2", "ex1#3"}


def test_explicit_trace_feeds_each_answer_into_later_steps():
    asked = []

    def reader(inputs):
        asked.append([i.question for i in inputs])
        return {i.uid: {"casualties of the Federales": "160", "casualties of the Americans": "30"}
                .get(i.question, "Federales") for i in inputs}

    e1, e2 = _example("a"), _example("b", steps=DECOMP[:1])
    preds = get_strategy("explicit").predict([e1, e2], reader)
    # One batched call per step index, both examples in the first.
    assert asked == [["casualties of the Federales", "casualties of the Federales"],
                     ["casualties of the Americans"], ["which side was more of 160 , 30"]]
    by_id = {p.example_id: p for p in preds}
    assert by_id["a"].answer == "Federales"
    assert [(t["step"], t["question"], t["answer"], t["by"]) for t in by_id["a"].trace] == [
        (1, "casualties of the Federales", "160", "reader"),
        (2, "casualties of the Americans", "30", "reader"),
        (3, "which side was more of 160 , 30", "Federales", "reader"),
    ]
    assert by_id["b"].answer == "160"


def test_explicit_without_decomposition_asks_whole_question():
    e = _example(steps=())
    (p,) = get_strategy("explicit").predict([e], lambda inputs: {i.uid: "x" for i in inputs})
    assert p.answer == "x" and p.trace[0]["note"] == "no decomposition"


def test_hybrid_executes_symbolic_steps_and_trains_reader_steps_only():
    hybrid = get_strategy("explicit-hybrid", supervision="oracle")
    subs = (Answer(number="160"), Answer(number="30"), Answer.span("Federales"))
    e = _example(subs=subs)
    assert [i.step for i in hybrid.training_inputs(e)] == [1, 2]  # step 3 (comparison) is symbolic
    answers = {"casualties of the Federales": "160", "casualties of the Americans": "30"}
    (p,) = hybrid.predict([e], lambda inputs: {i.uid: answers[i.question] for i in inputs})
    assert p.answer == "Federales"
    assert [t["by"] for t in p.trace] == ["reader", "reader", "executor"]
    assert p.trace[2]["question"] == "which side was more of 160 , 30"


def test_hybrid_falls_back_to_reader_when_executor_cannot_parse():
    steps = parse_decomposition("return touchdowns ;return the vibe of #1", "['select', 'arithmetic']")
    e = _example(steps=steps)
    (p,) = get_strategy("explicit-hybrid").predict([e], lambda inputs: {i.uid: "x" for i in inputs})
    assert [t["by"] for t in p.trace] == ["reader", "reader"]


def test_strategies_import_no_reader():
    # Strategies and readers share only decomp.types: every strategy module loads without decomp.readers.
    code = ("import sys; from decomp.strategies import REGISTRY; names = list(REGISTRY); "
            "print(len(names), sorted(m for m in sys.modules if m.startswith('decomp.readers')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split(" ", 1)
    assert int(out[0]) >= 5 and out[1].strip() == "[]"
