"""`patentkg load` computes the derived knowledge after writing (unless --no-derive), and
`patentkg derive` does it on its own: a user who loads files sees tiers at once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from graph.store.embedded import EmbeddedServer
from graph.store.falkor import FalkorStore
from tests.demo_frames import cell_app_no, read_demo

TIERED = "MATCH (p:Patent) WHERE p.tier IS NOT NULL RETURN count(p) AS n"
PATENTS = "MATCH (p:Patent) RETURN count(p) AS n"


def _patentkg(server: EmbeddedServer, graph: str, *args: str) -> subprocess.CompletedProcess:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("PATENTKG_")},
           "PATENTKG_DATA_DIR": str(server.data_dir), "PATENTKG_GRAPH": graph}
    exe = str(Path(sys.executable).with_name("patentkg"))
    return subprocess.run([exe, *args], env=env, capture_output=True, text=True, timeout=600)


def _export_rows(demo_dir: Path) -> int:
    """Distinct application numbers in the demo's patent exports (read with pandas)."""
    frames = read_demo(demo_dir)
    return len({cell_app_no(v) for v in frames["patents"]["app_no"]} - {None})


def test_load_derives_unless_told_not_to(falkor_server: EmbeddedServer, demo_dir: Path,
                                         tmp_path: Path) -> None:
    graph = f"cli_load_{os.getpid()}"
    store = FalkorStore.embedded(falkor_server, graph)
    try:
        done = _patentkg(falkor_server, graph, "load", "--no-derive", "--rejects",
                         str(tmp_path / "rej.csv"), str(demo_dir))
        assert done.returncode == 0, done.stderr[-2000:]
        patents = store.read(PATENTS)[0]["n"]
        assert patents == _export_rows(demo_dir)
        assert store.read(TIERED)[0]["n"] == 0  # --no-derive: nothing derived yet

        done = _patentkg(falkor_server, graph, "derive")
        assert done.returncode == 0, done.stderr[-2000:]
        assert "已完成 done" in done.stdout and f"{patents:,} 件专利评分" in done.stdout
        assert store.read(TIERED)[0]["n"] == patents

        store.clear()
        done = _patentkg(falkor_server, graph, "load", "--rejects", str(tmp_path / "rej.csv"),
                         str(demo_dir))
        assert done.returncode == 0, done.stderr[-2000:]
        assert "computing derived knowledge" in done.stdout
        assert store.read(TIERED)[0]["n"] == store.read(PATENTS)[0]["n"] == patents
    finally:
        store.clear()
        store.close()
