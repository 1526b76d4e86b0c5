"""Curve progress, read from results.jsonl (so it counts every worker's rows): one line per finished
cell and a rich bar of cells done/total with an ETA."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from decomp.curves.config import CurveConfig
from decomp.curves.store import read_rows
from decomp.curves.study import row_study, study_name


class CurveProgress:
    def __init__(self, config: CurveConfig, path: Path, console: Console | None = None) -> None:
        self.path = path
        self.console = console or Console(stderr=True)
        self.expected = {study_name(config, c): c for c in config.cells()}
        self.seeds = set(config.training_seeds)
        self.reported: set[str] = set()
        self.bar = Progress(TextColumn("curve {task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=self.console)
        self.task = self.bar.add_task(config.name, total=len(self.expected))

    def __enter__(self) -> CurveProgress:
        self.bar.start()
        self.reported = set(self.finished())  # cells finished by an earlier run are not re-announced
        self.bar.update(self.task, completed=len(self.reported))
        return self

    def __exit__(self, *exc) -> None:
        self.bar.stop()

    def finished(self) -> dict[str, list[dict]]:
        by_study: dict[str, list[dict]] = {}
        for row in read_rows(self.path)[0]:
            name = row_study(row)
            if name in self.expected:
                by_study.setdefault(name, []).append(row)
        return {s: rows for s, rows in by_study.items() if {r["training_seed"] for r in rows} >= self.seeds}

    def refresh(self) -> None:
        finished = self.finished()
        for name in sorted(set(finished) - self.reported):
            rows = finished[name]
            em = sum(r["em"] for r in rows) / len(rows)
            f1 = sum(r["f1"] for r in rows) / len(rows)
            self.console.print(f"done {self.expected[name].key}: EM {em:.1f} F1 {f1:.1f} "
                               f"(mean of {len(rows)} seed(s), n_eval={rows[0]['n_eval']})")
            self.reported.add(name)
        self.bar.update(self.task, completed=len(finished))

    def summary(self) -> None:
        rows, bad = read_rows(self.path)
        note = f"; {bad} truncated line(s) skipped" if bad else ""
        self.console.print(f"{len(self.finished())}/{len(self.expected)} cells, {len(rows)} rows in {self.path}{note}")
