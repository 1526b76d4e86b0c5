"""Official layouts and the hub (substituted at `datasets.load_dataset`) on the fixture files: joins by id,
the `splits` protocol, silver training decompositions, HotpotQA context settings, and bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import datasets
import pytest

from decomp.cli import main
from decomp.data.datasets import get_dataset
from decomp.data.decompositions import write_decompositions
from decomp.data.module import DecompDataModule
from decomp.errors import ConfigError, DataError
from decomp.qdmr.steps import Step
from tests.data.official import BREAK, FIXTURES, SOURCES, fake_load_dataset, options

HUB = {"source": "hub", "break_source": "hub"}


def key(e) -> tuple:
    return (e.id, e.question, e.passage, e.group, tuple(s.text for s in e.decomposition), e.split[:1] if e.split
            else "")


@pytest.fixture
def hub(monkeypatch):
    calls: list = []
    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset(calls))
    return calls


# ---- sources ------------------------------------------------------------------------------------------


def test_fixtures_are_small_and_in_the_official_layouts():
    files = sorted(p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*.*"))
    assert files == ["break/QDMR-high-level/dev.csv", "break/QDMR-high-level/test.csv",
                     "break/QDMR-high-level/train.csv", "drop/drop_dataset_dev.json", "drop/drop_dataset_train.json",
                     "hotpotqa/hotpot_dev_distractor_v1.json", "hotpotqa/hotpot_train_v1.1.json"]
    assert sum(p.stat().st_size for p in FIXTURES.rglob("*.*")) < 400_000
    section = next(iter(json.loads((SOURCES["drop"] / "drop_dataset_dev.json").read_text()).values()))
    assert {"passage", "qa_pairs"} <= set(section)
    assert {"question", "query_id", "answer", "validated_answers"} <= set(section["qa_pairs"][0])


def test_drop_official_joins_every_split_by_id():
    drop = get_dataset("drop", **options("drop"))
    summaries = {s.label: s for s in drop.summaries()}
    assert {k: (s.joined, s.total, s.pool) for k, s in summaries.items()} == {
        "QDMR-high-level/train": (28, 28, 28), "QDMR-high-level/dev": (30, 30, 30),
        "QDMR-high-level/test": (10, 10, 0)}
    train, pool = drop.train_pool(), drop.pool()
    assert all(e.id.startswith("DROP_train_") and e.decomposition and e.gold_texts() for e in train)
    assert all(e.id.startswith("DROP_dev_") and e.meta["query_id"] in e.id for e in pool)
    assert not {e.passage for e in train} & {e.passage for e in pool}
    deployed = drop.deployed()
    assert deployed and not {e.passage for e in deployed} & {e.passage for e in pool}
    silver = drop.silver("train")
    assert len(silver) == 12 and not {e.id for e in silver} & {e.meta["query_id"] for e in train}
    assert {e.group for e in silver} <= {e.group for e in train}  # other questions on the same passages


def test_hotpotqa_official_joins_by_id():
    hotpot = get_dataset("hotpotqa", **options("hotpotqa"))
    assert [(s.label, s.joined, s.total) for s in hotpot.summaries()] == [
        ("QDMR-high-level/train", 8, 8), ("QDMR-high-level/dev", 8, 8), ("QDMR-high-level/test", 3, 3)]
    assert all(e.meta["matched_by"] == "id" and len(e.context) == 10 for e in hotpot.pool() + hotpot.train_pool())
    assert len(hotpot.deployed()) == 6 and len(hotpot.silver("train")) == 3
    with pytest.raises(ConfigError, match="splits protocol"):
        hotpot.silver("dev")


@pytest.mark.parametrize("name", ["drop", "hotpotqa"])
def test_hub_gives_the_same_examples_as_the_files(name, hub):
    files, remote = get_dataset(name, **options(name)), get_dataset(name, **HUB)
    for part in ("train_pool", "pool", "deployed"):
        a, b = getattr(files, part)(), getattr(remote, part)()
        assert a and [key(e) for e in a] == [key(e) for e in b], part
        if name == "hotpotqa":  # the hub's schema carries everything the official JSON does
            assert [(e.context, e.answers, e.supporting_facts) for e in a] == \
                [(e.context, e.answers, e.supporting_facts) for e in b]
        else:  # the hub flattens multi-span answers into single spans: single answers agree
            assert all(x.answers[0] == y.answers[0] for x, y in zip(a, b, strict=True)
                       if x.answer_type in ("number", "date") or len(x.answers[0].spans) == 1)
    assert {c[0] for c in hub} == {"break_data", "ucinlp/drop" if name == "drop" else "hotpot_qa"}
    # DROP's deployed set lies on BREAK-test passages; HotpotQA's is every dev question outside the pool
    assert {c[2] for c in hub} == {"train", "validation"} | ({"test"} if name == "drop" else set())
    assert ("break_data", "QDMR-high-level", "train") in hub


def test_shared_layout_is_the_default_and_has_no_train_split(data_dir):
    drop = get_dataset("drop", data_dir=data_dir)
    assert drop.sources() == {"source": "shared", "break_source": "shared", "break_config": "QDMR-high-level"}
    with pytest.raises(ConfigError, match="BREAK train file not found|DROP dev only"):
        drop.train_pool()


# ---- the splits protocol, silver decompositions -------------------------------------------------------


def splits_module(name: str = "drop", **extra) -> DecompDataModule:
    dm = DecompDataModule(dataset=name, protocol="splits", val_fraction=0, **options(name), **extra)
    dm.setup("fit")
    return dm


def test_splits_protocol_trains_on_break_train_and_evaluates_on_break_dev():
    dm = splits_module(k="all")
    dataset = get_dataset("drop", **options("drop"))
    assert {e.id for e in dm.fit_set} == {e.id for e in dataset.train_pool()}
    assert [e.id for e in dm.eval_set] == [e.id for e in dataset.pool()]
    d = dm.describe()
    assert d["protocol"] == "splits" and d["protocol_version"] == "splits-v1" and d["fold"] is None
    assert d["source"] == str(SOURCES["drop"]) and d["break_source"] == str(BREAK) and d["context"] is None
    small = splits_module(k=8, subset_seed=1)
    assert [e.id for e in small.fit_set] == [e.id for e in splits_module(k=16, subset_seed=1).fit_set][:8]


def _predictions(path: Path, examples) -> Path:
    write_decompositions(path, [(e.id, (Step(f"return {e.question}", "select"),)) for e in examples], "test")
    return path


def test_predicted_training_decompositions_extend_past_the_gold_pool(tmp_path):
    silver = get_dataset("drop", **options("drop")).silver("train")
    path = _predictions(tmp_path / "pred.jsonl", silver[:10])
    gold = splits_module(k="all")
    dm = splits_module(k="all", train_decompositions="predicted", train_predicted_file=str(path))
    assert len(dm.fit_set) == len(gold.fit_set) + 10 and dm.describe()["n_silver"] == 10
    assert [e.id for e in dm.fit_set][:len(gold.fit_set)] == [e.id for e in gold.fit_set]  # gold first
    assert all(e.decomposition for e in dm.fit_set)
    assert dm.describe()["train_decompositions"] == "predicted"
    # sizes within the gold side draw what a gold-only curve draws
    assert [e.id for e in splits_module(k=20, train_decompositions="predicted",
                                        train_predicted_file=str(path)).fit_set] == \
        [e.id for e in splits_module(k=20).fit_set]
    empty = _predictions(tmp_path / "none.jsonl", get_dataset("drop", **options("drop")).pool()[:2])
    with pytest.raises(ConfigError, match="decomposes none of the 12 training questions"):
        splits_module(k="all", train_decompositions="predicted", train_predicted_file=str(empty))
    with pytest.raises(ConfigError, match="train_predicted_file"):
        DecompDataModule(dataset="drop", train_decompositions="predicted")


def test_silver_on_the_gold_protocol_never_touches_the_evaluated_fold(tmp_path):
    dataset = get_dataset("drop", **options("drop"))
    path = _predictions(tmp_path / "pred.jsonl", dataset.silver("dev"))
    dm = DecompDataModule(dataset="drop", protocol="gold", n_folds=5, fold=2, val_fraction=0, k="all",
                          train_decompositions="predicted", train_predicted_file=str(path), **options("drop"))
    dm.setup("fit")
    assert dm.n_silver and not {e.group for e in dm.fit_set} & {e.group for e in dm.eval_set}
    assert not {e.passage for e in dm.fit_set} & {e.passage for e in dm.eval_set}


def test_an_evaluation_passage_on_the_training_side_is_an_error(tmp_path):
    # A DROP "train" file that also holds the dev passages: its extra questions would train on evaluation passages.
    folder = tmp_path / "drop"
    folder.mkdir()
    train = json.loads((SOURCES["drop"] / "drop_dataset_train.json").read_text())
    dev = json.loads((SOURCES["drop"] / "drop_dataset_dev.json").read_text())
    (folder / "drop_dataset_train.json").write_text(json.dumps({**train, **dev}))
    shutil.copy(SOURCES["drop"] / "drop_dataset_dev.json", folder)
    leaky = get_dataset("drop", source=str(folder), break_source=str(BREAK)).silver("train")
    path = _predictions(tmp_path / "pred.jsonl", leaky)
    dm = DecompDataModule(dataset="drop", protocol="splits", source=str(folder), break_source=str(BREAK),
                          train_decompositions="predicted", train_predicted_file=str(path), val_fraction=0)
    with pytest.raises(ConfigError, match="training side shares .* with the evaluation set"):
        dm.setup("fit")


# ---- HotpotQA context settings --------------------------------------------------------------------------


def test_gold_context_keeps_the_supporting_paragraphs_in_a_seeded_order():
    full = get_dataset("hotpotqa", **options("hotpotqa")).pool()
    gold = get_dataset("hotpotqa", context="gold", **options("hotpotqa")).pool()
    plus = get_dataset("hotpotqa", context="gold", n_distractors=2, **options("hotpotqa")).pool()
    for f, g, p in zip(full, gold, plus, strict=True):
        titles = {t for t, _ in f.supporting_facts}
        assert {x.title for x in g.context} == titles and len(p.context) == len(titles) + 2
        assert {x.title for x in g.context} <= {x.title for x in p.context} <= {x.title for x in f.context}
    orders = [[x.title for x in g.context] for g in gold]
    in_file = [[x.title for x in f.context if x.title in {t for t, _ in f.supporting_facts}] for f in full]
    assert orders != in_file  # seeded, not the file's order (which tells gold apart)
    assert orders == [[x.title for x in g.context]
                      for g in get_dataset("hotpotqa", context="gold", **options("hotpotqa")).pool()]
    reseeded = get_dataset("hotpotqa", context="gold", context_seed=1, **options("hotpotqa")).pool()
    assert [[x.title for x in g.context] for g in reseeded] != orders
    dm = splits_module("hotpotqa", context="gold", n_distractors=2)
    assert dm.describe()["context"] == "gold" and dm.describe()["n_distractors"] == 2
    assert all(len(e.context) == len(e.supporting_facts and {t for t, _ in e.supporting_facts}) + 2
               for e in dm.eval_set)
    with pytest.raises(ConfigError, match="n_distractors applies to context=gold"):
        get_dataset("hotpotqa", n_distractors=2)
    with pytest.raises(ConfigError, match="context must be one of"):
        get_dataset("hotpotqa", context="open")
    with pytest.raises(ConfigError, match="does not apply to the synthetic dataset"):
        DecompDataModule(dataset="synthetic", context="gold")


# ---- bad input ------------------------------------------------------------------------------------------


def _copy(tmp_path: Path, name: str) -> Path:
    return Path(shutil.copytree(FIXTURES / name, tmp_path / name))


def test_missing_file_names_it(tmp_path):
    folder = _copy(tmp_path, "drop")
    (folder / "drop_dataset_train.json").unlink()
    drop = get_dataset("drop", source=str(folder), break_source=str(BREAK))
    assert drop.pool()  # the dev side needs no train file
    with pytest.raises(ConfigError, match=r"DROP train JSON not found: .*drop_dataset_train\.json"):
        drop.train_pool()
    breaks = _copy(tmp_path, "break")
    (breaks / "QDMR-high-level" / "train.csv").unlink()
    with pytest.raises(ConfigError, match=r"BREAK train file not found: .*QDMR-high-level/train\.csv"):
        get_dataset("drop", source=str(SOURCES["drop"]), break_source=str(breaks)).train_pool()
    with pytest.raises(ConfigError, match="not 'shared', 'hub' or an existing folder"):
        get_dataset("drop", source=str(tmp_path / "nowhere"))


def test_a_dev_file_where_train_is_expected(tmp_path):
    breaks = _copy(tmp_path, "break")
    shutil.copy(breaks / "QDMR-high-level" / "dev.csv", breaks / "QDMR-high-level" / "train.csv")
    with pytest.raises(DataError, match=r"train\.csv.*expected BREAK train rows.*a dev file where train is expected"):
        get_dataset("drop", source=str(SOURCES["drop"]), break_source=str(breaks)).train_pool()


def test_a_flattened_drop_file_given_as_official_json(tmp_path):
    folder = _copy(tmp_path, "drop")
    line = {"context": "Passage: p\nQuestion: q\nAnswer:", "completion": " a", "ref_text": "a"}
    (folder / "drop_dataset_dev.json").write_text(json.dumps(line) + "\n" + json.dumps(line) + "\n")
    with pytest.raises(DataError, match=r"drop_dataset_dev\.json.*expected the official DROP dev JSON.*flattened"):
        get_dataset("drop", source=str(folder), break_source=str(BREAK)).pool()


def test_a_hotpotqa_file_in_another_schema(tmp_path):
    folder = _copy(tmp_path, "hotpotqa")
    records = json.loads((folder / "hotpot_dev_distractor_v1.json").read_text())
    (folder / "hotpot_dev_distractor_v1.json").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    with pytest.raises(DataError, match=r"hotpot_dev_distractor_v1\.json.*expected the official HotpotQA dev JSON"):
        get_dataset("hotpotqa", source=str(folder), break_source=str(BREAK)).pool()


@pytest.mark.parametrize("name, file", [("drop", "drop_dataset"), ("hotpotqa", "hotpot")])
def test_a_join_below_half_is_an_error(tmp_path, name, file):
    folder = _copy(tmp_path, name)
    train = next(p for p in folder.glob("*.json") if "train" in p.name)
    dev = next(p for p in folder.glob("*.json") if "train" not in p.name)
    shutil.copy(dev, train)  # the dev file where the train file belongs: BREAK train joins nothing
    with pytest.raises(ConfigError, match=rf"train\.csv: only 0 of \d+ BREAK questions joined .*{file}|"
                                          rf"train\.csv: only 0 of \d+ BREAK questions joined"):
        get_dataset(name, source=str(folder), break_source=str(BREAK)).train_pool()


# ---- commands -------------------------------------------------------------------------------------------


def test_stats_on_the_fixture_layout_prints_join_counts_per_split(capsys):
    args = ["data", "stats", "--source", str(SOURCES["drop"]), "--break-source", str(BREAK)]
    assert main([*args, "--dataset", "drop"]) == 0
    out = capsys.readouterr().out
    for line in ("QDMR-high-level/train: 28/28 joined", "QDMR-high-level/dev: 30/30 joined",
                 "QDMR-high-level/test: 10/10 joined", "BREAK-train pool (the splits protocol's training side): 28",
                 "source hub: ucinlp/drop", "drop_dataset_train.json [train]", "licence: CC BY-SA 4.0"):
        assert line in out, line
    assert main([*args]) == 2  # a source needs one dataset
    assert "needs --dataset drop or hotpotqa" in capsys.readouterr().err


def test_prepare_writes_the_joined_tables(tmp_path, capsys):
    out = tmp_path / "prepared"
    assert main(["data", "prepare", "--dataset", "hotpotqa", "--source", str(SOURCES["hotpotqa"]),
                 "--break-source", str(BREAK), "--context", "gold", "--out", str(out),
                 "--cache-dir", str(tmp_path / "cache")]) == 0
    counts = {p.name: len(p.read_text().splitlines()) for p in out.glob("*.jsonl")}
    assert counts == {"train_pool.jsonl": 8, "pool.jsonl": 8, "deployed.jsonl": 6, "silver-train.jsonl": 3,
                      "silver-train.questions.jsonl": 3, "sources.jsonl": 1}
    assert json.loads((out / "sources.jsonl").read_text())["context"] == "gold"
    assert "silver:dev: not available" in capsys.readouterr().out
    assert any((tmp_path / "cache").iterdir())


def test_low_level_qdmr_folder(tmp_path):
    breaks = tmp_path / "Break-dataset"
    shutil.copytree(BREAK / "QDMR-high-level", breaks / "QDMR")  # the official folder holds both annotations
    drop = get_dataset("drop", source=str(SOURCES["drop"]), break_source=str(breaks), break_config="QDMR")
    assert len(drop.train_pool()) == 28 and drop.sources()["break_config"] == "QDMR"
    with pytest.raises(ConfigError, match="QDMR-high-level only"):
        get_dataset("hotpotqa", break_source=str(breaks), break_config="QDMR")
    with pytest.raises(ConfigError, match="break_config must be one of"):
        get_dataset("drop", break_config="logical")


def test_a_break_file_without_the_datasets_questions(tmp_path):
    breaks = _copy(tmp_path, "break")
    train = breaks / "QDMR-high-level" / "train.csv"
    lines = train.read_text().splitlines(keepends=True)
    train.write_text("".join([lines[0], *(x for x in lines[1:] if x.startswith("HOTPOT_"))]))
    with pytest.raises(ConfigError, match=r"train\.csv: no BREAK questions of this dataset"):
        get_dataset("drop", source=str(SOURCES["drop"]), break_source=str(breaks)).train_pool()
