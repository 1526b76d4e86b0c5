from decomp.data.schema import Answer, Date, Example, Paragraph
from decomp.qdmr.steps import Step


def _example() -> Example:
    return Example(
        id="x1", source="drop", question="How many?", context=(Paragraph("", "A passage."),),
        answers=(Answer(number="3"), Answer(spans=("three",))),
        decomposition=(Step("touchdowns", "select"), Step("number of #1", "aggregate", (1,))),
        sub_answers=(Answer(spans=("a", "b", "c")), Answer(number="3")),
        group="nfl_1", split="dev", supporting_facts=(("T", 0),), meta={"line": 4},
    )


def test_round_trip_through_dict():
    e = _example()
    back = Example.from_dict(e.to_dict())
    assert back == e and back.meta == {"line": 4}
    assert back.operators == ("select", "aggregate")


def test_answer_types_and_texts():
    assert Answer(number="3").type == "number"
    assert Answer(spans=("Yes",)).type == "yesno"
    assert Answer(spans=("a", "b")).texts() == ("a", "b")
    date = Answer(date=Date("17", "August", ""))
    assert date.type == "date" and date.texts() == ("17 August",)
    assert Answer().is_empty() and Answer().texts() == ()
    assert _example().gold_texts() == [("3",), ("three",)]


def test_passage_keeps_titles():
    e = Example(id="h", source="hotpotqa", question="q",
                context=(Paragraph("A", "x."), Paragraph("B", "y.")), answers=(Answer.span("x"),))
    assert e.passage == "A: x.\nB: y."
