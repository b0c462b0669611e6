/* Network pictures of patentkg Subgraph JSON with the vendored vis-network.
 *
 * Shared by the web page (/static/graphview.js) and the standalone HTML files written by
 * viz.network.render_html (inlined there). No network access, no build step.
 *
 * Positions come precomputed (viz.layout.with_layout): physics stays OFF so the picture is
 * still from the first frame. Only nodes without x/y (should not happen) trigger one bounded
 * stabilisation, after which physics is switched off again.
 */
(function (global) {
  "use strict";

  // colour and shape per node label; the legend on the page is built from this table
  var STYLE = {
    Patent: { color: "#4e79a7", shape: "dot" },
    Enterprise: { color: "#f28e2b", shape: "square" },
    Institute: { color: "#59a14f", shape: "triangle" },
    Park: { color: "#b07aa1", shape: "hexagon" },
    Industry: { color: "#edc948", shape: "diamond" },
    IPC: { color: "#9c755f", shape: "triangleDown" },
    TechField: { color: "#bab0ac", shape: "triangleDown" },
    TechCluster: { color: "#76b7b2", shape: "diamond" },
    Award: { color: "#e15759", shape: "star" },
    Inventor: { color: "#86bcb6", shape: "dot" },
    FinancialInstitution: { color: "#d37295", shape: "square" },
    FinancingProduct: { color: "#fabfd2", shape: "diamond" },
    Pledge: { color: "#ff9da7", shape: "dot" },
    Licence: { color: "#8cd17d", shape: "dot" },
    OpenLicenceOffer: { color: "#b6992d", shape: "dot" },
    Transfer: { color: "#499894", shape: "dot" },
    InsurancePolicy: { color: "#f1ce63", shape: "dot" },
    Trademark: { color: "#a0cbe8", shape: "dot" },
    Copyright: { color: "#ffbe7d", shape: "dot" },
    Product: { color: "#d4a6c8", shape: "hexagon" },
    TechContract: { color: "#79706e", shape: "dot" },
    Event: { color: "#ff7f0e", shape: "star" },
    ServiceAgency: { color: "#17becf", shape: "square" },
    Division: { color: "#c7c7c7", shape: "hexagon" }
  };
  var DEFAULT_STYLE = { color: "#999999", shape: "dot" };
  var TIER_SIZE = { A: 24, B: 18, C: 14 };
  var AWARD_BORDER = "#d4a017";
  var EDGE_LABEL_MAX = 1500; // above this many edges, labels only in the tooltip (speed)

  function styleOf(label) { return STYLE[label] || DEFAULT_STYLE; }

  function truncate(text, n) {
    text = String(text == null ? "" : text);
    return text.length > n ? text.slice(0, n - 1) + "…" : text;
  }

  function hasAward(props) {
    if (!props) return false;
    var a = props.awards;
    if (Array.isArray(a)) return a.length > 0;
    if (typeof a === "number") return a > 0;
    if (typeof a === "string") return a.trim().length > 0;
    return !!(props.has_award || props.award_count > 0 || props.award);
  }

  function tooltipText(n) {
    var p = n.props || {};
    if (n.title) return String(n.title);
    var lines = [(n.label_zh || n.label) + "：" + (n.caption || n.key)];
    if (p.tier) lines.push("分级：" + p.tier);
    if (p.value_score != null) lines.push("价值分：" + p.value_score);
    if (hasAward(p)) lines.push("获奖：" + (Array.isArray(p.awards) ? p.awards.join("、") : "是"));
    lines.push("编号：" + n.key);
    return lines.join("\n");
  }

  // an award is a WON relationship in the picture, or an `awards` fact on the node
  function awardWinners(edges, into) {
    (edges || []).forEach(function (e) { if (e.type === "WON") into[e.source] = true; });
    return into;
  }

  function visNode(n, opts, winners) {
    var s = styleOf(n.label);
    var p = n.props || {};
    var award = hasAward(p) || !!(winners && winners[n.id]);
    var caption = truncate(n.caption || n.key, opts.meeting ? 12 : 16);
    var badges = (p.tier ? "[" + p.tier + "]" : "") + (award ? "★" : "");
    var label = badges ? badges + " " + caption : caption;
    var size = TIER_SIZE[p.tier] || 16;
    var out = {
      id: n.id, label: label, title: tooltipText(n), shape: s.shape, size: size,
      color: {
        background: s.color, border: award ? AWARD_BORDER : shade(s.color),
        highlight: { background: s.color, border: "#000000" },
        hover: { background: s.color, border: "#000000" }
      },
      borderWidth: award ? 5 : 1, borderWidthSelected: award ? 6 : 3,
      font: { size: opts.meeting ? 22 : 14, color: opts.meeting ? "#000000" : "#222222",
              strokeWidth: 3, strokeColor: "#ffffff" }
    };
    if (typeof n.x === "number" && typeof n.y === "number") { out.x = n.x; out.y = n.y; }
    return out;
  }

  function shade(hex) {
    // a darker border of the same hue
    var v = parseInt(hex.slice(1), 16);
    var r = Math.round(((v >> 16) & 255) * 0.7), g = Math.round(((v >> 8) & 255) * 0.7),
        b = Math.round((v & 255) * 0.7);
    return "#" + ((1 << 24) + (r << 16) + (g << 8) + b).toString(16).slice(1);
  }

  function visEdge(e, opts, withLabels) {
    var out = {
      id: e.id || (e.source + "|" + e.type + "|" + e.target),
      from: e.source, to: e.target, arrows: { to: { enabled: true, scaleFactor: 0.5 } },
      title: (e.type_zh || e.type || ""), color: { color: "#8a8a8a", highlight: "#000000" },
      width: opts.meeting ? 2 : 1
    };
    if (withLabels) {
      out.label = e.type_zh || e.type || "";
      out.font = { size: opts.meeting ? 16 : 10, color: "#555555", strokeWidth: 2,
                   strokeColor: "#ffffff", align: "middle" };
    }
    return out;
  }

  function visOptions(needsPhysics, opts, big) {
    return {
      autoResize: true,
      layout: { improvedLayout: false, randomSeed: 7 },
      physics: needsPhysics ? {
        enabled: true, solver: "barnesHut",
        stabilization: { enabled: true, iterations: 200, updateInterval: 50, fit: true }
      } : { enabled: false },
      edges: { smooth: false },
      nodes: { shape: "dot" },
      interaction: {
        hover: !big, tooltipDelay: 150, hideEdgesOnDrag: big, hideEdgesOnZoom: big,
        navigationButtons: false, keyboard: false, multiselect: false,
        dragNodes: !opts.readOnly
      }
    };
  }

  function noteText(shown, total, truncated) {
    var t = "显示 " + shown + " / 共 " + total + " 个节点";
    if (truncated || shown < total) t += "（已截断：请缩小范围或筛选后查看全部）";
    return t;
  }

  /* Build the legend for the labels present in a subgraph. */
  function legend(el, subgraph) {
    var seen = {}, items = [];
    (subgraph.nodes || []).forEach(function (n) {
      if (!seen[n.label]) { seen[n.label] = true; items.push([n.label, n.label_zh || n.label]); }
    });
    el.textContent = "";
    items.forEach(function (it) {
      var s = styleOf(it[0]);
      var span = document.createElement("span");
      span.className = "pk-legend-item";
      span.setAttribute("data-label", it[0]);
      var sw = document.createElement("i");
      sw.className = "pk-swatch pk-shape-" + s.shape;
      sw.style.background = s.color;
      span.appendChild(sw);
      span.appendChild(document.createTextNode(it[1]));
      el.appendChild(span);
    });
    var badge = document.createElement("span");
    badge.className = "pk-legend-item pk-legend-badges";
    badge.textContent = "[A]/[B]/[C] 专利分级　★ 金框：获奖";
    el.appendChild(badge);
  }

  /* Draw a subgraph into `container`. Returns a view object:
   *   {network, nodes, edges, subgraph, merge(sub, anchorId), toPNG(), shown(), total()}
   * opts: {meeting: bool, readOnly: bool, onNodeClick(nodeJson), onReady(info), note: el}
   */
  function draw(container, subgraph, opts) {
    opts = opts || {};
    var t0 = performance.now();
    var edgesIn = subgraph.edges || [];
    var withLabels = edgesIn.length <= EDGE_LABEL_MAX;
    var byId = {};
    (subgraph.nodes || []).forEach(function (n) { byId[n.id] = n; });
    var winners = awardWinners(edgesIn, {});
    var nodes = new vis.DataSet((subgraph.nodes || []).map(function (n) { return visNode(n, opts, winners); }));
    var edges = new vis.DataSet(dedupeEdges(edgesIn).map(function (e) { return visEdge(e, opts, withLabels); }));
    var needsPhysics = (subgraph.nodes || []).some(function (n) {
      return typeof n.x !== "number" || typeof n.y !== "number";
    });
    var big = (subgraph.nodes || []).length > 1000;
    var network = new vis.Network(container, { nodes: nodes, edges: edges },
                                  visOptions(needsPhysics, opts, big));
    var total = subgraph.total_nodes != null ? subgraph.total_nodes : nodes.length;
    var truncated = !!subgraph.truncated;
    var view = {
      network: network, nodes: nodes, edges: edges, subgraph: subgraph, byId: byId, winners: winners,
      ready: false, readyMs: null,
      shown: function () { return nodes.length; },
      total: function () { return Math.max(total, nodes.length); },
      note: function () { return noteText(nodes.length, Math.max(total, nodes.length), truncated); },
      merge: function (sub, anchorId) { return merge(view, sub, anchorId, opts, withLabels); },
      toPNG: function () { return toPNG(container); }
    };
    function markReady() {
      if (view.ready) return;
      view.ready = true;
      view.readyMs = performance.now() - t0;
      if (needsPhysics) network.setOptions({ physics: { enabled: false } });
      global.__pkGraphReady = { nodes: nodes.length, edges: edges.length, ms: view.readyMs,
                                at: performance.now(),
                                physics: needsPhysics };
      if (opts.note) opts.note.textContent = view.note();
      if (opts.onReady) opts.onReady(view);
    }
    if (needsPhysics) {
      network.once("stabilizationIterationsDone", function () {
        network.once("afterDrawing", markReady);
        network.fit();
      });
    } else {
      network.once("afterDrawing", markReady);
    }
    network.on("click", function (params) {
      if (params.nodes && params.nodes.length && opts.onNodeClick) {
        opts.onNodeClick(view.byId[params.nodes[0]], view);
      }
    });
    if (opts.note) opts.note.textContent = view.note();
    return view;
  }

  function dedupeEdges(list) {
    var seen = {}, out = [];
    list.forEach(function (e) {
      var id = e.id || (e.source + "|" + e.type + "|" + e.target);
      if (!seen[id]) { seen[id] = true; out.push(e); }
    });
    return out;
  }

  /* Merge a neighbourhood into the view: new nodes keep their layout relative to the anchor,
   * shifted so the anchor stays where the user clicked it. Returns the number of new nodes. */
  function merge(view, sub, anchorId, opts, withLabels) {
    var dx = 0, dy = 0;
    var anchorNew = (sub.nodes || []).filter(function (n) { return n.id === anchorId; })[0];
    if (anchorNew && typeof anchorNew.x === "number") {
      var p = view.network.getPositions([anchorId])[anchorId];
      if (p) { dx = p.x - anchorNew.x; dy = p.y - anchorNew.y; }
    }
    var added = [];
    (sub.nodes || []).forEach(function (n) {
      if (view.nodes.get(n.id)) return;
      var copy = Object.assign({}, n);
      if (typeof copy.x === "number") { copy.x += dx; copy.y += dy; }
      view.byId[n.id] = n;
      added.push(copy);
    });
    var before = Object.assign({}, view.winners);
    awardWinners(sub.edges, view.winners);
    view.nodes.add(added.map(function (n) { return visNode(n, opts, view.winners); }));
    // nodes already drawn that turn out to be award winners get their badge now
    Object.keys(view.winners).forEach(function (id) {
      if (!before[id] && view.byId[id] && added.every(function (n) { return n.id !== id; })) {
        var fresh = visNode(view.byId[id], opts, view.winners);
        var at = view.network.getPositions([id])[id];
        if (at) { fresh.x = at.x; fresh.y = at.y; }
        view.nodes.update(fresh);
      }
    });
    var newEdges = dedupeEdges(sub.edges || []).filter(function (e) {
      var id = e.id || (e.source + "|" + e.type + "|" + e.target);
      return !view.edges.get(id);
    });
    view.edges.add(newEdges.map(function (e) { return visEdge(e, opts, withLabels); }));
    if (opts.note) opts.note.textContent = view.note();
    return added.length;
  }

  /* The current picture as a PNG data URL on a white background. */
  function toPNG(container) {
    var src = container.querySelector("canvas");
    var c = document.createElement("canvas");
    c.width = src.width; c.height = src.height;
    var ctx = c.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, c.width, c.height);
    ctx.drawImage(src, 0, 0);
    return c.toDataURL("image/png");
  }

  function downloadPNG(view, filename) {
    var a = document.createElement("a");
    a.href = view.toPNG();
    a.download = filename || "network.png";
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  global.PatentGraph = {
    STYLE: STYLE, draw: draw, legend: legend, noteText: noteText, downloadPNG: downloadPNG,
    styleOf: styleOf
  };
})(window);
