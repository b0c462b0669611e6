"""`patentkg generate` and `patentkg load`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from graph.store import Store


@click.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True)
@click.option("--patents", default=5000, show_default=True, type=int)
@click.option("--seed", default=20241, show_default=True, type=int)
@click.option("--templates", is_flag=True, help="write one empty template file per input kind")
def generate(out_dir: Path, patents: int, seed: int, templates: bool) -> None:
    """Write a deterministic, clearly fictional demo data set in real export formats."""
    import time

    from loaders.generate import generate_demo, write_templates

    started = time.perf_counter()
    if templates:
        files = write_templates(out_dir)
        click.echo(f"已写入 {len(files)} 个导入模板 templates written to {out_dir}:")
    else:
        if patents < 100:
            raise click.BadParameter("至少 100 件专利 / at least 100 patents",
                                     param_hint="--patents")
        files = generate_demo(out_dir, patents=patents, seed=seed)
        click.echo(f"已生成虚构示例数据 fictional demo data ({patents} 件专利, seed {seed}) "
                   f"in {out_dir}:")
    total = 0
    for f in files:
        size = f.stat().st_size
        total += size
        click.echo(f"  {f.name}  {size / 1024:,.0f} KB")
    click.echo(f"共 {len(files)} 个文件 files, {total / 1e6:.1f} MB, "
               f"{time.perf_counter() - started:.1f} s")


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--strict", is_flag=True, help="write nothing if any row is rejected")
@click.option("--rejects", type=click.Path(path_type=Path), default=None,
              help="where to write rejected rows")
@click.option("--replace", is_flag=True, help="empty the graph first")
@click.option("--bulk/--no-bulk", default=None,
              help="GRAPH.BULK for a first load into an empty graph (default: automatic for "
                   "big first loads) / always the incremental MERGE writer")
@click.option("--derive/--no-derive", "derive", default=True, show_default=True,
              help="recompute scores, tiers, clusters and rankings after the load (skip only "
                   "when several loads follow each other; then run `patentkg derive` once)")
def load(paths: tuple[Path, ...], strict: bool, rejects: Path | None, replace: bool,
         bulk: bool | None, derive: bool) -> None:
    """Load export files, registries and reference data into the graph."""
    import sys

    from graph.store import open_store
    from loaders.pipeline import load_paths

    store = open_store()
    try:
        if replace:
            store.clear()
        # Rejected rows always land in a file the user can open in Excel.
        rejects_path = rejects or Path("patentkg-rejects.csv")
        report = load_paths(store, list(paths), strict=strict, rejects_path=rejects_path,
                            progress=True, bulk=bulk)
        click.echo(report.summary())
        if report.wrote and derive:
            _refresh(store)
    finally:
        store.close()
    if report.rejected_rows:
        sys.exit(1)


@click.command("derive")
def derive_command() -> None:
    """Recompute derived knowledge (value scores, tiers, clusters, fit, rankings)."""
    from graph.store import open_store

    store = open_store()
    try:
        _refresh(store)
    finally:
        store.close()


def _refresh(store: Store) -> None:
    from queries.derive import refresh

    click.echo("正在计算衍生知识 computing derived knowledge (scores, tiers, clusters) ...")
    summary = refresh(store)
    tiers = ", ".join(f"{k} {v:,}" for k, v in summary["tiers"].items())
    click.echo(f"已完成 done in {summary['seconds']:.1f} s: {summary['patents_scored']:,} "
               f"件专利评分 patents scored (tiers {tiers}), {summary['clusters']:,} 个技术集群 "
               f"clusters, {summary['fits']:,} 条企业匹配 fit edges")


COMMANDS = [generate, load, derive_command]
