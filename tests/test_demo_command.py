"""The README's first command: `patentkg demo` generates, loads, derives and serves, for real."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.demo_frames import cell_app_no, read_demo


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback only)
        return response.status, response.read()


@pytest.mark.slow
def test_demo_serves_the_generated_data_on_loopback(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "PATENTKG_DATA_DIR": str(tmp_path)}
    for name in ("PATENTKG_NEO4J_URI", "PATENTKG_FALKORDB_URL", "PATENTKG_API_KEYS"):
        env.pop(name, None)
    proc = subprocess.Popen([sys.executable, "-m", "patentkg.cli", "demo", "--patents", "300",
                             "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        health = None
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/health")
                health = json.loads(body)
                break
            except OSError:
                time.sleep(0.5)
        assert health is not None, proc.stdout.read() if proc.poll() is not None else "no answer"
        # Independent count: distinct application numbers in the generated export files.
        frames = read_demo(tmp_path / "demo-data")
        expected = {cell_app_no(v) for v in frames["patents"]["app_no"]} - {None}
        assert health["labels"]["Patent"] == len(expected)
        status, page = _get(f"http://127.0.0.1:{port}/")
        assert status == 200 and "专利" in page.decode("utf-8")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        subprocess.run([sys.executable, "-m", "patentkg.cli", "store", "stop"], env=env,
                       timeout=60, check=False)
