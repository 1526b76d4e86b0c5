"""A new strategy, reader and dataset are each one file: three modules outside the package, named by entry
points, are discovered and used by the registries, the data module, `decomp data stats` and a curve, and no file
of the repository is written. A dataset's card is the one second file (`decomp data stats` needs it)."""

from __future__ import annotations

import importlib
import shutil
import sys
from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from decomp.cli import main
from decomp.curves import signatures
from decomp.curves.store import read_rows
from decomp.data.cards import CARDS_ENV, cards_dir
from decomp.data.datasets import DATASETS, get_dataset
from decomp.data.module import DecompDataModule
from decomp.errors import ConfigError
from decomp.metrics.scoring import metric_for
from decomp.readers import REGISTRY as READERS
from decomp.readers import class_path
from decomp.strategies import REGISTRY as STRATEGIES
from decomp.strategies import get_strategy
from tests.curves.conftest import tiny_config

ROOT = Path(__file__).resolve().parents[1]

STRATEGY = '''
from decomp.strategies.base import Strategy, register, whole_question


@register
class Rephrased(Strategy):
    name = "rephrased"
    format_version = 1
    needs_decomposition = False

    def training_inputs(self, example):
        return [whole_question(example, f"Answer briefly: {example.question}")]
'''

READER = '''
from decomp.readers import register_reader
from decomp.readers.extractive import ExtractiveReader


@register_reader("short-extractive")
class ShortExtractive(ExtractiveReader):
    """Extractive, with answers of at most `max_answer_length` (5) tokens by default."""

    version = 1

    def __init__(self, max_answer_length: int = 5, **kwargs):
        super().__init__(max_answer_length=max_answer_length, **kwargs)
'''

DATASET = '''
from dataclasses import replace

from decomp.data.datasets import Dataset, register_dataset
from decomp.data.synthetic import SyntheticConfig, generate


@register_dataset
class TinySet(Dataset):
    """Generated DROP-like questions: no files, so the source options do not apply."""

    name = "tinyset"
    metric = "drop"
    generated = True

    def __init__(self, data_dir=None, lenient=True):
        super().__init__(data_dir, lenient)

    def _made(self, seed, vocab_slice):
        config = SyntheticConfig(kinds={"drop": 1.0}, vocab_slice=vocab_slice)
        return [replace(e, id=f"tinyset-{e.id}", source=self.name) for e in generate(40, seed, config)]

    def pool(self):
        return self._made(0, (0.0, 0.5))

    def deployed(self):
        return [replace(e, decomposition=(), sub_answers=()) for e in self._made(1, (0.5, 1.0))]

    def summaries(self):
        return []
'''

CARD = {"name": "tinyset", "title": "Generated DROP-like questions (a plug-in)", "role": "dataset",
        "licence": "generated", "sources": {"generated": {"description": "decomp.data.synthetic"}},
        "sizes": {"default": {"pool": 40, "deployed": 40}}}
MODULES = {"decomp_rephrased": STRATEGY, "decomp_short": READER, "decomp_tinyset": DATASET}
ENTRY_POINTS = ("[decomp.strategies]\nrephrased = decomp_rephrased\n\n[decomp.readers]\nshort-extractive = "
                "decomp_short\n\n[decomp.datasets]\ntinyset = decomp_tinyset\n")


