"""Markdown (for the repository) and a self-contained HTML page (inline SVG and CSS, no scripts, no
external URLs) from the report's blocks."""

from __future__ import annotations

import html
import re
from pathlib import Path

from decomp.leaderboard.blocks import Block, Bullets, Code, Heading, Image, Para, Table, report_blocks
from decomp.leaderboard.model import Leaderboard

# ---------------------------------------------------------------- Markdown


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_block(block: Block) -> str:
    if isinstance(block, Heading):
        return f"{'#' * block.level} {block.text}"
    if isinstance(block, Para):
        return block.text
    if isinstance(block, Bullets):
        return "\n".join(f"- {item}" for item in block.items)
    if isinstance(block, Table):
        lines = ["| " + " | ".join(_md_cell(h) for h in block.headers) + " |",
                 "|" + "|".join("---" for _ in block.headers) + "|"]
        lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block.rows]
        return "\n".join(lines)
    if isinstance(block, Code):
        return f"```\n{block.text}\n```"
    if isinstance(block, Image):
        return f"![{block.alt}]({block.path})"
    return block.text.strip("\n")


def render_markdown(board: Leaderboard, notes: str | None = None) -> str:
    return "\n\n".join(_md_block(block) for block in report_blocks(board, notes)) + "\n"


# ---------------------------------------------------------------- HTML

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 70rem;
       padding: 0 1rem; color: #222; line-height: 1.45; }
table { border-collapse: collapse; margin: 0.5rem 0 1.2rem; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: left; }
th { background: #f2f2f2; }
td { font-variant-numeric: tabular-nums; }
code, pre { background: #f6f6f6; font-family: ui-monospace, monospace; }
pre { padding: 0.6rem; overflow-x: auto; }
.notes { white-space: pre-wrap; border-left: 3px solid #ccc; padding-left: 0.8rem; }
figure { margin: 0.5rem 0 1rem; }
figure svg { width: 100%; height: auto; max-width: 60rem; display: block; }
""".strip()


def _inline(text: str) -> str:
    out = html.escape(text, quote=False)
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", out)


def inline_svg(svg: str, prefix: str) -> str:
    """An SVG document made fit to sit inside HTML: no XML prolog or DOCTYPE, and ids prefixed so the
    figures on one page cannot collide (matplotlib reuses glyph and clip-path ids across figures)."""
    body = svg[svg.index("<svg"):]
    body = re.sub(r"<metadata>.*?</metadata>\s*", "", body, flags=re.S)
    ids = set(re.findall(r'\bid="([^"]+)"', body))
    body = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', body)
    body = re.sub(r'(href="#|url\(#)([^")]+)', lambda m: m.group(1) + (f"{prefix}-{m.group(2)}" if m.group(2) in ids
                                                                        else m.group(2)), body)
    return body.strip()


def _html_block(block: Block, svgs: dict[str, str]) -> str:
    if isinstance(block, Heading):
        return f"<h{block.level}>{_inline(block.text)}</h{block.level}>"
    if isinstance(block, Para):
        return f"<p>{_inline(block.text)}</p>"
    if isinstance(block, Bullets):
        return "<ul>\n" + "\n".join(f"<li>{_inline(item)}</li>" for item in block.items) + "\n</ul>"
    if isinstance(block, Table):
        head = "".join(f"<th>{html.escape(h)}</th>" for h in block.headers)
        body = "\n".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in block.rows)
        return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"
    if isinstance(block, Code):
        return f"<pre><code>{html.escape(block.text)}</code></pre>"
    if isinstance(block, Image):
        prefix = Path(block.path).stem
        return (f'<figure role="img" aria-label="{html.escape(block.alt)}">\n'
                f"{inline_svg(svgs[block.path], prefix)}\n</figure>")
    return f'<div class="notes">{html.escape(block.text.strip(chr(10)))}</div>'


def render_html(board: Leaderboard, svgs: dict[str, str], notes: str | None = None) -> str:
    """The page, with every plot inlined: `svgs` maps the plots' relative paths (as in `render_plots`) to SVG."""
    parts = "\n".join(_html_block(block, svgs) for block in report_blocks(board, notes))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<title>Leaderboard: when do decompositions help?</title>\n"
        f"<style>\n{_CSS}\n</style>\n</head>\n<body>\n{parts}\n</body>\n</html>\n"
    )
