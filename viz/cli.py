"""`patentkg viz` (standalone network pictures) and `patentkg export` (GraphML/GEXF for Gephi,
or the whole graph as neo4j-admin import CSVs: see viz/neo4j_admin.py).

The commands open the store and take the subgraph from ``queries.explore``; the picture and
file writers in this package only ever see the resulting Subgraph JSON.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from patentkg.errors import InputError

# Default node caps of a picture: what a person can read on a projector (as the web page).
ENTITY_CAP = 80
QUESTION_CAP = 120
MAX_CAP = 5000


@contextmanager
def _store() -> Iterator[Any]:
    from graph.store import open_store

    store = open_store()
    try:
        yield store
    finally:
        store.close()


def _params(pairs: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise InputError(f"参数应写成 名称=值：{pair!r}",
                             f"parameter must be name=value: {pair!r}",
                             details={"parameter": pair})
        out[name.strip()] = value.strip()
    return out


def _safe_name(text: str) -> str:
    return re.sub(r"[\\/:*?\"<>|\s]+", "_", text).strip("_")[:80] or "network"


def _default_path(stem: str, suffix: str) -> Path:
    """Without -o, files go to the data dir (never silently into the current directory)."""
    from patentkg.config import load_settings

    folder = load_settings().data_dir / "views"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{_safe_name(stem)}{suffix}"


# -- subgraphs from the store ------------------------------------------------------------------
def entity_subgraph(store: Any, label: str, key: str, depth: int, cap: int) -> dict[str, Any]:
    from queries import explore

    return explore.neighborhood(store, label=label, key=key, depth=depth, limit=cap)


def question_subgraph(store: Any, name: str, params: dict[str, str], rows: int,
                      cap: int) -> dict[str, Any]:
    from queries import catalogue, explore

    answer = catalogue.ask(store, name, params, limit=rows, offset=0)
    return explore.subgraph_of(store, explore.refs_from_rows(answer.rows), limit=cap)


def path_subgraph(store: Any, a: tuple[str, str], b: tuple[str, str], max_hops: int,
                  paths: int) -> dict[str, Any]:
    from queries import explore

    return explore.relation_paths(store, from_label=a[0], from_key=a[1], to_label=b[0],
                                  to_key=b[1], max_hops=max_hops, limit=paths)


def whole_subgraph(store: Any, cap: int) -> dict[str, Any]:
    from queries import explore

    return explore.whole_graph(store, limit=cap)


def _named(sub: dict[str, Any], label: str, key: str) -> str:
    """"Caption（类型）" of the node label:key in a subgraph, for headings (key if absent)."""
    for node in sub.get("nodes") or []:
        if node.get("label") == label and str(node.get("key")) == str(key):
            return f"{node.get('caption') or key}（{node.get('label_zh') or label}）"
    return str(key)


def _write_view(sub: dict[str, Any], title: str, note: str, output: Path | None) -> Path:
    from viz.layout import with_layout
    from viz.network import render_html

    path = output or _default_path(title, ".html")
    path.write_text(render_html(with_layout(sub), title=title, note=note), encoding="utf-8")
    shown, total = len(sub.get("nodes") or []), sub.get("total_nodes") or 0
    click.echo(f"已写入 written: {path.resolve()}  (显示 {shown} / 共 {max(total, shown)} 个节点)")
    return path


def _cap_option(default: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option("--max-nodes", "cap", type=click.IntRange(1, MAX_CAP), default=default,
                        show_default=True, help="节点上限 node cap")


_out_option = click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
                           help="输出文件；不写则存入数据目录 views/ 并显示路径")


@click.group()
def viz() -> None:
    """Write an interactive network picture as one standalone HTML file (works offline)."""


@viz.command("entity")
@click.argument("label")
@click.argument("key")
@click.option("--depth", type=click.IntRange(1, 3), default=1, show_default=True)
@_cap_option(ENTITY_CAP)
@_out_option
def viz_entity(label: str, key: str, depth: int, cap: int, output: Path | None) -> None:
    """An entity's neighbourhood, e.g. `patentkg viz entity Enterprise KEY -o firm.html`."""
    with _store() as store:
        sub = entity_subgraph(store, label, key, depth, cap)
    centre = next((n for n in sub.get("nodes") or [] if n.get("depth") == 0), None)
    name = _named(sub, centre["label"], centre["key"]) if centre else key
    zh = centre.get("label_zh", "") if centre else ""
    _write_view(sub, f"关系网络：{name}", f"{zh}编号 {key} · {depth} 度关系", output)


@viz.command("question")
@click.argument("name")
@click.option("--param", "-p", "pairs", multiple=True, help="问题参数 name=value（可重复）")
@click.option("--rows", type=click.IntRange(1, 1000), default=50, show_default=True,
              help="取结果的前多少行")
@_cap_option(QUESTION_CAP)
@_out_option
def viz_question(name: str, pairs: tuple[str, ...], rows: int, cap: int,
                 output: Path | None) -> None:
    """A question's answer as a network, e.g. `patentkg viz question NAME -p tier=A`."""
    from queries import catalogue

    params = _params(pairs)
    q = catalogue.get(name)
    with _store() as store:
        sub = question_subgraph(store, name, params, rows, cap)
    titles = {p.name: p.title_zh for p in q.params}
    shown = "；".join(f"{titles.get(k, k)}：{v}" for k, v in params.items())
    title = f"问题网络：{q.title_zh}" + (f"（{shown}）" if shown else "")
    _write_view(sub, title, f"结果前 {rows} 行中的实体及其直接关联", output)


