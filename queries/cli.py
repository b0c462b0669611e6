"""`patentkg questions` and `patentkg ask`."""

from __future__ import annotations

from pathlib import Path

import click

from patentkg.errors import NotBuiltYet


@click.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def questions(fmt: str) -> None:
    """List the question catalogue."""
    raise NotBuiltYet("questions")


@click.command()
@click.argument("name")
@click.option("--param", "-p", "params", multiple=True, help="k=v, repeatable")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None)
def ask(name: str, params: tuple[str, ...], fmt: str, output: Path | None) -> None:
    """Answer one catalogue question."""
    raise NotBuiltYet("ask")


COMMANDS = [questions, ask]
