"""The `patentkg` command: thin wrappers that hand each command to the package that owns it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from patentkg import __version__
from patentkg.errors import PatentkgError


class NotBuiltYet(PatentkgError):
    code = "not_built"


def _not_built(command: str) -> None:
    raise NotBuiltYet(f"`patentkg {command}` 尚未实现", f"`patentkg {command}` is not built yet",
                      hint="see the open issues")


def _open_store():
    from graph.store import open_store

    return open_store()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="patentkg")
def cli() -> None:
    """专利转化知识图谱 patentkg: load patent exports into a graph and answer the plan's questions."""


@cli.command()
@click.option("--patents", default=5000, show_default=True, help="demo size (generated once)")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--regenerate", is_flag=True, help="generate and load the demo data again")
def demo(patents: int, host: str, port: int, regenerate: bool) -> None:
    """Generate demo data (once), load it into the embedded store, serve the web page + API."""
    _not_built("demo")


@cli.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True)
@click.option("--patents", default=5000, show_default=True, type=int)
@click.option("--seed", default=20241, show_default=True, type=int)
@click.option("--templates", is_flag=True, help="write one empty template file per input kind")
def generate(out_dir: Path, patents: int, seed: int, templates: bool) -> None:
    """Write a deterministic, clearly fictional demo data set in real export formats."""
    _not_built("generate")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--strict", is_flag=True, help="write nothing if any row is rejected")
@click.option("--rejects", type=click.Path(path_type=Path), default=None,
              help="where to write rejected rows (default: rejects-<time>.csv beside the input)")
@click.option("--replace", is_flag=True, help="empty the graph first")
def load(paths: tuple[Path, ...], strict: bool, rejects: Path | None, replace: bool) -> None:
    """Load export files, registries and reference data into the graph."""
    _not_built("load")


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def questions(fmt: str) -> None:
    """List the question catalogue."""
    _not_built("questions")


@cli.command()
@click.argument("name")
@click.option("--param", "-p", "params", multiple=True, help="k=v, repeatable")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None)
def ask(name: str, params: tuple[str, ...], fmt: str, output: Path | None) -> None:
    """Answer one catalogue question."""
    _not_built("ask")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the web page and the HTTP API."""
    _not_built("serve")


@cli.command()
@click.argument("target", nargs=-1)
@click.option("--output", "-o", type=click.Path(path_type=Path), required=False)
def viz(target: tuple[str, ...], output: Path | None) -> None:
    """Write an interactive network picture as one standalone HTML file."""
    _not_built("viz")


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["graphml", "gexf", "neo4j-admin"]),
              default="graphml")
@click.option("--output", "-o", type=click.Path(path_type=Path), required=True)
def export(fmt: str, output: Path) -> None:
    """Export the graph (or a subgraph) for Gephi or neo4j-admin import."""
    _not_built("export")


@cli.group()
def store() -> None:
    """The graph store: status, stop."""


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


@store.command("stop")
def store_stop() -> None:
    """Stop the embedded FalkorDB server of the data dir (data stays on disk)."""
    from graph.store import embedded_server

    server = embedded_server()
    if server.stop():
        click.echo(f"已停止 stopped: {server.data_dir}")
    else:
        click.echo(f"未在运行 not running: {server.data_dir}")


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
