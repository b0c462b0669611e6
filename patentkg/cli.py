"""The `patentkg` command: thin wrappers that hand each command to the package that owns it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from patentkg import __version__
from patentkg.errors import PatentkgError


def _open_store():
    from graph.store import open_store

    return open_store()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="patentkg")
def cli() -> None:
    """专利转化知识图谱 patentkg: load patent exports into a graph, answer the plan's questions."""


def _register_area_commands() -> None:
    """Each area owns its commands (loaders: generate/load, queries: questions/ask,
    api: serve/demo, viz: viz/export); this group only wires them together."""
    from api.cli import COMMANDS as api_commands
    from loaders.cli import COMMANDS as loader_commands
    from queries.cli import COMMANDS as query_commands
    from viz.cli import COMMANDS as viz_commands

    for command in (*api_commands, *loader_commands, *query_commands, *viz_commands):
        cli.add_command(command)


@cli.group()
def store() -> None:
    """The graph store: status, stop, backup, restore."""


@store.command("status")
@click.option("--json", "as_json", is_flag=True)
def store_status(as_json: bool) -> None:
    """Start the embedded store if needed and report where it is and what it holds."""
    st = _open_store()
    try:
        status = st.status()
        counts = st.counts()
    finally:
        st.close()
    report = {"backend": status.backend, "location": status.location, **status.details,
              "nodes": sum(counts["nodes"].values()),
              "relationships": sum(counts["relationships"].values()),
              "labels": counts["nodes"]}
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    click.echo(f"存储 backend : {report['backend']}")
    click.echo(f"位置 location: {report['location']}")
    for key in ("data_dir", "pid", "used_memory_human", "graph"):
        if report.get(key) is not None:
            click.echo(f"{key:13}: {report[key]}")
    click.echo(f"节点 nodes   : {report['nodes']}")
    click.echo(f"关系 rels    : {report['relationships']}")
    for label, state in (report.get("indexes_building") or {}).items():
        click.echo(f"索引重建中 index rebuilding: {label} {state}（期间全文检索暂不可用 / "
                   "search waits until it is built）")


@store.command("stop")
def store_stop() -> None:
    """Stop the embedded FalkorDB server of the data dir (data stays on disk)."""
    from graph.store import embedded_server

    server = embedded_server()
    if server.stop():
        click.echo(f"已停止 stopped: {server.data_dir}")
    else:
        click.echo(f"未在运行 not running: {server.data_dir}")


_register_area_commands()


@store.command("backup")
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None,
              help="backup file (default: <data dir>/backups/patentkg-<time>.rdb)")
def store_backup(output: Path | None) -> None:
    """Write a consistent snapshot of the embedded store."""
    from graph.store import embedded_server

    path = embedded_server().backup(output)
    click.echo(f"已备份 backup written: {path} ({path.stat().st_size / 1e6:.1f} MB)")


@store.command("restore")
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
def store_restore(backup_file: Path, yes: bool) -> None:
    """Replace the embedded store's data with a backup (the old data are kept aside)."""
    from graph.store import embedded_server

    server = embedded_server()
    if not yes:
        click.confirm(f"用备份 {backup_file} 替换 {server.data_dir} 中的数据？"
                      " Replace the data with this backup?", abort=True)
    aside = server.restore(backup_file)
    click.echo(f"已恢复 restored from {backup_file}; 原数据保留在 previous data kept in {aside}")


def main(argv: list[str] | None = None) -> int:
    try:
        cli.main(args=argv, prog_name="patentkg", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("已取消 aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except PatentkgError as exc:
        click.echo(f"错误 error: {exc.one_line()}", err=True)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
