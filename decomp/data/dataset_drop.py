"""BREAK-DROP: BREAK's DROP questions joined to DROP (the shared flattened dev copy, the official JSON, or the hub).

Against the official JSON or the hub the join is exact on (section_id, query_id); against the shared copy,
which has no ids, it follows shared/data/SOURCES.md (see `decomp.data.join_drop`). BREAK train questions
come from DROP train, BREAK dev and test from DROP dev.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from decomp.data.cards import official_files
from decomp.data.datasets import Dataset, JoinSummary, check_join, register_dataset
from decomp.data.schema import Example
from decomp.data.sources.locate import FOLDER, HUB, HUB_SPLITS, SHARED, break_file, check_json_layout
from decomp.errors import ConfigError

SHARED_FILE = Path("raw") / "drop" / "simple-evals" / "drop_v0_dev.jsonl.gz"


def drop_side(break_split: str) -> str:
    """The DROP split a BREAK split's questions come from (BREAK dev and test are both DROP dev)."""
    return "train" if break_split == "train" else "dev"


@register_dataset
class Drop(Dataset):
    """BREAK DROP questions joined to DROP records with passage and validated answers."""

    name = "drop"
    metric = "drop"

    # --- inputs ----------------------------------------------------------------------------------------
    def _drop_input(self, side: str) -> Path | str:
        if self.source.kind == SHARED:
            if side == "train":
                raise ConfigError("source=shared: the shared DROP copy is DROP dev only; name the official "
                                  f"folder (holding {official_files(self.name)['train']}) or `hub` as data.source")
            return self.data_dir / SHARED_FILE
        if self.source.kind == HUB:
            from decomp.data.sources.drop import HUB_NAME

            return f"hub:{HUB_NAME}:{HUB_SPLITS[side]}"
        return self.source.file(official_files(self.name)[side], f"DROP {side} JSON")

    def _inputs(self, *splits: str) -> list[Path | str]:
        breaks = self.break_inputs(*splits)
        return [*breaks, *dict.fromkeys(self._drop_input(drop_side(s)) for s in splits)]

    def records(self, side: str) -> list[Example]:
        """Every DROP question of one side ("train" or "dev") in the configured source."""
        if ("records", side) not in self._memo:
            from decomp.data.sources.drop import load_drop_hub, load_drop_json, load_drop_simple_evals

            path = self._drop_input(side)
            if self.source.kind == SHARED:
                load = load_drop_simple_evals(path)
            elif self.source.kind == HUB:
                load = load_drop_hub(HUB_SPLITS[side], lenient=self.lenient)
            else:
                check_json_layout(Path(path), "{", f"the official DROP {side} JSON (an object keyed by section_id "
                                  "with passage, qa_pairs and validated_answers)")
                load = load_drop_json(path, split=side, lenient=self.lenient)
            if not load.examples:
                raise ConfigError(f"{load.path}: no DROP questions (expected the DROP {side} set)")
            # One split name whatever the source (the hub says `validation`); the shared copy keeps its own.
            self._memo["records", side] = load.examples if self.source.kind == SHARED else \
                [replace(e, split=side) for e in load.examples]
            self._memo["skipped", side] = load.skipped
        return self._memo["records", side]

    def join(self, split: str):
        """BREAK `split` joined to the DROP side it comes from (checked: at least half must join)."""
        if ("join", split) not in self._memo:
            from decomp.data.join_drop import join_break_drop

            table = self.break_table(split)
            joined = join_break_drop(table, self.records(drop_side(split)))
            side = drop_side(split)
            check_join(table.path, joined.report.joined, joined.report.total, self.source,
                       f"BREAK {split} questions come from DROP {side}: is the DROP {side} file the right one?")
            self._memo["join", split] = joined
        return self._memo["join", split]

    # --- sets ------------------------------------------------------------------------------------------
    def _gold(self, split: str) -> list[Example]:
        from decomp.data.sources.drop import passage_key

        # Group by passage text, not section: a few passages recur under two section ids (247 sections,
        # 244 distinct texts), and folds must never put one passage on both sides.
        return self._cached(f"{split}-pool", self._inputs(split),
                            lambda: [replace(e, group=passage_key(e.passage))
                                     for e in self.join(split).examples if e.decomposition])

    def pool(self) -> list[Example]:
        return self._gold("dev")

    def train_pool(self) -> list[Example]:
        return self._gold("train")

    def deployed(self) -> list[Example]:
        from decomp.data.join_drop import passage_disjoint

        def build():
            groups = passage_disjoint(self.records("dev"), self.join("dev").examples,
                                      within=self.join("test").examples)
            return [e for key in sorted(groups) for e in groups[key]]

        return self._cached("deployed", self._inputs("dev", "test"), build)

    def adaptation_records(self) -> list[Example]:
        """Every DROP dev question: adaptation then leaves out those the protected sets touch (their passages)."""
        return self.records("dev")

    def silver(self, side: str) -> list[Example]:
        """DROP questions of `side` that BREAK does not cover; on the dev side only those on BREAK-dev passages
        (the gold pool's passages: folds then keep every passage on one side)."""
        from decomp.data.sources.drop import passage_key

        split = "train" if side == "train" else "dev"

        def build():
            joined = self.join(split).examples
            query_ids = {e.meta.get("query_id") for e in joined}
            lines = {e.meta.get("drop_line") for e in joined} - {None}
            passages = {passage_key(e.passage) for e in joined}
            out = []
            for e in self.records(drop_side(split)):
                if e.meta.get("query_id") in query_ids or e.meta.get("line") in lines:
                    continue
                if split == "dev" and passage_key(e.passage) not in passages:
                    continue
                out.append(replace(e, group=passage_key(e.passage), decomposition=(), sub_answers=()))
            return out

        return self._cached(f"{split}-silver", self._inputs(split), build)

    # --- stats -----------------------------------------------------------------------------------------
    def _available_splits(self) -> list[str]:
        splits = ["train", "dev", "test"]
        if self.source.kind == SHARED or (self.break_source.kind == SHARED):
            splits = ["dev", "test"]  # the shared layout has neither BREAK train nor DROP train
        elif self.break_source.kind == FOLDER:
            splits = [s for s in splits
                      if break_file(self.break_source, None, self.break_config, s).is_file()]
        return splits

    def summaries(self) -> list[JoinSummary]:
        out = []
        for split in self._available_splits():
            j, table = self.join(split), self.break_table(split)
            out.append(JoinSummary(j.report.break_file, j.report.total, j.report.joined, dict(j.report.status),
                                   table.problems("DROP"), sum(1 for e in j.examples if e.decomposition)))
        return out

    def notes(self) -> list[str]:
        """Malformed DROP records the lenient load skipped (stats runs `summaries` first, which loads them)."""
        lines = []
        for side in ("train", "dev"):
            skipped = self._memo.get(("skipped", side)) or []
            if skipped:
                lines.append(f"DROP {side}: {len(skipped):,} malformed record(s) skipped")
                lines.extend(f"  {problem}" for problem in skipped)
        return lines
