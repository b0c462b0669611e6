"""Standalone network pictures: one HTML file with everything inlined.

The file carries the vendored vis-network (``viz/static/vendor/vis-network``, 9.1.2 as bundled
with pyvis 0.3.2), the shared drawing code (``viz/static/graphview.js``) and the subgraph as
JSON, so it opens from a USB stick (``file://``) on an offline intranet PC: no CDN, no font
download, no request at all. Positions are precomputed (``viz.layout``) and physics is off.
"""

from __future__ import annotations

import html
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from viz.layout import with_layout

STATIC = Path(__file__).resolve().parent / "static"
VIS_JS = STATIC / "vendor" / "vis-network" / "vis-network.min.js"
VIS_CSS = STATIC / "vendor" / "vis-network" / "vis-network.css"

# Anything that would make a browser fetch from elsewhere; checked on every page we write.
REMOTE_REF = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//"""
                        r"""|@import|url\(\s*["']?(?:https?:)?//""", re.IGNORECASE)


@cache
def _asset(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def _script_safe(text: str) -> str:
    """Text placed inside <script>/<style> must not close the element early."""
    return re.sub(r"</(script|style)", r"<\\/\1", text, flags=re.IGNORECASE)


def _json_for_script(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/").replace("<!--", "<\\!--")


_TEMPLATE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="patentkg">
<title>{title}</title>
<style>{vis_css}</style>
<style>{graph_css}</style>
<style>
body {{ font-family: "Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", "WenQuanYi Micro Hei",
       sans-serif; margin: 12px; color: #111; }}
h1 {{ font-size: 22px; margin: 0 0 4px; }}
.pk-bar {{ display: flex; gap: 12px; align-items: center; flex-wrap: wrap; }}
.pk-bar button {{ font-size: 15px; padding: 4px 12px; }}
.pk-network {{ height: calc(100vh - 150px); min-height: 420px; }}
.pk-usernote {{ color: #444; margin: 2px 0; }}
body.pk-meeting {{ background: #000; color: #fff; }}
body.pk-meeting h1 {{ font-size: 34px; }}
body.pk-meeting .pk-note, body.pk-meeting .pk-usernote {{ font-size: 22px; color: #fff; }}
body.pk-meeting .pk-bar button {{ font-size: 20px; background: #111; color: #fff;
                                 border: 1px solid #fff; }}
body.pk-meeting .pk-network {{ height: calc(100vh - 210px); }}
</style>
</head>
<body>
<h1>{title}</h1>
<div class="pk-usernote">{note}</div>
<div class="pk-bar">
  <span class="pk-note" id="pk-note"></span>
  <button type="button" id="pk-png">导出图片 PNG</button>
  <button type="button" id="pk-fit">适应窗口</button>
  <button type="button" id="pk-meeting">会议模式</button>
</div>
<div class="pk-legend" id="pk-legend"></div>
<div class="pk-network" id="pk-network"></div>
<script>{vis_js}</script>
<script>{graph_js}</script>
<script id="pk-data" type="application/json">{data}</script>
<script>
(function () {{
  var data = JSON.parse(document.getElementById("pk-data").textContent);
  var meeting = /[?&#]meeting=1/.test(location.href);
  if (meeting) {{
    document.body.classList.add("pk-meeting");
    document.getElementById("pk-meeting").textContent = "退出会议模式";
  }}
  PatentGraph.legend(document.getElementById("pk-legend"), data);
  var view = PatentGraph.draw(document.getElementById("pk-network"), data,
                              {{ note: document.getElementById("pk-note"), meeting: meeting }});
  window.pkView = view;
  window.network = view.network;
  document.getElementById("pk-png").onclick = function () {{
    PatentGraph.downloadPNG(view, {filename});
  }};
  document.getElementById("pk-fit").onclick = function () {{ view.network.fit(); }};
  document.getElementById("pk-meeting").onclick = function () {{
    var on = document.body.classList.toggle("pk-meeting");
    this.textContent = on ? "退出会议模式" : "会议模式";
    view.setMeeting(on);
    var el = document.documentElement;
    if (on && el.requestFullscreen && !document.fullscreenElement) {{
      el.requestFullscreen().catch(function () {{}});
    }} else if (!on && document.fullscreenElement && document.exitFullscreen) {{
      document.exitFullscreen().catch(function () {{}});
    }}
  }};
}})();
</script>
</body>
</html>
"""


def render_html(subgraph: dict[str, Any], *, title: str, note: str = "") -> str:
    """A standalone, offline HTML page drawing ``subgraph`` (Subgraph JSON).

    Nodes without ``x``/``y`` get a layout here. The answer holds no remote reference."""
    nodes = subgraph.get("nodes") or []
    if any("x" not in n or "y" not in n for n in nodes):
        subgraph = with_layout(subgraph)
    page = _TEMPLATE.format(
        title=html.escape(title), note=html.escape(note),
        vis_css=_script_safe(VIS_CSS.read_text(encoding="utf-8")),
        graph_css=_script_safe(_asset("graphview.css")),
        vis_js=_script_safe(VIS_JS.read_text(encoding="utf-8")),
        graph_js=_script_safe(_asset("graphview.js")),
        data=_json_for_script(subgraph),
        filename=json.dumps(_png_name(title), ensure_ascii=False))
    assert_offline(page)
    return page


def _png_name(title: str) -> str:
    safe = re.sub(r"[\\/:*?\"<>|\s]+", "_", title).strip("_") or "network"
    return f"{safe[:60]}.png"


def assert_offline(page: str) -> None:
    """Raise if a page would load anything from another host (a CDN, a web font)."""
    match = REMOTE_REF.search(page)
    if match:
        start = max(0, match.start() - 60)
        raise ValueError(f"page has a remote reference: {page[start:match.end() + 60]!r}")
