"""`patentkg viz` and `patentkg export`."""

from __future__ import annotations

from pathlib import Path

import click

from patentkg.errors import NotBuiltYet


@click.command()
@click.argument("target", nargs=-1)
@click.option("--output", "-o", type=click.Path(path_type=Path), required=False)
def viz(target: tuple[str, ...], output: Path | None) -> None:
    """Write an interactive network picture as one standalone HTML file."""
    raise NotBuiltYet("viz")


@click.command()
@click.option("--format", "fmt", type=click.Choice(["graphml", "gexf", "neo4j-admin"]),
              default="graphml")
@click.option("--output", "-o", type=click.Path(path_type=Path), required=True)
def export(fmt: str, output: Path) -> None:
    """Export the graph (or a subgraph) for Gephi or neo4j-admin import."""
    raise NotBuiltYet("export")


COMMANDS = [viz, export]