def _repository() -> dict[str, int]:
    """Every source, config and card file of the checkout with its modification time."""
    return {str(p): p.stat().st_mtime_ns for folder in ("decomp", "configs") for p in (ROOT / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The three modules and one distribution naming them, on sys.path; the registries rediscover them and are
    restored afterwards; the repository's files are as they were."""
    before = _repository()
    for registry in (STRATEGIES, READERS, DATASETS):
        list(registry)  # the built-in members first, without the plug-ins (a module registers only when first imported)
    folder = tmp_path / "plugins"
    info = folder / "decomp_extras-0.1.dist-info"
    info.mkdir(parents=True)
    for module, text in MODULES.items():
        (folder / f"{module}.py").write_text(text)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: decomp-extras\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    monkeypatch.syspath_prepend(str(folder))
    importlib.invalidate_caches()
    for registry in (STRATEGIES, READERS, DATASETS):
        monkeypatch.setattr(registry, "_classes", dict(registry._classes))
        monkeypatch.setattr(registry, "_discovered", False)
    yield folder
    for module in MODULES:
        sys.modules.pop(module, None)
    monkeypatch.undo()  # the registries and sys.path as they were, before the check below can fail
    importlib.invalidate_caches()
    assert "tinyset" not in DATASETS
    assert _repository() == before


def test_a_strategy_in_one_file_trains_and_predicts(plugins):
    assert STRATEGIES["rephrased"].__module__ == "decomp_rephrased"
    strategy = get_strategy("rephrased")
    example = get_dataset("synthetic", n=5).pool()[0]
    (train,) = strategy.training_inputs(example)
    assert train.question == f"Answer briefly: {example.question}" and train.answers == tuple(example.gold_texts())
    (prediction,) = strategy.predict([example], lambda inputs: {i.uid: ("7", "8") for i in inputs})
    assert prediction.example_id == example.id and prediction.answer == "7, 8"
    assert prediction.trace[0]["question"] == train.question


def test_a_reader_in_one_file_is_built_with_tiny_bert_and_answers(plugins):
    # The curve check reads the reader's signature from its one file (inherited arguments too), importing nothing.
    assert "short-extractive" in signatures.reader_kinds()
    arguments = {f.name: f.default for f in fields(signatures.reader_arguments("short-extractive"))}
    assert arguments["max_answer_length"] == 5 and arguments["doc_stride"] == 128 and "decomp_short" not in sys.modules
    cls = READERS["short-extractive"]
    assert class_path("short-extractive") == "decomp_short.ShortExtractive"
    reader = cls(model="tiny-bert", max_length=64, doc_stride=16, strategy="rephrased")
    assert reader.hparams.max_answer_length == 5 and reader.strategy.name == "rephrased" and not cls.in_context
    inputs = [reader.strategy.inference_input(e) for e in get_dataset("synthetic", n=3).pool()]
    answers = reader.answer(inputs)
    assert set(answers) == {i.uid for i in inputs}


def test_a_dataset_in_one_file_gives_its_pool_a_data_module_and_with_its_card_stats(plugins, tmp_path,
                                                                                    monkeypatch, capsys):
    pool = get_dataset("tinyset").pool()
    assert len(pool) == 40 and {e.source for e in pool} == {"tinyset"} and all(e.decomposition for e in pool)
    assert metric_for("tinyset") == "drop"
    dm = DecompDataModule(dataset="tinyset", k=8, val_fraction=0.25)
    dm.setup()
    assert (len(dm.fit_set), len(dm.val_set)) == (6, 2) and dm.eval_set and dm.describe()["dataset"] == "tinyset"
    assert not {e.group for e in dm.fit_set} & {e.group for e in dm.eval_set}
    with pytest.raises(ConfigError, match="does not apply to the tinyset dataset"):
        DecompDataModule(dataset="tinyset", source="hub")

    # `decomp data stats` lists carded datasets: the card is the second file (a folder of cards, here a copy).
    assert main(["data", "stats", "--dataset", "tinyset"]) == 2
    assert "dataset 'tinyset' (decomp_tinyset.TinySet) has no card" in capsys.readouterr().err
    cards = tmp_path / "cards"
    shutil.copytree(cards_dir(), cards, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (cards / "tinyset.yaml").write_text(yaml.safe_dump(CARD))
    monkeypatch.setenv(CARDS_ENV, str(cards))
    assert main(["data", "stats", "--dataset", "tinyset"]) == 0
    out = capsys.readouterr().out
    assert "== tinyset" in out and "gold pool: 40 questions" in out and "deployed evaluation set: 40" in out


@pytest.mark.slow  # one tiny fit (~10 s)
def test_a_curve_runs_the_three_with_no_other_file(plugins, tmp_path):
    reader = {**tiny_config()["readers"]["extractive"], "max_answer_length": 4}
    curve = tmp_path / "curve.yaml"
    curve.write_text(yaml.safe_dump(tiny_config(
        dataset="tinyset", data={"eval_limit": 6}, readers={"short-extractive": reader}, strategies=["rephrased"],
        sizes=[6], training_seeds=[0], tuning={"n_trials": 0, "space": {"lr": 1e-3, "batch_size": 4, "epochs": 1}})))
    assert main(["curve", "--config", str(curve), "--run-dir", str(tmp_path / "run")]) == 0
    (row,), bad = read_rows(tmp_path / "run" / "results.jsonl")
    assert bad == 0 and (row["dataset"], row["strategy"], row["reader"]) == ("tinyset", "rephrased",
                                                                               "short-extractive")
    assert row["n_eval"] == len(row["examples"]) > 0
    assert row["reader_args"]["reader_version"] == 1 and row["reader_args"]["max_answer_length"] == 4
