"""Time-to-stable of network pictures in headless Chromium: ours against pyvis' defaults.

    /tmp/venv/bin/python bench/bench_viz.py [--sizes 100,500,2000] [--runs 3]

* ours: viz.layout.with_layout (Python, timed separately) + viz.network.render_html, physics
  OFF at the precomputed positions; "stable" = first frame drawn (window.__pkGraphReady).
* baseline: pyvis 0.3.2's default network (Barnes-Hut physics, vis' default 1000-iteration
  stabilisation, then physics keeps running); CDN links stripped so it loads offline;
  "stable" = vis' stabilizationIterationsDone event.

Times are milliseconds since navigation start (performance.now()), so they include parsing the
inlined vis-network. Median of --runs runs. Files go to a temp dir; nothing leaves loopback.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from viz.layout import with_layout
from viz.network import VIS_JS, assert_offline, render_html

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 180_000


def subgraph(n: int, seed: int = 1) -> dict:
    """Hubs (enterprises, parks, IPC groups) with patents around them, ~1.5 edges per node."""
    rnd = random.Random(seed)
    hubs = max(3, n // 25)
    kinds = [("Enterprise", "企业"), ("Institute", "科研机构"), ("Park", "园区"),
             ("IPC", "IPC分类")]
    nodes, edges = [], []
    for i in range(n):
        label, zh = kinds[i % 4] if i < hubs else ("Patent", "专利")
        props = {"tier": rnd.choice("ABC")} if label == "Patent" else {}
        nodes.append({"id": f"{label}:K{i}", "label": label, "label_zh": zh, "key": f"K{i}",
                      "caption": f"{zh}{i} 一种检测方法", "title": f"{zh}{i}", "props": props})
    for i in range(hubs, n):
        for j in {rnd.randrange(hubs), rnd.randrange(hubs)}:
            edges.append({"id": f"e{i}-{j}", "source": nodes[i]["id"], "target": nodes[j]["id"],
                          "type": "APPLIED_BY", "type_zh": "申请人"})
    return {"nodes": nodes, "edges": edges, "total_nodes": n, "truncated": False}


def pyvis_baseline_html(sub: dict) -> str:
    """What `pyvis.Network` + `show()` would give, made offline (vis inlined, CDN tags cut)."""
    from pyvis.network import Network

    net = Network(height="800px", width="100%", directed=True, cdn_resources="in_line")
    for n in sub["nodes"]:
        net.add_node(n["id"], label=n["caption"], title=n["title"])
    for e in sub["edges"]:
        net.add_edge(e["source"], e["target"], title=e["type_zh"])
    page = net.generate_html()
    page = re.sub(r"<link[^>]+href=\"https?://[^>]*>", "", page)
    page = re.sub(r"<script[^>]+src=\"https?://[^>]*>\s*</script>", "", page)
    if "vis.Network" in page and "vis-network" not in page[:5000]:
        page = page.replace("<head>", "<head><script>" + VIS_JS.read_text(encoding="utf-8")
                            + "</script>", 1)
    probe = ("<script>network.once('stabilizationIterationsDone', function () {"
             " window.__stable = performance.now(); });</script></body>")
    page = page.replace("</body>", probe, 1)
    assert_offline(page)
    return page


def measure(browser: object, path: Path, expr: str) -> float:
    page = browser.new_page(viewport={"width": 1400, "height": 900})  # type: ignore[attr-defined]
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:")
               else r.abort())
    try:
        page.goto(path.as_uri())
        page.wait_for_function(expr, timeout=TIMEOUT_MS)
        return float(page.evaluate(expr))
    finally:
        page.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100,500,2000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--baseline-runs", type=int, default=1,
                    help="runs of the (slow) pyvis default-physics baseline")
    args = ap.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        with_layout(subgraph(50))  # warm up imports so the first size is not charged for them
        for n in (int(s) for s in args.sizes.split(",")):
            sub = subgraph(n)
            t = time.perf_counter()
            laid = with_layout(sub)
            layout_ms = (time.perf_counter() - t) * 1000
            ours = Path(tmp) / f"ours-{n}.html"
            ours.write_text(render_html(laid, title=f"bench {n}"), encoding="utf-8")
            base = Path(tmp) / f"pyvis-{n}.html"
            base.write_text(pyvis_baseline_html(sub), encoding="utf-8")
            ours_ms = [measure(browser, ours, "() => window.__pkGraphReady && "
                               "window.__pkGraphReady.at") for _ in range(args.runs)]
            base_ms = float("nan")
            try:
                if args.baseline_runs > 0:
                    base_ms = statistics.median(measure(browser, base, "() => window.__stable")
                                                for _ in range(args.baseline_runs))
            except Exception as exc:  # a baseline that never settles in time is the finding
                print(f"baseline {n}: {type(exc).__name__} (not stable within "
                      f"{TIMEOUT_MS // 1000} s)", file=sys.stderr)
            rows.append((n, len(sub["edges"]), laid["layout"], layout_ms,
                         statistics.median(ours_ms), base_ms))
        browser.close()
    print(f"{'nodes':>6} {'edges':>6} {'layout':>7} {'layout ms':>10} "
          f"{'ours stable ms':>15} {'pyvis default ms':>17} {'speed-up':>9}")
    for n, e, method, lay, ours_med, base_med in rows:
        total = lay + ours_med
        print(f"{n:>6} {e:>6} {method:>7} {lay:>10.0f} {ours_med:>15.0f} {base_med:>17.0f} "
              f"{base_med / total:>8.1f}x")
    print("ours stable = first frame at precomputed positions, physics off (ms since navigation);"
          " speed-up counts the Python layout time too.")


if __name__ == "__main__":
    main()
