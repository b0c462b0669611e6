"""Browser tests in real headless Chromium (Debian's /usr/bin/chromium via Playwright).

Every request that leaves 127.0.0.1/localhost is aborted and recorded; a test fails if one
happened (government intranets are offline) or if the page logged a console error.
Skipped with a clear reason when Chromium is missing, unless PATENTKG_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from viz.network import render_html

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = os.environ.get("PATENTKG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
LOCAL_SCHEMES = {"file", "data", "blob", "about"}


def _browser_or_skip() -> None:
    if not Path(CHROMIUM).exists():
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("PATENTKG_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + "; PATENTKG_REQUIRE_BROWSER=1 requires it")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Watched:
    """A page plus what it asked for outside loopback and what it logged as errors."""

    def __init__(self, page: object) -> None:
        self.page = page
        self.remote: list[str] = []
        self.errors: list[str] = []
        self.requests: list[str] = []

    def assert_clean(self) -> None:
        assert self.remote == [], f"requests left localhost: {self.remote}"
        assert self.errors == [], f"console errors: {self.errors}"


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or (parts.hostname or "") in LOCAL_HOSTS


@pytest.fixture
def watched(browser: object) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1400, "height": 900},  # type: ignore[attr-defined]
                                  accept_downloads=True)
    page = context.new_page()
    w = Watched(page)

    def route(r: object) -> None:
        url = r.request.url  # type: ignore[attr-defined]
        if _is_local(url):
            r.continue_()  # type: ignore[attr-defined]
        else:
            w.remote.append(url)
            r.abort()  # type: ignore[attr-defined]

    page.route("**/*", route)
    page.on("request", lambda req: (w.requests.append(req.url),
                                    None if _is_local(req.url) else w.remote.append(req.url)))
    page.on("console", lambda msg: w.errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: w.errors.append(str(exc)))
    yield w
    context.close()


def _wait_ready(page: object, timeout_ms: int = 30000) -> dict:
    page.wait_for_function("() => window.__pkGraphReady", timeout=timeout_ms)  # type: ignore[attr-defined]
    return page.evaluate("() => window.__pkGraphReady")  # type: ignore[attr-defined]


def _luminance(colour: str) -> float:
    """Relative luminance 0..1 of "#rrggbb" or "rgb(r, g, b)"."""
    colour = colour.strip()
    if colour.startswith("#"):
        rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    else:
        rgb = [int(float(v)) for v in colour[colour.index("(") + 1:-1].split(",")[:3]]
    r, g, b = (v / 255 for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _png_corner_luminance(page: object) -> float:
    """Luminance of the top-left pixel of the picture the PNG button exports."""
    rgb = page.evaluate("""() => new Promise(done => {
        const img = new Image();
        img.onload = () => {
            const c = document.createElement('canvas');
            c.width = img.width; c.height = img.height;
            const ctx = c.getContext('2d');
            ctx.drawImage(img, 0, 0);
            done(Array.from(ctx.getImageData(2, 2, 1, 1).data).slice(0, 3));
        };
        img.src = window.pkView.toPNG();
    })""")  # type: ignore[attr-defined]
    return _luminance("rgb(" + ",".join(str(v) for v in rgb) + ")")


def _subgraph(n: int, hubs: int = 6) -> dict:
    """A small typed graph with tiers and an award winner, in the Subgraph JSON shape."""
    nodes = [{"id": f"Enterprise:E{i}", "label": "Enterprise", "label_zh": "企业", "key": f"E{i}",
              "caption": f"天津河东第{i}科技有限公司", "title": f"企业 E{i}",
              "props": {"awards": 2 if i == 1 else 0}}
             for i in range(hubs)]
    edges = []
    for i in range(n - hubs):
        nodes.append({"id": f"Patent:CN{i}", "label": "Patent", "label_zh": "专利", "key": f"CN{i}",
                      "caption": f"一种医疗器械的检测方法{i}", "title": f"专利 CN{i}\n分级：A",
                      "props": {"tier": "ABC"[i % 3], "value_score": 50 + i % 50,
                                "awards": ["中国专利奖"] if i == 0 else []}})
        edges.append({"id": f"r{i}", "source": f"Patent:CN{i}", "target": f"Enterprise:E{i % hubs}",
                      "type": "APPLIED_BY", "type_zh": "申请人"})
    return {"nodes": nodes, "edges": edges, "total_nodes": n + 40, "truncated": True}


# -- the standalone HTML file (works from a USB stick: file://) -------------------------------

def test_standalone_file_draws_every_node_offline(watched: Watched, tmp_path: Path) -> None:
    sub = _subgraph(120)
    path = tmp_path / "网络图.html"
    page_html = render_html(sub, title="河东区 医疗器械 专利网络", note="演示")
    path.write_text(page_html, encoding="utf-8")
    page = watched.page
    page.goto(path.as_uri())
    ready = _wait_ready(page)
    assert ready["nodes"] == 120
    assert page.evaluate("() => network.body.data.nodes.length") == 120
    assert page.evaluate("() => network.body.data.edges.length") == len(sub["edges"])
    assert ready["physics"] is False  # precomputed layout: still from the first frame
    note = page.inner_text("#pk-note")
    assert "显示 120 / 共 160 个节点" in note
    legend = page.inner_text("#pk-legend")
    assert "企业" in legend and "专利" in legend and "获奖" in legend
    # award winners carry the star badge and the tier letter (a list or a count of awards)
    award_label = page.evaluate("() => network.body.data.nodes.get('Patent:CN0').label")
    assert award_label.startswith("[A]★")
    assert "★" in page.evaluate("() => network.body.data.nodes.get('Enterprise:E1').label")
    assert "★" not in page.evaluate("() => network.body.data.nodes.get('Enterprise:E2').label")
    # a dense picture: names of the hubs and the award winner are drawn, minor ones on zoom
    labelled = set(ready["labelled"])
    assert {"Enterprise:E0", "Patent:CN0"} <= labelled and len(labelled) <= 40
    assert page.evaluate("() => getComputedStyle(document.getElementById('pk-network'))"
                         ".backgroundColor") == "rgb(255, 255, 255)"
    # physics off: positions are exactly the precomputed ones, and they stay there
    pos = page.evaluate("() => network.getPositions(['Patent:CN5'])['Patent:CN5']")
    page.wait_for_timeout(300)
    assert page.evaluate("() => network.getPositions(['Patent:CN5'])['Patent:CN5']") == pos
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "standalone-network.png"))
    with page.expect_download() as dl:
        page.click("#pk-png")
    target = tmp_path / "view.png"
    dl.value.save_as(target)
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert target.stat().st_size > 5000
    # meeting mode in the file: the same picture on a dark canvas with light, larger labels
    page.click("#pk-meeting")
    page.wait_for_function("() => window.pkView.opts.meeting")
    assert _luminance(page.evaluate("() => getComputedStyle("
                                    "document.getElementById('pk-network')).backgroundColor")) < 0.1
    font = page.evaluate("() => network.body.data.nodes.get('Enterprise:E0').font")
    assert _luminance(font["color"]) > 0.9
    assert page.evaluate("() => network.getPositions(['Patent:CN5'])['Patent:CN5']") == pos
    page.screenshot(path=str(ARTIFACTS / "standalone-meeting-network.png"))
    watched.assert_clean()


# -- the web page against the real API over the demo store ------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(demo_store: object) -> Iterator[str]:
    """The real app (API + page) on the demo store, served by uvicorn on loopback."""
    _browser_or_skip()  # no point loading the demo when no browser can drive it
    import uvicorn

    from api.app import create_app

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(store=demo_store), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def _api(base: str, path: str, **params: object) -> object:
    import httpx

    r = httpx.get(base + path, params=params, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def _rendered(page: object) -> None:
    page.wait_for_function("() => window.__pkRendered === location.hash", timeout=30000)  # type: ignore[attr-defined]


def _drawn_nodes(page: object) -> int:
    return page.evaluate("() => window.pkView.network.body.data.nodes.length")  # type: ignore[attr-defined]


def test_search_profile_question_network_flow(watched: Watched, served: str) -> None:
    page = watched.page
    page.goto(served + "/")
    _rendered(page)
    assert page.title() == "河东区专利转化知识图谱"

    # search -> the hits the API gives for the same words
    page.fill("#pk-search-q", "医疗")
    page.select_option("#pk-search-type", "Enterprise")
    page.click("#pk-search-go")
    page.wait_for_selector(".pk-hit")
    hits = _api(served, "/api/search", q="医疗", type="Enterprise", limit=30)
    assert page.locator(".pk-hit").count() == len(hits) > 0
    first = hits[0]
    assert page.locator(".pk-hit-link").first.inner_text() == first["caption"]

    # profile
    page.locator(".pk-hit-link").first.click()
    _rendered(page)
    profile = _api(served, f"/api/entities/{first['label']}/{quote(str(first['key']), safe='')}")
    assert page.inner_text("#pk-entity-title") == profile["name"]
    assert page.locator("#pk-relationships tr").count() == len(profile["relationships"]) + 1
    assert "统一社会信用代码" in page.inner_text("#pk-properties")

    # the entity's network: as many nodes as the API's subgraph for its default cap
    page.click("#pk-entity-graph")
    _rendered(page)
    ready = _wait_ready(page)
    sub = _api(served, "/api/graph/neighborhood", label=first["label"], key=first["key"],
               depth=1)
    assert ready["nodes"] == _drawn_nodes(page) == len(sub["nodes"]) <= 80
    # the heading names the entity in Chinese with its type, never by its key
    heading = page.inner_text("#pk-graph-title")
    assert profile["caption"] in heading and first["label_zh"] in heading
    assert str(first["key"]) not in heading
    assert page.is_visible("#pk-more") == bool(sub["truncated"])  # "显示更多" only when cut
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-entity-network.png"))
    assert f"显示 {len(sub['nodes'])} / 共 {max(sub['total_nodes'], len(sub['nodes']))} 个节点" \
        in page.inner_text("#pk-note")
    assert first["label_zh"] in page.inner_text("#pk-legend")

    # expand a node on click: its neighbourhood is merged into the picture
    before = _drawn_nodes(page)
    other = next(n for n in sub["nodes"] if n["id"] != sub["nodes"][0]["id"]
                 and n["label"] in ("Patent", "Park", "Industry", "Institute"))
    box = page.locator("#pk-network canvas").bounding_box()
    xy = page.evaluate("id => window.pkView.network.canvasToDOM("
                       "window.pkView.network.getPositions([id])[id])", other["id"])
    page.evaluate("id => window.pkView.network.selectNodes([id])", other["id"])
    page.mouse.click(box["x"] + xy["x"], box["y"] + xy["y"])
    page.wait_for_selector("#pk-info:not([hidden])")
    page.click("#pk-expand")
    page.wait_for_function("() => window.__pkExpanded")
    grown = _api(served, "/api/graph/neighborhood", label=other["label"], key=other["key"],
                 depth=1, limit=100)
    expected = len({n["id"] for n in sub["nodes"]} | {n["id"] for n in grown["nodes"]})
    assert _drawn_nodes(page) == expected >= before

    # the question catalogue as a form, the answer as a table with whole-result downloads
    page.click("a[data-nav=questions]")
    _rendered(page)
    page.click("[data-question=stock_patent_inventory] a")
    _rendered(page)
    page.select_option("#pk-param-tier", "A")
    page.click("#pk-question-run")
    _rendered(page)
    page.wait_for_selector("#pk-answer-table")
    answer = _api(served, "/api/questions/stock_patent_inventory", tier="A", limit=50)
    assert page.locator("#pk-answer-table tr").count() == len(answer["rows"]) + 1 > 1
    headers = page.locator("#pk-answer-table th").all_inner_texts()
    assert headers == [c["title_zh"] for c in answer["columns"]]
    csv_href = page.get_attribute("#pk-download-csv", "href")
    assert "format=csv" in csv_href and "tier=A" in csv_href
    assert "format=xlsx" in page.get_attribute("#pk-download-xlsx", "href")
    question_url = page.url

    # the answer as a network: the API's default cap (120), the question's Chinese title
    page.click("#pk-question-graph")
    _rendered(page)
    ready = _wait_ready(page)
    qsub = _api(served, "/api/graph/question/stock_patent_inventory", tier="A",
                limit=len(answer["rows"]))
    assert ready["nodes"] == _drawn_nodes(page) == len(qsub["nodes"]) <= 120
    assert ready["physics"] is False
    heading = page.inner_text("#pk-graph-title")
    title_zh = next(q["title_zh"] for q in _api(served, "/api/questions")
                    if q["name"] == "stock_patent_inventory")
    assert heading.startswith("问题网络：" + title_zh) and "分级：A" in heading
    assert "stock_patent_inventory" not in heading
    # a dense view labels the important nodes only (the others on zoom or hover)
    assert len(qsub["nodes"]) > 40
    assert 5 <= len(ready["labelled"]) <= 40
    # award winners carry the badge in every view, WON relationship drawn or not
    labels = page.evaluate("() => window.pkView.nodes.get().map(n => [n.id, n.label])")
    winners = {n["id"] for n in qsub["nodes"] if (n["props"].get("awards") or 0) > 0}
    assert all(("★" in text) == (ident in winners) for ident, text in labels
               if ident.split(":")[0] in ("Patent", "Enterprise", "Institute")
               and not any(e["type"] == "WON" and e["source"] == ident
                           for e in qsub["edges"]))
    # hovering a minor node shows its name
    minor = page.evaluate("() => window.pkView.nodes.get().filter(n => n.pkRank === 'minor')"
                          ".map(n => n.id)[0]")
    assert minor and minor not in ready["labelled"]
    xy = page.evaluate("id => window.pkView.network.canvasToDOM("
                       "window.pkView.network.getPositions([id])[id])", minor)
    box = page.locator("#pk-network canvas").bounding_box()
    page.mouse.move(box["x"] + xy["x"], box["y"] + xy["y"])
    page.wait_for_function("id => window.pkView.labelled().includes(id)", arg=minor)
    page.mouse.move(box["x"] + 2, box["y"] + 2)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-question-network.png"))

    # "显示更多" doubles the cap: the same view with max_nodes=240, as the API gives it
    assert page.is_visible("#pk-more") == bool(qsub["truncated"])
    if qsub["truncated"]:
        page.click("#pk-more")
        _rendered(page)
        ready = _wait_ready(page)
        more = _api(served, "/api/graph/question/stock_patent_inventory", tier="A",
                    limit=len(answer["rows"]), max_nodes=240)
        assert ready["nodes"] == _drawn_nodes(page) == len(more["nodes"]) > len(qsub["nodes"])
        assert "max_nodes=240" in page.url

    # a saved view opens read-only: same answer, no editing controls
    page.goto(question_url + "&view=1")
    _rendered(page)
    page.wait_for_selector("#pk-answer-table")
    assert not page.is_visible("#pk-question-form")
    assert page.is_visible("#pk-readonly")
    assert page.locator("#pk-answer-table tr").count() == len(answer["rows"]) + 1
    watched.assert_clean()


def test_meeting_mode_network_deep_link(watched: Watched, served: str) -> None:
    hits = _api(served, "/api/search", q="研究院", type="Institute", limit=1)
    assert hits, "the demo has institutes"
    inst = hits[0]
    page = watched.page
    link = (f"{served}/#/graph/entity/{inst['label']}/{quote(str(inst['key']), safe='')}"
            "?depth=2&meeting=1")
    page.goto(link)
    _rendered(page)
    ready = _wait_ready(page)
    sub = _api(served, "/api/graph/neighborhood", label=inst["label"], key=inst["key"],
               depth=2)
    assert ready["nodes"] == len(sub["nodes"]) <= 80
    assert page.evaluate("() => document.body.classList.contains('pk-meeting')")
    assert not page.is_visible(".pk-nav")  # no editing or navigation controls
    assert page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)") >= 20
    centre_node = next(n for n in sub["nodes"] if n.get("depth") == 0)
    heading = page.inner_text("#pk-graph-title")
    assert heading == f"关系网络：{centre_node['caption']}（科研机构）"
    assert str(inst["key"]) not in heading
    # a dark canvas like the page around it, light labels, large legend
    assert _luminance(page.evaluate("() => getComputedStyle("
                                    "document.getElementById('pk-network')).backgroundColor")) < 0.1
    assert _png_corner_luminance(page) < 0.1  # the exported picture is dark too
    centre = centre_node["id"]
    font = page.evaluate("id => window.pkView.nodes.get(id).font", centre)
    assert _luminance(font["color"]) > 0.9
    # the focus entity's name is large on screen at the fitted zoom; it is among the labelled
    assert font["size"] * ready["scale"] >= 28 and centre in ready["labelled"]
    assert page.evaluate("() => parseFloat(getComputedStyle("
                         "document.getElementById('pk-legend')).fontSize)") >= 24
    with page.expect_download() as dl:
        page.click("#pk-png")
    assert dl.value.suggested_filename.endswith(".png")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-meeting-network.png"))
    watched.assert_clean()


def test_page_says_when_indexes_are_rebuilt_and_search_is_partial(
        watched: Watched, served: str, demo_store: object) -> None:
    """After a restart FalkorDB rebuilds its indexes in the background (minutes at 1M): the
    page says so at the top with the progress /health gives, and a search answered meanwhile
    (keys and names only) says it is incomplete."""
    import json

    page = watched.page
    health = _api(served, "/health")
    assert health["indexes_building"] == {}
    # /health as the store reports an index under construction (its real status text);
    # the store side of that status is covered by tests/test_store_contract.py
    building = {**health, "indexes_building": {
        "Patent": "[Indexing] 250000/1000000: UNDER CONSTRUCTION"}}
    page.route("**/health", lambda r: r.fulfill(status=200, content_type="application/json",
                                                body=json.dumps(building)))
    page.goto(served + "/")
    _rendered(page)
    page.wait_for_selector("#pk-notice:not([hidden])")
    assert "专利（25%）" in page.inner_text("#pk-notice")

    org = _api(served, "/api/search", q="医疗", type="Enterprise", limit=1)[0]
    demo_store.write("CALL db.idx.fulltext.drop('Patent')")  # type: ignore[attr-defined]
    try:
        page.goto(f"{served}/#/?q={quote(org['caption'][:6])}")
        _rendered(page)
        page.wait_for_selector("#pk-search-partial")
        assert "专利全文索引" in page.inner_text("#pk-search-partial")
        assert page.locator(".pk-hit").count() > 0
    finally:
        demo_store.ensure_schema()  # type: ignore[attr-defined]
    page.goto(f"{served}/#/?q={quote(org['caption'][:6])}&n=2")
    _rendered(page)
    page.wait_for_selector(".pk-count")
    assert page.locator("#pk-search-partial").count() == 0
    watched.assert_clean()
