import json

import pytest

from decomp.data.decompositions import apply_decompositions, read_decompositions, write_decompositions
from decomp.data.schema import Answer, Example, Paragraph
from decomp.errors import ConfigError, DataError
from decomp.qdmr.steps import Step


def _examples():
    return [Example(id=f"q{i}", source="drop", question="q?", context=(Paragraph("", "p"),),
                    answers=(Answer(number="1"),), decomposition=(Step("gold", "select"),), group="g")
            for i in range(2)]


def test_round_trip_and_apply(tmp_path):
    path = tmp_path / "new-folder" / "pred.jsonl"  # the folder is created
    steps = (Step("touchdowns", "select"), Step("number of #1", "aggregate", (1,)))
    write_decompositions(path, [("q0", steps), ("q1", steps[:1])], source="rules")
    assert read_decompositions(path) == {"q0": steps, "q1": steps[:1]}
    applied = apply_decompositions(_examples(), "predicted", path)
    assert applied[0].decomposition == steps and applied[1].operators == ("select",)
    assert apply_decompositions(_examples(), "gold", None) == _examples()


@pytest.mark.parametrize("line, field", [
    ('{"id": "q0", "steps": [{"text": "a of #2"}]}', "steps"),
    ('{"id": "q0", "steps": []}', "steps"),
    ('{"steps": [{"text": "a"}]}', "id"),
    ('{"id": "q0"}', "steps"),
    ('{"id": "q0", "decomposition": "return a ;return #1", "operators": "[\'select\']"}', "operators"),
])
def test_bad_lines_name_file_line_and_field(tmp_path, line, field):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"id": "ok", "steps": ["fine"]}) + "\n" + line + "\n")
    with pytest.raises(DataError) as info:
        read_decompositions(path)
    assert info.value.row == 2 and info.value.field == field and str(path) in str(info.value)


def test_broken_json_and_missing_coverage(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"id": "q0", "steps": ["a"]}\n{not json\n')
    with pytest.raises(DataError, match="row 2.*broken JSON"):
        read_decompositions(path)
    path.write_text('{"id": "q0", "steps": ["a"]}\n')
    with pytest.raises(ConfigError, match="no decomposition for 1 example"):
        apply_decompositions(_examples(), "predicted", path)
    with pytest.raises(ConfigError, match="predicted_file"):
        apply_decompositions(_examples(), "predicted", None)
    with pytest.raises(ConfigError, match="not found"):
        read_decompositions(tmp_path / "nope.jsonl")