@viz.command("path")
@click.argument("from_label")
@click.argument("from_key")
@click.argument("to_label")
@click.argument("to_key")
@click.option("--max-hops", type=click.IntRange(1, 6), default=4, show_default=True)
@click.option("--paths", type=click.IntRange(1, 20), default=5, show_default=True)
@_out_option
def viz_path(from_label: str, from_key: str, to_label: str, to_key: str, max_hops: int,
             paths: int, output: Path | None) -> None:
    """Shortest paths between two entities, e.g. an institute and an enterprise."""
    with _store() as store:
        sub = path_subgraph(store, (from_label, from_key), (to_label, to_key), max_hops, paths)
    title = (f"关联路径：{_named(sub, from_label, from_key)} → "
             f"{_named(sub, to_label, to_key)}")
    _write_view(sub, title, f"最多 {max_hops} 步关系", output)


@click.command()
@click.option("--format", "fmt", type=click.Choice(["graphml", "gexf", "neo4j-admin"]),
              default="graphml", show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path), required=True,
              help="输出文件；neo4j-admin 为一个新的或空的目录 (a new or empty directory)")
@click.option("--entity", nargs=2, metavar="LABEL KEY", default=None,
              help="只导出此实体的关系网络")
@click.option("--depth", type=click.IntRange(1, 3), default=1, show_default=True)
@click.option("--question", "question_name", default=None, help="导出此问题结果的关系网络")
@click.option("--param", "-p", "pairs", multiple=True, help="问题参数 name=value")
@click.option("--max-nodes", "cap", type=click.IntRange(1, MAX_CAP), default=MAX_CAP,
              show_default=True, help="节点上限")
@click.option("--page-size", type=click.IntRange(1, 100_000), default=5000, show_default=True,
              help="neo4j-admin: 每次读取的节点数 nodes per read")
@click.option("--database", default="neo4j", show_default=True,
              help="neo4j-admin: import.sh 默认导入的数据库 default target database")
def export(fmt: str, output: Path, entity: tuple[str, str] | None, depth: int,
           question_name: str | None, pairs: tuple[str, ...], cap: int, page_size: int,
           database: str) -> None:
    """Export the graph (or a subgraph) for Gephi (GraphML/GEXF), or the whole graph as CSV
    files for `neo4j-admin database import full` (Neo4j 5) with import.sh and schema.cypher."""
    if fmt == "neo4j-admin":
        if entity or question_name:
            raise InputError("neo4j-admin 格式导出整个图，不能与 --entity/--question 同用",
                             "--format neo4j-admin exports the whole graph: drop "
                             "--entity/--question")
        _export_neo4j_admin(output, page_size, database)
        return
    from viz.export import to_gexf, to_graphml
    from viz.layout import with_layout

    get: Callable[[Any], dict[str, Any]]
    if entity:
        get = lambda s: entity_subgraph(s, entity[0], entity[1], depth, cap)  # noqa: E731
    elif question_name:
        params = _params(pairs)
        get = lambda s: question_subgraph(s, question_name, params, 1000, cap)  # noqa: E731
    else:
        get = lambda s: whole_subgraph(s, cap)  # noqa: E731
    with _store() as store:
        sub = get(store)
    sub = with_layout(sub)
    (to_gexf if fmt == "gexf" else to_graphml)(sub, output)
    shown, total = len(sub["nodes"]), sub.get("total_nodes") or 0
    note = "（已截断）" if sub.get("truncated") or shown < total else ""
    click.echo(f"已导出 exported: {output.resolve()}  "
               f"{shown} 个节点 / {len(sub['edges'])} 条关系{note}")


def _export_neo4j_admin(output: Path, page_size: int, database: str) -> None:
    from viz.neo4j_admin import check_database_name, export_neo4j_admin, prepare_directory

    check_database_name(database)
    prepare_directory(output)  # before the store starts: a bad target fails at once

    def progress(label: str, rows: int) -> None:
        click.echo(f"  {label}: {rows:,}", err=True)

    with _store() as store:
        report = export_neo4j_admin(store, output, page_size=page_size, database=database,
                                    on_progress=progress)
    root = output.resolve()
    click.echo(f"已导出 exported: {root}  {report.node_rows:,} 个节点 nodes "
               f"({len(report.nodes)} 个文件 files) / {report.relationship_rows:,} 条关系 "
               f"relationships ({len(report.relationships)} 个文件 files), "
               f"{report.seconds:.1f} s")
    click.echo(f"导入 import (Neo4j 5, 数据库需停止 database stopped): sh {root / 'import.sh'} "
               f"[{database}]; 然后 then cypher-shell -f schema.cypher, -f empty_lists.cypher")
    if not report.complete:
        for reason, n in sorted(report.skipped.items()):
            click.echo(f"未导出 not exported: {n:,} {reason}", err=True)
        for warning in report.warnings:
            click.echo(f"注意 warning: {warning}", err=True)
        sys.exit(1)
    for warning in report.warnings:
        click.echo(f"注意 warning: {warning}", err=True)


COMMANDS = [viz, export]
