"""`patentkg serve` and `patentkg demo`."""

from __future__ import annotations

import click

from patentkg.errors import NotBuiltYet


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the web page and the HTTP API."""
    raise NotBuiltYet("serve")


@click.command()
@click.option("--patents", default=5000, show_default=True, help="demo size (generated once)")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--regenerate", is_flag=True, help="generate and load the demo data again")
def demo(patents: int, host: str, port: int, regenerate: bool) -> None:
    """Generate demo data (once), load it into the embedded store, serve the web page + API."""
    raise NotBuiltYet("demo")


COMMANDS = [serve, demo]
