"""Dataset cards (decomp/data/cards/*.yaml) and the registry discovered from decomp/data/dataset_*.py agree."""

from __future__ import annotations

import hashlib
import shutil

import pytest
import yaml

from decomp.data import cards
from decomp.data.cards import card, cards_dir, check_registry, load_cards, official_files
from decomp.data.datasets import DATASETS, Dataset, register_dataset
from decomp.data.sources import break_, drop, hotpotqa
from decomp.errors import ConfigError, DataError


def test_the_registry_is_what_the_cards_declare():
    assert set(DATASETS) == {"drop", "hotpotqa", "synthetic"}
    check_registry(DATASETS)
    assert {n for n, c in load_cards().items() if c["role"] == "dataset"} == set(DATASETS)
    assert cards_dir() == cards.Path(cards.__file__).resolve().parent  # package data beside the module


def test_cards_name_the_loaders_hub_datasets_and_official_files():
    assert card("break")["sources"]["hub"]["name"] == break_.HUB_NAME
    assert card("drop")["sources"]["hub"]["name"] == drop.HUB_NAME
    assert card("hotpotqa")["sources"]["hub"]["name"] == hotpotqa.HUB_NAME
    assert official_files("drop") == {"train": "drop_dataset_train.json", "dev": "drop_dataset_dev.json"}
    assert official_files("hotpotqa") == {"train": "hotpot_train_v1.1.json", "dev": "hotpot_dev_distractor_v1.json"}


def test_shared_checksums_in_the_cards_match_the_files(data_dir):
    checked = 0
    for c in load_cards().values():
        for f in (c["sources"].get("shared") or {}).get("files") or ():
            digest = hashlib.sha256((data_dir / f["path"]).read_bytes()).hexdigest()
            assert digest == f["sha256"], f["path"]
            checked += 1
    assert checked == 11


def test_a_duplicate_dataset_name_names_both_places():
    class Other(Dataset):
        name = "drop"

    with pytest.raises(ConfigError, match=r"duplicate dataset name 'drop': .*test_cards\..*Other and "
                                          r"decomp\.data\.dataset_drop\.Drop both register it"):
        register_dataset(Other)
    assert DATASETS["drop"].__module__ == "decomp.data.dataset_drop"


def test_a_dataset_without_card_or_a_card_without_dataset(tmp_path, monkeypatch):
    for name in ("drop", "synthetic", "break"):
        shutil.copy(cards_dir() / f"{name}.yaml", tmp_path)
    monkeypatch.setenv(cards.CARDS_ENV, str(tmp_path))
    with pytest.raises(ConfigError, match=r"'hotpotqa' \(decomp\.data\.dataset_hotpotqa\.HotpotQA\) has no card"):
        check_registry(DATASETS)
    extra = yaml.safe_load((tmp_path / "drop.yaml").read_text()) | {"name": "squad"}
    (tmp_path / "squad.yaml").write_text(yaml.safe_dump(extra))
    shutil.copy(cards.Path(cards.__file__).parent / "hotpotqa.yaml", tmp_path)
    with pytest.raises(ConfigError, match="card .*squad.yaml declares dataset 'squad', but no module registers it"):
        check_registry(DATASETS)
    (tmp_path / "squad.yaml").write_text("name: squad\nrole: dataset\n")
    with pytest.raises(DataError, match=r"squad\.yaml, field 'title': missing"):
        load_cards()
