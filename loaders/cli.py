"""`patentkg generate` and `patentkg load`."""

from __future__ import annotations

from pathlib import Path

import click

from patentkg.errors import NotBuiltYet


@click.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True)
@click.option("--patents", default=5000, show_default=True, type=int)
@click.option("--seed", default=20241, show_default=True, type=int)
@click.option("--templates", is_flag=True, help="write one empty template file per input kind")
def generate(out_dir: Path, patents: int, seed: int, templates: bool) -> None:
    """Write a deterministic, clearly fictional demo data set in real export formats."""
    raise NotBuiltYet("generate")


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--strict", is_flag=True, help="write nothing if any row is rejected")
@click.option("--rejects", type=click.Path(path_type=Path), default=None,
              help="where to write rejected rows")
@click.option("--replace", is_flag=True, help="empty the graph first")
def load(paths: tuple[Path, ...], strict: bool, rejects: Path | None, replace: bool) -> None:
    """Load export files, registries and reference data into the graph."""
    raise NotBuiltYet("load")


COMMANDS = [generate, load]
