"""`decomp adapt`: recipes checked by key, adaptation data disjoint from every evaluated question and passage,
a model folder with its card that resumes when interrupted, and curves that start from it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

import decomp.adapt
from decomp.cli import main
from decomp.errors import ConfigError
from decomp.readers.starts import RECIPES_ENV, adapted_folder, find_recipe, load_recipe

ROOT = Path(__file__).resolve().parents[2]
TINY_RECIPE = ROOT / "configs" / "adapt" / "tiny.yaml"


def _recipe(tmp_path: Path, **changes) -> Path:
    raw = yaml.safe_load(TINY_RECIPE.read_text())
    raw.update(changes)
    path = tmp_path / f"{raw['name']}.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.parametrize("changes, named", [
    ({"trainng": {"steps": 3}}, "unknown key trainng"),
    ({"sources": [{"name": "squad2"}]}, "sources[0].name 'squad2'"),
    ({"sources": [{"name": "squad", "max_question": 3}]}, "unknown key sources[0].max_question"),
    ({"training": {"steps": 0}}, "training.steps must be at least 1"),
    ({"reader": {"telepathic": {}}}, "reader must name one reader kind"),
    ({"training": {"steps": "ten"}}, "training.steps must be an integer, got 'ten'"),
    ({"training": {"steps": 3, "lr": "fast"}}, "training.lr must be a number, got 'fast'"),
])
def test_a_bad_recipe_is_refused_naming_its_key(tmp_path, changes, named):
    with pytest.raises(ConfigError, match=named.replace("[", r"\[").replace("]", r"\]")):
        load_recipe(_recipe(tmp_path, **changes))


def test_a_rate_written_5e_5_is_a_float(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(TINY_RECIPE.read_text().replace("lr: 1.0e-3", "lr: 5e-5"))  # YAML reads 5e-5 as a string
    assert load_recipe(path).training.lr == 5e-5


def test_every_shipped_recipe_loads():
    recipes = sorted((ROOT / "configs" / "adapt").glob("*.yaml"))
    assert len(recipes) >= 2
    for path in recipes:
        assert load_recipe(path).name == path.stem


def test_a_named_recipe_is_found_from_any_folder_with_the_package(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no ./configs/adapt here
    monkeypatch.delenv(RECIPES_ENV, raising=False)
    monkeypatch.setenv("DECOMP_CACHE_DIR", str(tmp_path / "cache"))
    packaged = Path(decomp.adapt.__file__).parent / "recipes" / "tiny.yaml"
    assert find_recipe("adapted/tiny") == packaged and packaged.read_text() == TINY_RECIPE.read_text()
    with pytest.raises(ConfigError, match="not adapted yet"):
        adapted_folder("adapted/tiny")
    with pytest.raises(ConfigError) as missing:
        find_recipe("adapted/nope")
    assert f"no recipe nope.yaml in configs/adapt, {packaged.parent} (set ${RECIPES_ENV}" in str(missing.value)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "tiny.yaml").write_text(TINY_RECIPE.read_text())
    monkeypatch.setenv(RECIPES_ENV, str(tmp_path / "mine"))
    assert find_recipe("adapted/tiny") == tmp_path / "mine" / "tiny.yaml"  # looked up first


def test_a_recipe_reading_a_pool_passage_stops_naming_it_before_anything_is_written(tmp_path, capsys):
    # 9 of the 100 HotpotQA train questions read a Wikipedia paragraph that a BREAK HotpotQA dev question is
    # evaluated on: without drop_overlap, the recipe must stop.
    recipe = _recipe(tmp_path, sources=[{"name": "hotpotqa-train"}])
    cache = tmp_path / "cache"
    assert main(["adapt", "--config", str(recipe), "--cache-dir", str(cache)]) == 2
    err = capsys.readouterr().err
    assert "source 'adapt-hotpotqa-train' question 'hotpotqa-train:" in err
    assert "reads passage 'passage-" in err and "hotpotqa/gold: HOTPOT_dev_" in err
    assert not cache.exists()


def test_drop_overlap_leaves_out_and_counts_what_the_evaluation_sets_read(tmp_path):
    from decomp.adapt.train import gather
    from decomp.data.datasets import resolve_data_dir
    from decomp.data.overlap import protected

    recipe = load_recipe(_recipe(tmp_path, sources=[{"name": "hotpotqa-train", "drop_overlap": True}],
                                 held_out=10))
    guard = protected(recipe.protects, resolve_data_dir())
    train, held, counts = gather(recipe, resolve_data_dir(), guard)
    assert counts["hotpotqa-train"]["dropped_overlap"] == 9
    assert len(train) + len(held) == 91 and not any(guard.touches(e) for e in [*train, *held])
    assert not {e.group for e in train} & {e.group for e in held}  # the held-out slice is whole passages


class _Interrupt(Exception):
    pass


@pytest.mark.slow
def test_adapt_writes_a_folder_with_its_card_resumes_after_an_interruption_and_starts_a_curve(tmp_path, monkeypatch,
                                                                                            capsys):
    from lightning.pytorch import Callback

    from decomp.adapt.train import adapt
    from decomp.data.datasets import resolve_data_dir
    from decomp.readers.checkpoint import AtomicCheckpointIO

    class StopAtStep4(Callback):
        def on_train_batch_end(self, trainer, *args):
            assert isinstance(trainer.strategy.checkpoint_io, AtomicCheckpointIO)
            if trainer.global_step == 4:
                raise _Interrupt

    recipe = load_recipe(TINY_RECIPE)
    cache = tmp_path / "cache"
    with pytest.raises(_Interrupt):
        adapt(recipe, resolve_data_dir(), cache, progress=False, callbacks=[StopAtStep4()])
    folder = recipe.folder(cache)
    assert not folder.exists() and (folder.with_name(folder.name + ".work") / "checkpoints" / "last.ckpt").is_file()
    assert adapt(recipe, resolve_data_dir(), cache, progress=False) == folder  # resumes from step 3
    card = json.loads((folder / "card.json").read_text())
    assert card["steps"] == recipe.training.steps == 6 and card["hash"] == recipe.digest
    assert set(card["held_out_scores"]) == {"squad", "quoref"} and card["held_out_scores"]["squad"]["n"] >= 10
    assert card["sources"]["squad"]["trained"] >= 60 and set(card["files"]) == {"squad", "quoref"}
    assert {"model.safetensors", "heads.pt", "prints.json", "tokenizer.json"} <= {p.name for p in folder.iterdir()}

    # A curve starting from the folder records its recipe and hash, and will not resume from another start.
    from tests.curves.conftest import tiny_config

    def curve(model: str) -> Path:
        raw = tiny_config(training_seeds=[0], sizes=[6], strategies=["none"],
                          tuning={"n_trials": 0, "space": {"lr": 5e-4, "batch_size": 4, "epochs": 1}})
        raw["readers"]["extractive"]["model"] = model
        path = tmp_path / "curve.yaml"
        path.write_text(yaml.safe_dump(raw))
        return path

    run_dir = tmp_path / "run"
    assert main(["curve", "--config", str(curve(str(folder))), "--run-dir", str(run_dir)]) == 0
    row = json.loads((run_dir / "results.jsonl").read_text().splitlines()[0])
    assert row["reader_args"]["init"] == {"adapted": "tiny", "hash": recipe.digest, "steps": 6}
    capsys.readouterr()
    assert main(["curve", "--config", str(curve("tiny-bert")), "--run-dir", str(run_dir)]) == 2
    assert "started from adapted model " + recipe.digest in capsys.readouterr().err


def test_a_curve_is_refused_when_its_adapted_start_read_an_evaluated_passage(tmp_path):
    from decomp.data.datasets import resolve_data_dir
    from decomp.data.overlap import paragraph_prints, protected_examples
    from decomp.readers.starts import check_curve_start

    pool = protected_examples("hotpotqa", "gold", resolve_data_dir())
    folder = tmp_path / "start"
    folder.mkdir()
    (folder / "card.json").write_text(json.dumps({"name": "leaky", "hash": "0", "steps": 1}))
    leaked = sorted(paragraph_prints(pool[5]))[0]
    (folder / "prints.json").write_text(json.dumps({"questions": {}, "paragraphs": {leaked: "adapt-x: x1"}}))
    with pytest.raises(ConfigError, match="adapted on adapt-x: x1, which shares a passage with hotpotqa/gold"):
        check_curve_start(str(folder), "hotpotqa", {"protocol": "gold"})
    (folder / "prints.json").write_text(json.dumps({"questions": {}, "paragraphs": {}}))
    check_curve_start(str(folder), "hotpotqa", {"protocol": "gold"})  # nothing shared: no error


def test_held_out_scores_take_each_sources_metric():
    from types import SimpleNamespace

    from decomp.adapt.train import held_out_scores
    from decomp.data.schema import Answer, Example, Paragraph
    from decomp.strategies import get_strategy

    def example(source: str, k: int) -> Example:
        return Example(id=f"{source}:{k}", source=source, question="Which pet?", context=(Paragraph("", "the cat"),),
                       answers=(Answer.span("the cat"),))

    reader = SimpleNamespace(strategy=get_strategy("none"), answer=lambda inputs: {i.uid: "cat cat" for i in inputs})
    scores = held_out_scores(reader, [example("adapt-squad", 0), example("adapt-hotpotqa-train", 0),
                                      example("adapt-hotpotqa-train", 1)])
    # DROP's bag of words for SQuAD-style records, HotpotQA's token F1 for HotpotQA records.
    assert scores == {"hotpotqa-train": {"n": 2, "em": 0.0, "f1": 66.67}, "squad": {"n": 1, "em": 0.0, "f1": 100.0}}


def test_a_damaged_adapted_folder_is_an_error_naming_its_file(tmp_path):
    from decomp.readers.starts import check_curve_start, read_card

    (tmp_path / "card.json").write_text("{not json")
    with pytest.raises(ConfigError, match=r"card.json is damaged .*re-run `decomp adapt`"):
        read_card(tmp_path)
    (tmp_path / "card.json").write_text(json.dumps({"name": "x", "hash": "0", "steps": 1}))
    with pytest.raises(ConfigError, match=r"prints.json: No such file"):
        check_curve_start(str(tmp_path), "hotpotqa", {"protocol": "gold"})


def test_a_sources_own_held_out_count_keeps_the_rest_for_training_and_old_recipes_their_hash(tmp_path):
    from decomp.adapt.train import gather
    from decomp.data.datasets import resolve_data_dir
    from decomp.data.overlap import protected

    sources = [{"name": "hotpotqa-train", "drop_overlap": True}]
    whole = load_recipe(_recipe(tmp_path, sources=sources, held_out=200))
    own = load_recipe(_recipe(tmp_path, sources=[{**sources[0], "held_out": 20}], held_out=200))
    guard = protected(whole.protects, resolve_data_dir())
    train, held, _ = gather(whole, resolve_data_dir(), guard)
    assert (len(train), len(held)) == (0, 91)  # the recipe's 200 take the whole small source
    train, held, _ = gather(own, resolve_data_dir(), guard)
    assert 20 <= len(held) < 30 and len(train) == 91 - len(held)
    assert own.digest != whole.digest
    # an unset override is not part of the digest: the committed recipes keep the folders they were adapted into
    assert load_recipe(ROOT / "configs" / "adapt" / "minilm-qa-drop.yaml").digest == "94b725f8e72f"
    assert load_recipe(ROOT / "configs" / "adapt" / "minilm-qa.yaml").digest == "86f44319d1dd"


@pytest.mark.parametrize("changes, named", [
    ({"sources": [{"name": "squad", "held_out": "many"}]}, "sources[0].held_out must be an integer, got 'many'"),
    ({"sources": [{"name": "squad", "max_questions": 2.5}]}, "sources[0].max_questions must be an integer"),
    ({"held_out": "all"}, "recipe.held_out must be an integer, got 'all'"),
    ({"sources": [{"name": "squad", "held_out": -5}]}, "sources[0].held_out must be at least 0, got -5"),
    ({"sources": [{"name": "squad", "max_questions": 0}]}, "sources[0].max_questions must be at least 1, got 0"),
])
def test_a_count_that_is_not_an_integer_is_named(tmp_path, changes, named):
    with pytest.raises(ConfigError, match=re.escape(named)):
        load_recipe(_recipe(tmp_path, **changes))


def test_the_synthetic_numeric_source_is_the_generators_drop_like_questions_outside_every_pool():
    from decomp.data.adaptation import SOURCES, load_source
    from decomp.data.datasets import resolve_data_dir
    from decomp.data.overlap import protected

    assert "synthetic-numeric" in SOURCES
    records = load_source("synthetic-numeric", resolve_data_dir())
    assert len(records) > 2000 and {e.source for e in records} == {"adapt-synthetic-numeric"}
    assert all(e.id.startswith("synthetic-numeric:synthetic-drop-") and e.answers for e in records)
    numeric = sum(bool(e.answers[0].number) for e in records)
    assert numeric > len(records) // 4  # counts, differences and sums, not only spans
    assert [e.id for e in load_source("synthetic-numeric", resolve_data_dir())] == [e.id for e in records]
    guard = protected({"drop": ["gold"], "hotpotqa": ["gold"]}, resolve_data_dir())
    assert not any(guard.touches(e) for e in records)
