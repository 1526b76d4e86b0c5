"""The dataset registry on the real shared files: pools, deployed sets, protocols, `data stats`."""

from collections import Counter

import pytest

from decomp.cli import main
from decomp.data.datasets import get_dataset, resolve_data_dir
from decomp.data.protocols import deployed_split, gold_split, nested_subset
from decomp.errors import ConfigError, DataError


@pytest.fixture(scope="module")
def drop(data_dir):
    return get_dataset("drop", data_dir=data_dir)


@pytest.fixture(scope="module")
def hotpot(data_dir):
    return get_dataset("hotpotqa", data_dir=data_dir)


def test_pool_and_deployed_sizes(drop, hotpot):
    # 1,272 DROP rows join; one of them (row 1071) has a self-referencing decomposition.
    assert len(drop.pool()) == 1271 and len(drop.deployed()) == 4183
    assert len(hotpot.pool()) == 307 and len(hotpot.deployed()) == 1369
    for e in drop.pool() + hotpot.pool():
        assert e.decomposition and e.context and e.gold_texts()


@pytest.mark.parametrize("name", ["drop", "hotpotqa"])
def test_gold_folds_on_real_pool(name, data_dir):
    pool = get_dataset(name, data_dir=data_dir).pool()
    evaluated = Counter()
    for fold in range(5):
        split = gold_split(pool, fold, n_folds=5, seed=0)
        train_passages = {e.passage for e in split.train}
        assert not train_passages & {e.passage for e in split.eval}  # no passage on both sides
        assert not {e.group for e in split.train} & {e.group for e in split.eval}
        evaluated.update(e.id for e in split.eval)
        subsets = [nested_subset(split.train, k, subset_seed=1) for k in (8, 64, 128)]
        assert [e.id for e in subsets[1][:8]] == [e.id for e in subsets[0]]
        assert {e.id for e in subsets[2]} <= {e.id for e in split.train}
    assert len(evaluated) == len(pool) and set(evaluated.values()) == {1}


@pytest.mark.parametrize("name", ["drop", "hotpotqa"])
def test_deployed_protocol_shares_no_passage(name, data_dir):
    dataset = get_dataset(name, data_dir=data_dir)
    split = deployed_split(dataset.pool(), dataset.deployed())
    assert not {e.passage for e in split.train} & {e.passage for e in split.eval}
    assert not any(e.decomposition for e in split.eval)


def test_stats_prints_join_figures(data_dir, capsys):
    assert main(["data", "stats", "--dataset", "drop", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "QDMR-high-level/dev: 1,272/1,273 joined" in out and "ambiguous_passage 1" in out
    assert "row 1071, field 'decomposition'" in out and "gold pool: 1,271 questions" in out
    assert main(["data", "stats", "--dataset", "hotpotqa", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "QDMR-high-level/dev: 307/1,382 joined" in out and "1,369 questions" in out


def test_strict_loading_names_the_bad_row(data_dir):
    with pytest.raises(DataError, match="dev.csv, row 1071, field 'decomposition'"):
        get_dataset("drop", data_dir=data_dir, lenient=False).pool()


def test_bad_data_dir_names_the_flag(tmp_path, monkeypatch, capsys):
    with pytest.raises(ConfigError, match="--data-dir"):
        resolve_data_dir(tmp_path)
    monkeypatch.delenv("DECOMP_DATA_DIR")
    with pytest.raises(ConfigError, match="DECOMP_DATA_DIR"):
        resolve_data_dir(None)
    assert main(["data", "stats", "--dataset", "drop", "--data-dir", str(tmp_path)]) == 2
    assert "has no raw/ subfolder" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="unknown dataset 'squad'"):
        get_dataset("squad")
