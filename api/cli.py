"""`patentkg serve` and `patentkg demo`."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from patentkg.errors import ConfigError

DEMO_DIR = "demo-data"
DEMO_MARKER = ".patentkg-demo.json"


def _check_bind(host: str) -> None:
    """No API keys means local demo mode: refuse to listen beyond this machine."""
    from api.settings import ApiSettings, is_loopback

    if ApiSettings().demo_mode and not is_loopback(host):
        raise ConfigError(
            f"未配置 API 密钥时只能监听本机地址，不能监听 {host}",
            f"refusing to bind {host} without API keys (local demo mode is loopback only)",
            hint="set PATENTKG_API_KEYS=<key>:admin,<key>:read, or use --host 127.0.0.1")


def _run(host: str, port: int, workers: int) -> None:
    import uvicorn

    # No access log (one line per request costs more than a cached answer); uvicorn picks
    # uvloop and httptools by itself when they are installed ("auto").
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="info", proxy_headers=False, access_log=False, loop="auto",
                http="auto")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
def serve(host: str, port: int, workers: int) -> None:
    """Serve the web page and the HTTP API."""
    from api.settings import AppSettings

    AppSettings()  # fail now, in one line, on a malformed setting
    _check_bind(host)
    _print_urls(host, port)
    _run(host, port, workers)


def _print_urls(host: str, port: int) -> None:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    shown = f"[{shown}]" if ":" in shown else shown
    url = f"http://{shown}:{port}/"
    click.echo(f"打开网页 Open in a browser: {url}")
    click.echo(f"接口文档 API docs:          {url}docs")


def _demo_files(data_dir: Path, patents: int, regenerate: bool) -> Path:
    from loaders.generate import generate_demo

    out = data_dir / DEMO_DIR
    done = out / ".generated"
    if regenerate and out.exists():
        shutil.rmtree(out)
    if done.exists() and done.read_text().strip() == str(patents):
        click.echo(f"演示数据已存在 demo data already generated: {out}")
        return out
    if out.exists():
        shutil.rmtree(out)
    click.echo(f"正在生成演示数据 generating demo data ({patents} patents) -> {out}")
    out.mkdir(parents=True)
    generate_demo(out, patents=patents)
    done.write_text(str(patents))
    return out


def _graph_holds_demo(store, marker: Path, graph_name: str) -> bool:  # type: ignore[no-untyped-def]
    import json

    if not marker.exists():
        return False
    try:
        info = json.loads(marker.read_text())
    except ValueError:
        return False
    patents = store.counts()["nodes"].get("Patent", 0)
    return info.get("graph") == graph_name and patents >= int(info.get("patents", 1)) > 0


@click.command()
@click.option("--patents", default=5000, show_default=True, help="demo size (generated once)")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--regenerate", is_flag=True, help="generate and load the demo data again")
def demo(patents: int, host: str, port: int, regenerate: bool) -> None:
    """Generate demo data (once), load it into the embedded store, serve the web page + API."""
    import json

    from graph.store import open_store
    from patentkg.config import load_settings

    _check_bind(host)
    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    files = _demo_files(settings.data_dir, patents, regenerate)
    marker = files / DEMO_MARKER
    store = open_store(settings)
    try:
        if regenerate or not _graph_holds_demo(store, marker, settings.graph_name):
            from loaders.pipeline import load_paths
            from queries.derive import refresh

            if regenerate:
                click.echo("清空图谱后重新导入 clearing the graph and loading again")
                store.clear()
            click.echo(f"正在导入 loading {files} ...")
            report = load_paths(store, [files], progress=True)
            click.echo(report.summary())
            click.echo("正在计算分级、集群与匹配 deriving tiers, clusters and fits ...")
            refresh(store)
            patents_loaded = store.counts()["nodes"].get("Patent", 0)
            marker.write_text(json.dumps({"graph": settings.graph_name,
                                          "patents": patents_loaded}))
        else:
            click.echo("图谱中已有演示数据，跳过导入 the graph already holds the demo data")
    finally:
        store.close()
    click.echo("")
    click.echo("专利转化知识图谱演示已就绪 The patentkg demo is ready.")
    _print_urls(host, port)
    click.echo("按 Ctrl+C 停止 Press Ctrl+C to stop.")
    _run(host, port, 1)


COMMANDS = [serve, demo]
