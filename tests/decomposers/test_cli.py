from __future__ import annotations

import json

import pytest

from decomp.cli import main
from decomp.data.decompositions import read_decompositions
from decomp.decomposers.questions import load_questions
from decomp.errors import ConfigError, DataError


def test_decompose_writes_a_file_the_predicted_source_reads(tmp_path, capsys):
    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(json.dumps(r) for r in [
        {"id": "a", "question": "How many yards did Smith run?"},
        {"id": "b", "question": "Who was the director of the film Titanic?"}]) + "\n")
    out = tmp_path / "pred.jsonl"
    assert main(["decompose", "--input", str(questions), "--out", str(out)]) == 0
    read = read_decompositions(out)
    assert list(read) == ["a", "b"]
    assert [s.operator for s in read["a"]] == ["select", "aggregate"]
    assert read["b"][1].references == (1,)
    assert "wrote 2 decompositions" in capsys.readouterr().out


def test_question_files_name_the_bad_line(tmp_path):
    bad = tmp_path / "q.jsonl"
    bad.write_text('{"id": "a", "question": "Q?"}\n{"id": "b"}\n')
    with pytest.raises(DataError, match="line 2|row 2") as err:
        load_questions(str(bad))
    assert "question" in str(err.value)


def test_decompose_and_score_break_rows(data_dir, tmp_path, capsys):
    out = tmp_path / "cwq.jsonl"
    assert main(["decompose", "--input", "break:dev:CWQ", "--out", str(out), "--score-against-gold"]) == 0
    assert "norm_em_approx" in capsys.readouterr().out
    assert len(read_decompositions(out)) == 475
    assert main(["decompose-score", "--pred", str(out), "--gold", "break:dev:CWQ", "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["n"] > 400 and scores["missing"] == 0 and scores["valid"] == 1.0 and 0 < scores["sari"] < 1


def test_fold_questions_are_the_readers_held_out_fold(data_dir):
    from decomp.data.datasets import get_dataset
    from decomp.data.protocols import gold_split

    items = load_questions("drop:fold0")
    held = gold_split(get_dataset("drop").pool(), 0).eval
    assert [i for i, _, _ in items] == [e.id for e in held] and all(steps for _, _, steps in items)
    with pytest.raises(ConfigError, match="fold<k>"):
        load_questions("drop:foldx")
    with pytest.raises(ConfigError, match="fold must be in 0..4"):
        load_questions("drop:fold7")
