"""The few-shot budget rule of each adapted DROP curve is the one its committed candidate rows choose, on a fold the
curve does not evaluate with that rule."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("choose_budget_rule", ROOT / "configs" / "choose_budget_rule.py")
rule = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rule)


def _candidate(root: Path, epochs: int, ems: list[float]) -> Path:
    folder = root / f"drop-rule-epochs{epochs}"
    folder.mkdir()
    rows = [{"strategy": "prior", "em": 90.0}] + [{"strategy": "none", "em": em} for em in ems]
    (folder / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


def test_the_best_complete_candidate_wins_and_a_tie_goes_to_fewer_epochs(tmp_path):
    folders = [_candidate(tmp_path, 10, [30, 30, 30, 30]), _candidate(tmp_path, 3, [30, 30, 30, 30]),
               _candidate(tmp_path, 1, [40, 40, 40])]  # incomplete: one fit missing
    assert rule.choose(rule.candidate_scores(folders)) == 3
    (tmp_path / "x").mkdir()
    with pytest.raises(SystemExit, match="epochs<N>"):
        rule.candidate_scores([tmp_path / "x"])


def test_the_committed_curve_runs_the_rule_its_committed_candidates_choose():
    folders = sorted((ROOT / "leaderboard" / "budget-rule").glob("drop-rule-epochs*"))
    assert len(folders) == 3
    chosen = rule.choose(rule.candidate_scores(folders))
    config = yaml.safe_load((ROOT / "configs" / "curves" / "drop-cpu-adapted-long.yaml").read_text())
    assert config["tuning"]["space"]["epochs"] == chosen
    for folder in folders:  # the candidates ran on another fold than the curve evaluates
        rows = [json.loads(line) for line in (folder / "results.jsonl").read_text().splitlines()]
        assert {r["fold"] for r in rows} == {1} and 1 not in config["folds"]


@pytest.mark.parametrize(("config_name", "candidates", "rule_fold"), [
    ("drop-cpu-adapted-folds.yaml", "drop-rule-epochs*", 1),
    ("drop-cpu-adapted-long-fold1.yaml", "drop-rule-f2-epochs*", 2),
])
def test_each_fold_of_the_five_fold_curve_runs_a_rule_chosen_on_another_fold(config_name, candidates, rule_fold):
    folders = sorted((ROOT / "leaderboard" / "budget-rule").glob(candidates))
    assert len(folders) == 3
    config = yaml.safe_load((ROOT / "configs" / "curves" / config_name).read_text())
    rule_epochs = config["budget"].get("rule_epochs", config["tuning"]["space"].get("epochs"))
    assert rule_epochs == rule.choose(rule.candidate_scores(folders))
    for folder in folders:
        rows = [json.loads(line) for line in (folder / "results.jsonl").read_text().splitlines()]
        assert {r["fold"] for r in rows} == {rule_fold} and rule_fold not in config["folds"]


def test_the_fold1_config_differs_from_its_curve_only_in_folds_rule_and_run_dir():
    def read(name):
        return yaml.safe_load((ROOT / "configs" / "curves" / name).read_text())
    main, fold1 = read("drop-cpu-adapted-long.yaml"), read("drop-cpu-adapted-long-fold1.yaml")
    assert fold1["budget"].pop("rule_epochs") == 10 and fold1.pop("folds") == [1] and 1 not in main.pop("folds")
    fold1.pop("run_dir"), main.pop("run_dir")
    assert fold1 == main


def test_each_fold_runs_the_large_size_budget_chosen_on_another_fold():
    runs = ROOT / "leaderboard" / "runs"
    on_fold1 = rule.choose_large(rule.none_scores(ROOT / "leaderboard" / "budget-rule" / "drop-rule-large-cap"),
                                 rule.none_scores(ROOT / "leaderboard" / "budget-rule" / "drop-rule-large-stop"))
    on_fold0 = rule.choose_large(rule.none_scores(runs / "drop-cpu-adapted-long", fold=0),
                                 rule.none_scores(runs / "drop-cpu-adapted-folds" / "superseded.jsonl", fold=0))
    assert on_fold1 == on_fold0 == "cap"  # cap: the space's 1 epoch bounds the large sizes' fits
    for name, chosen_on in (("drop-cpu-adapted-long.yaml", 1), ("drop-cpu-adapted-long-fold1.yaml", 0)):
        config = yaml.safe_load((ROOT / "configs" / "curves" / name).read_text())
        assert config["tuning"]["space"]["epochs"] == 1 and chosen_on not in config["folds"]


def test_early_stopping_wins_the_large_sizes_only_by_the_margin_written_before_the_rows():
    cap = [30.0, 30.0, 30.0, 30.0]
    assert rule.choose_large(cap, [30.9] * 4) == "cap"  # a gain below 1 EM is not worth 4-10x CPU
    assert rule.choose_large(cap, [31.0] * 4) == "stop"
    with pytest.raises(SystemExit, match="all 4 fits"):
        rule.choose_large(cap, [40.0] * 3)


def test_a_candidate_folder_without_rows_is_named(tmp_path):
    with pytest.raises(SystemExit, match=f"{tmp_path}/results.jsonl: no candidate rows"):
        rule.none_scores(tmp_path)


def test_a_fold_that_is_not_a_number_is_named(tmp_path):
    with pytest.raises(SystemExit, match="--fold takes a fold number, got 'one'"):
        rule.main(["--large", str(tmp_path), str(tmp_path), "--fold", "one"])
