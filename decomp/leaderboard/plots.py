"""The leaderboard's figures as SVG text: learning curves and the difference to `none`, one pair per group.

The SVG must be byte-identical across runs so the committed report only changes when the rows do: fixed
hash salt (element ids), no date or version metadata, fixed figure size, colours fixed per strategy name.
matplotlib is imported lazily (only writing a report needs it) and used without pyplot, so no global
figure state or interactive backend is involved.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable

from decomp.leaderboard.model import Crossover, Group, Size, size_key

# Fixed per strategy so a strategy keeps its colour across groups, figures and regenerations.
COLORS = {
    "none": "#4d4d4d",
    "prior": "#a0a0a0",
    "explicit": "#1f77b4",
    "explicit-hybrid": "#d62728",
    "implicit-operators": "#2ca02c",
    "implicit-steps": "#9467bd",
}
_FALLBACK = ("#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f")
METRICS = (("em", "EM"), ("f1", "F1"))
FIGSIZE = (9.0, 3.6)  # inches; both figures share it so the report lays out evenly
_RC = {
    "svg.hashsalt": "decomp-leaderboard",
    "svg.fonttype": "path",  # glyphs as paths: the page looks the same whatever fonts the viewer has
    "font.family": "DejaVu Sans",
    "font.size": 9.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_MARGIN = 1.6  # x-axis room either side of the extreme sizes (a factor: the axis is logarithmic)
_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}


def color(strategy: str) -> str:
    if strategy in COLORS:
        return COLORS[strategy]
    digest = hashlib.sha256(strategy.encode()).digest()
    return _FALLBACK[digest[0] % len(_FALLBACK)]


def size_label(k: Size) -> str:
    return "all" if k == "all" else str(k)


ZERO_SHOT_GAP = 4.0  # size 0 sits this factor left of the smallest size (a log axis has no 0)


def _x_positions(group: Group) -> dict[Size, float]:
    """x of each size: the mean training-set size over the strategies' points (the same for numeric k); a
    zero-shot size (no training examples) a fixed factor left of the smallest size, labelled 0."""
    xs: dict[Size, list[float]] = {}
    for point in group.points:
        xs.setdefault(point.k, []).append(point.n_train)
    positions = {k: sum(v) / len(v) for k, v in xs.items() if sum(v) > 0}
    for k, v in xs.items():
        if sum(v) <= 0:
            positions[k] = min(positions.values(), default=ZERO_SHOT_GAP) / ZERO_SHOT_GAP
    return positions


def _dodge(strategies: Iterable[str]) -> dict[str, float]:
    """Small multiplicative x offsets so error bars of different strategies do not hide each other."""
    names = list(strategies)
    mid = (len(names) - 1) / 2
    return {name: 1.06 ** (i - mid) for i, name in enumerate(names)}


def _format_x_axis(ax, positions: dict[Size, float]) -> None:
    ax.set_xscale("log")
    ticks = sorted(positions.items(), key=lambda item: size_key(item[0]))
    ax.set_xticks([x for _, x in ticks], [size_label(k) for k, _ in ticks])
    ax.minorticks_off()
    ax.set_xlim(min(positions.values()) / _MARGIN, max(positions.values()) * _MARGIN)
    zero = "; 0: zero-shot, drawn left of the smallest size" if 0 in positions else ""
    ax.set_xlabel(f"training examples k (log scale{zero})")
    ax.grid(True, axis="y", color="#e0e0e0", linewidth=0.6)


def _svg(fig) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata=_METADATA)
    return buffer.getvalue()


def curve_svg(group: Group) -> str:
    """EM and F1 against k, one line per strategy (mean over seeds) with its 95% band."""
    import matplotlib
    from matplotlib.figure import Figure

    positions = _x_positions(group)
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=FIGSIZE, layout="constrained")
        axes = fig.subplots(1, len(METRICS))
        for ax, (metric, label) in zip(axes, METRICS, strict=True):
            _format_x_axis(ax, positions)
            for strategy in group.strategies:
                points = sorted(
                    (p for p in group.points if p.strategy == strategy and p.k in positions),
                    key=lambda p: size_key(p.k),
                )
                if not points:
                    continue
                xs = [positions[p.k] for p in points]
                scores = [getattr(p, metric) for p in points]
                c = color(strategy)
                ax.fill_between(xs, [s.lo for s in scores], [s.hi for s in scores], color=c, alpha=0.15, lw=0)
                ax.plot(xs, [s.mean for s in scores], color=c, marker="o", markersize=3.5, lw=1.4, label=strategy)
            ax.set_ylabel(f"{label} (%)")
            ax.set_title(f"{label}: mean and 95% interval")
        axes[0].legend(loc="upper left", frameon=False)
        fig.suptitle(group.title)
        return _svg(fig)


def _shade_crossover(ax, crossover: Crossover, positions: dict[Size, float], c: str) -> None:
    """The crossover as a dashed line at k and its bootstrap interval as a shaded span; a bound of None
    (no crossover in that replicate) extends the span to the right edge."""
    largest = max(positions.values())
    edge = largest * _MARGIN
    lo = positions.get(crossover.lo, edge) if crossover.lo is not None else largest
    hi = positions.get(crossover.hi, edge) if crossover.hi is not None else edge
    ax.axvspan(lo / 1.03, hi * 1.03, color=c, alpha=0.08, lw=0)
    if crossover.k is not None and crossover.k in positions:
        ax.axvline(positions[crossover.k], color=c, ls="--", lw=0.9)


def difference_svg(group: Group) -> str:
    """strategy - none at each k with its 95% interval, a zero line and each strategy's crossover."""
    import matplotlib
    from matplotlib.figure import Figure

    positions = _x_positions(group)
    against_none = {d.strategy for d in group.differences if d.baseline == "none"}
    strategies = [s for s in group.strategies if s in against_none]
    dodge = _dodge(strategies)
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=FIGSIZE, layout="constrained")
        axes = fig.subplots(1, len(METRICS))
        for ax, (metric, label) in zip(axes, METRICS, strict=True):
            _format_x_axis(ax, positions)
            ax.axhline(0.0, color="black", lw=0.8)
            for strategy in strategies:
                diffs = sorted(
                    (d for d in group.differences
                     if d.strategy == strategy and d.baseline == "none" and d.k in positions),
                    key=lambda d: size_key(d.k),
                )
                c = color(strategy)
                for crossover in group.crossovers:
                    if crossover.strategy == strategy and crossover.metric == metric:
                        _shade_crossover(ax, crossover, positions, c)
                if not diffs:
                    continue
                xs = [positions[d.k] * dodge[strategy] for d in diffs]
                scores = [getattr(d, metric) for d in diffs]
                means = [s.mean for s in scores]
                errors = [[s.mean - s.lo for s in scores], [s.hi - s.mean for s in scores]]
                ax.errorbar(xs, means, yerr=errors, color=c, marker="o", markersize=3.5, lw=1.2, capsize=2.5,
                            label=strategy)
            ax.set_ylabel(f"{label} difference to none (points)")
            ax.set_title(f"{label}: strategy - none; shaded: crossover interval")
        if strategies:
            axes[0].legend(loc="upper right", frameon=False)
        fig.suptitle(group.title)
        return _svg(fig)
