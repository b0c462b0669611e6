"""`patentkg questions` and `patentkg ask`: the question catalogue in a terminal or a file."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import click

from patentkg.errors import InputError

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CELL_WIDTH = 40


def _open_store():
    from graph.store import open_store

    return open_store()


def cell_text(value: Any) -> str:
    """One value as the text of a table or CSV cell (lists joined with the Chinese 、)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".") if value == value else ""
    if isinstance(value, dict):
        return str(value.get("name") or value.get("title") or json.dumps(value, ensure_ascii=False))
    if isinstance(value, (list, tuple)):
        return "；".join(cell_text(v) for v in value) if any(
            isinstance(v, str) and len(v) > 12 for v in value) else "、".join(
            cell_text(v) for v in value)
    return str(value)


def safe_cell(text: str) -> str:
    """Prefix a cell that a spreadsheet would run as a formula with an apostrophe."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    if _width(text) <= width:
        return text
    out, used = "", 0
    for ch in text:
        w = _width(ch)
        if used + w > width - 1:
            break
        out, used = out + ch, used + w
    return out + "…"


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def render_table(columns: Sequence[Any], rows: Sequence[dict[str, Any]]) -> str:
    """A plain-text table with Chinese column titles, aligned for CJK double-width characters."""
    titles = [c.title_zh for c in columns]
    cells = [[_clip(cell_text(row.get(c.name)), _CELL_WIDTH) for c in columns] for row in rows]
    widths = [max([_width(t)] + [_width(r[i]) for r in cells]) for i, t in enumerate(titles)]
    lines = ["  ".join(_pad(t, w) for t, w in zip(titles, widths, strict=True)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(line.rstrip() for line in lines)


def write_csv(columns: Sequence[Any], rows: Iterable[dict[str, Any]], out: io.TextIOBase) -> int:
    """Write rows as CSV with Chinese headers; returns the number of rows written."""
    writer = csv.writer(out)
    writer.writerow([c.title_zh for c in columns])
    n = 0
    for row in rows:
        writer.writerow([safe_cell(cell_text(row.get(c.name))) for c in columns])
        n += 1
    return n


def _parse_params(pairs: Sequence[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        if "=" not in pair:
            raise InputError(f"参数格式应为 名称=值：{pair}", f"--param expects k=v, got {pair!r}",
                             details={"parameter": "param", "value": pair})
        key, value = pair.split("=", 1)
        params[key.strip()] = value
    return params


@click.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def questions(fmt: str) -> None:
    """List the question catalogue (问题目录)."""
    from queries.catalogue import describe_all

    described = describe_all()
    if fmt == "json":
        click.echo(json.dumps(described, ensure_ascii=False, indent=2))
        return
    for q in described:
        click.echo(f"{q['name']}  {q['title_zh']}  （{q['measures']}）")
        click.echo(f"    {q['description_zh']}")
        for p in q["params"]:
            flag = "必填" if p["required"] else "可选"
            extra = f" 可选值：{'/'.join(p['enum'])}" if p.get("enum") else ""
            click.echo(f"    --param {p['name']}=…  {p['title']}（{flag}）{extra}")


@click.command()
@click.argument("name")
@click.option("--param", "-p", "params", multiple=True, help="k=v, repeatable")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
@click.option("--limit", type=int, default=50, show_default=True, help="rows (table/json)")
@click.option("--offset", type=int, default=0, show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None)
def ask(name: str, params: tuple[str, ...], fmt: str, limit: int, offset: int,
        output: Path | None) -> None:
    """Answer one catalogue question (table, json, or the whole result as csv)."""
    from queries import catalogue

    raw = _parse_params(params)
    question = catalogue.get(name)
    question.coerce(raw)  # a bad parameter fails before the store is opened
    store = _open_store()
    try:
        if fmt == "csv":
            # The whole result, page by page; UTF-8 with BOM so Excel reads the Chinese.
            buffer = io.StringIO()
            n = write_csv(question.columns, catalogue.iter_rows(store, name, raw), buffer)
            data = buffer.getvalue()
            if output:
                output.write_text(data, encoding="utf-8-sig", newline="")
                click.echo(f"已导出 {n} 行 -> {output}", err=True)
            else:
                click.echo("\ufeff" + data, nl=False)
            return
        answer = catalogue.ask(store, name, raw, limit=limit, offset=offset)
    finally:
        store.close()
    if fmt == "json":
        text = json.dumps(answer.to_json(), ensure_ascii=False, indent=2)
    else:
        text = f"{question.title_zh}（{question.measures}）\n" + render_table(
            question.columns, answer.rows) + f"\n共 {len(answer.rows)} 行" + (
            f"，还有更多：--offset {offset + len(answer.rows)}" if answer.has_more else "")
    if output:
        output.write_text(text + "\n", encoding="utf-8")
        click.echo(f"已写入 -> {output}", err=True)
    else:
        click.echo(text)


COMMANDS = [questions, ask]
