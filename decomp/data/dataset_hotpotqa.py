"""BREAK-HotpotQA: BREAK's HOTPOT questions joined by HotpotQA id to the distractor setting's records (the
shared copies in raw/hotpotqa, the official JSON, or the hub), with a context setting:

- `distractor`: the 10 paragraphs as released (2 supporting, 8 retrieved distractors);
- `gold`: the supporting paragraphs in a seeded order, plus `n_distractors` of the others (seeded).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from decomp.data.cards import official_files
from decomp.data.datasets import Dataset, JoinSummary, check_join, register_dataset
from decomp.data.schema import Example
from decomp.data.sources.locate import FOLDER, HUB, HUB_SPLITS, SHARED, break_file, check_json_layout
from decomp.errors import ConfigError, DataError
from decomp.hashing import seeded_rank

CONTEXTS = ("distractor", "gold")


def gold_context(example: Example, n_distractors: int = 0, seed: int = 0) -> Example:
    """The supporting paragraphs plus `n_distractors` others, all in a seeded order (never the file's: it
    would tell a reader which paragraphs are gold)."""
    titles = example.supporting_titles()
    gold = [p for p in example.context if p.title in titles]
    if not gold:
        raise DataError("no supporting paragraph in the context (context=gold needs supporting facts)",
                        file=",".join(example.meta.get("sources") or [example.meta.get("break_file", "")]),
                        row=example.id, field="supporting_facts")
    others = sorted((p for p in example.context if p.title not in titles),
                    key=lambda p: seeded_rank(seed, f"{example.id}:distractor:{p.title}"))
    chosen = gold + others[:n_distractors]
    order = sorted(range(len(chosen)), key=lambda i: seeded_rank(seed, f"{example.id}:order:{chosen[i].title}:{i}"))
    return replace(example, context=tuple(chosen[i] for i in order))


@register_dataset
class HotpotQA(Dataset):
    """BREAK HOTPOT questions joined to HotpotQA distractor records."""

    name = "hotpotqa"
    metric = "hotpot"

    def __init__(self, data_dir: str | Path | None = None, lenient: bool = True, source: str | None = None,
                 break_source: str | None = None, break_config: str = "QDMR-high-level",
                 context: str = "distractor", n_distractors: int = 0, context_seed: int = 0) -> None:
        super().__init__(data_dir, lenient, source, break_source, break_config)
        if context not in CONTEXTS:
            raise ConfigError(f"context must be one of {CONTEXTS}, got {context!r}")
        if context == "distractor" and n_distractors:
            raise ConfigError("n_distractors applies to context=gold (distractor keeps all 10 paragraphs)")
        if isinstance(n_distractors, bool) or not isinstance(n_distractors, int) or n_distractors < 0:
            raise ConfigError(f"n_distractors must be an integer >= 0, got {n_distractors!r}")
        if break_config != "QDMR-high-level":
            raise ConfigError("BREAK has HotpotQA questions in QDMR-high-level only")
        self.context, self.n_distractors, self.context_seed = context, n_distractors, context_seed

    def describe(self) -> dict:
        return {"context": self.context, "n_distractors": self.n_distractors if self.context == "gold" else None,
                "context_seed": self.context_seed if self.context == "gold" else None}

    def finish(self, examples: list[Example]) -> list[Example]:
        if self.context == "distractor":
            return examples
        return [gold_context(e, self.n_distractors, self.context_seed) for e in examples]

    # --- inputs ----------------------------------------------------------------------------------------
    def _hotpot_inputs(self, side: str) -> list[Path | str]:
        if self.source.kind == SHARED:
            if side == "train":
                raise ConfigError("source=shared: the shared HotpotQA copies are dev questions only; name the official "
                                  f"folder (holding {official_files(self.name)['train']}) or `hub` as data.source")
            root = self.data_dir / "raw" / "hotpotqa"
            return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
        if self.source.kind == HUB:
            return [f"hub:hotpot_qa/distractor/{HUB_SPLITS[side]}"]
        return [self.source.file(official_files(self.name)[side], f"HotpotQA {side} JSON")]

    def _inputs(self, *splits: str) -> list[Path | str]:
        breaks = self.break_inputs(*splits)
        sides = dict.fromkeys("train" if s == "train" else "dev" for s in splits)
        return [*breaks, *(p for side in sides for p in self._hotpot_inputs(side))]

    def _union(self):
        if "union" not in self._memo:
            from decomp.data.sources.hotpotqa import load_hotpotqa_dir

            self._memo["union"] = load_hotpotqa_dir(self.data_dir / "raw" / "hotpotqa", lenient=self.lenient)
        return self._memo["union"]

    def records(self, side: str) -> list[Example]:
        """Every HotpotQA distractor question of one side ("train" or "dev") in the configured source."""
        if ("records", side) not in self._memo:
            from decomp.data.sources.hotpotqa import load_hotpotqa_file, load_hotpotqa_hub

            paths = self._hotpot_inputs(side)
            if self.source.kind == SHARED:
                examples = self._union().examples
            elif self.source.kind == HUB:
                examples = load_hotpotqa_hub("distractor", HUB_SPLITS[side], lenient=self.lenient).examples
            else:
                path = check_json_layout(Path(paths[0]), "[", f"the official HotpotQA {side} JSON (an array of "
                                         "{_id, question, answer, supporting_facts, context})")
                table = load_hotpotqa_file(path, lenient=self.lenient, label=path.name)
                if table.format != "official":
                    raise DataError(f"expected the official HotpotQA schema, found the {table.format!r} schema",
                                    file=str(path))
                examples = table.examples
            if not examples:
                raise ConfigError(f"{paths[0]}: no HotpotQA questions (expected the HotpotQA {side} set)")
            # One split name whatever the source (the hub says `validation`); the shared copies keep their own.
            self._memo["records", side] = examples if self.source.kind == SHARED else \
                [replace(e, split=side) for e in examples]
        return self._memo["records", side]

    def join(self, split: str):
        """(examples, report) of BREAK `split` joined to the HotpotQA side it comes from."""
        if ("join", split) not in self._memo:
            from decomp.data.join_hotpotqa import join_hotpotqa

            side = "train" if split == "train" else "dev"
            table = self.break_table(split)
            examples, report = join_hotpotqa(table, self.records(side))
            check_join(table.path, report.joined, report.total, self.source,
                       f"BREAK {split} questions come from HotpotQA {side}: is the HotpotQA {side} file the right one?")
            self._memo["join", split] = examples, report
        return self._memo["join", split]

    # --- sets ------------------------------------------------------------------------------------------
    def _gold(self, split: str) -> list[Example]:
        return self.finish(self._cached(f"{split}-pool", self._inputs(split),
                                        lambda: [e for e in self.join(split)[0] if e.decomposition]))

    def pool(self) -> list[Example]:
        return self._gold("dev")

    def train_pool(self) -> list[Example]:
        return self._gold("train")

    def deployed(self) -> list[Example]:
        from decomp.data.join_hotpotqa import deployed_set

        return self.finish(self._cached("deployed", self._inputs("dev"),
                                        lambda: deployed_set(self.records("dev"), self.join("dev")[0])))

    def silver(self, side: str) -> list[Example]:
        """HotpotQA train questions BREAK does not decompose (the dev side's are the deployed evaluation set)."""
        if side != "train":
            raise ConfigError("HotpotQA questions outside BREAK dev are the deployed evaluation set: predicted "
                              "training decompositions need the splits protocol (HotpotQA train)")
        from decomp.data.join_hotpotqa import deployed_set

        return self.finish(self._cached("train-silver", self._inputs("train"),
                                        lambda: deployed_set(self.records("train"), self.join("train")[0])))

    # --- stats -----------------------------------------------------------------------------------------
    def _available_splits(self) -> list[str]:
        if SHARED in (self.source.kind, self.break_source.kind):
            return ["dev", "test"]
        if self.break_source.kind == FOLDER:
            return [s for s in ("train", "dev", "test")
                    if break_file(self.break_source, None, self.break_config, s).is_file()]
        return ["train", "dev", "test"]

    def summaries(self) -> list[JoinSummary]:
        out = []
        for split in self._available_splits():
            examples, r = self.join(split)
            statuses = {"matched_by_id": r.by_id, "matched_by_question": r.by_question,
                        "no_context_found": r.unjoined}
            path = Path(r.break_file)
            out.append(JoinSummary(f"{path.parent.name}/{path.stem}", r.total, r.joined, statuses,
                                   self.break_table(split).problems("HOTPOT"),
                                   sum(1 for e in examples if e.decomposition)))
        return out

    def notes(self) -> list[str]:
        if self.source.kind != SHARED:
            return []
        union = self._union()
        return [f"raw/hotpotqa: {union.rows:,} rows in {len(union.tables)} files -> {len(union.examples):,} "
                f"distinct questions ({union.duplicates:,} duplicates merged, {len(union.skipped):,} skipped)",
                *union.skipped]
