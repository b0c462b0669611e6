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
  var EDGE_LABEL_MAX = 1500; // above this many edges, labels only in the tooltip (speed)

  // Themes: the normal page is light; meeting mode (projector) is a dark canvas with light,
  // large labels, the same black as the page around it.
  var THEMES = {
    light: { font: "#1a1a1a", stroke: "#ffffff", edge: "#a0a0a0", edgeFont: "#555555",
             highlight: "#000000", award: "#d4a017", background: "#ffffff" },
    dark: { font: "#ffffff", stroke: "#000000", edge: "#6f7f91", edgeFont: "#d7dee6",
            highlight: "#ffffff", award: "#ffd166", background: "#0b0e14" }
  };
  // Label sizes in screen pixels at the fitted zoom. vis-network skips a label smaller than
  // DRAW_THRESHOLD - 1 px on screen, so "minor" labels appear only when zoomed in (~1.5x)
  // or hovered, and the important ones stay readable on a projector.
  var PX = {
    normal: { focus: 18, major: 14, minor: 6, edge: 11 },
    meeting: { focus: 30, major: 22, minor: 6, edge: 16 }
  };
  var DRAW_THRESHOLD = 10;
  var DENSE = 40;                          // above this many nodes, label the important ones
  var LABEL_BUDGET = { normal: 40, meeting: 28 };

  function styleOf(label) { return STYLE[label] || DEFAULT_STYLE; }
  function themeOf(opts) { return opts.meeting ? THEMES.dark : THEMES.light; }
  function pxOf(opts) { return opts.meeting ? PX.meeting : PX.normal; }

  function truncate(text, n) {
    text = String(text == null ? "" : text);
    return text.length > n ? text.slice(0, n - 1) + "…" : text;
  }

  // Organisation names without the legal form and the city, for the picture only (the tooltip
  // and the info box keep the full name): "远睿康复设备（天津）有限公司" -> "远睿康复设备".
  function shortName(label, text) {
    text = String(text == null ? "" : text);
    if (label !== "Enterprise" && label !== "Institute" && label !== "FinancialInstitution" &&
        label !== "ServiceAgency") return text;
    var short = text.replace(/[（(]天津[)）]/g, "")
      .replace(/(股份有限公司|有限责任公司|有限公司)$/, "")
      .replace(/^天津市?(?=.{4,})/, "");
    return short.length >= 2 ? short : text;
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

  /* Which labels to draw at the fitted zoom: id -> "focus" | "major" | "minor".
   * Small views label everything. Dense views label, in this order and within a budget: the
   * focus entity (the centre of a neighbourhood), award winners, hubs (the best-connected
   * nodes), tier-A patents; a label that would overlap one already placed (on screen, at the
   * fitted zoom `scale`) is left for zoom or hover, so what is drawn can be read. */
  function rankNodes(nodes, edges, winners, opts, scale) {
    var degree = {}, ranks = {};
    (edges || []).forEach(function (e) {
      degree[e.source] = (degree[e.source] || 0) + 1;
      degree[e.target] = (degree[e.target] || 0) + 1;
    });
    var centres = nodes.filter(function (n) { return n.depth === 0; });
    var isFocus = function (n) {
      return (centres.length > 0 && centres.length <= 3 && n.depth === 0) || n.id === opts.focus;
    };
    if (nodes.length <= DENSE) {
      nodes.forEach(function (n) { ranks[n.id] = isFocus(n) ? "focus" : "major"; });
      return ranks;
    }
    var degrees = nodes.map(function (n) { return degree[n.id] || 0; }).sort(function (a, b) { return b - a; });
    var hubMin = Math.max(3, degrees[Math.min(degrees.length - 1, Math.max(5, Math.ceil(nodes.length * 0.05)))] + 1);
    var scored = nodes.map(function (n) {
      var p = n.props || {};
      var d = degree[n.id] || 0;
      var group = isFocus(n) ? 0 : (hasAward(p) || (winners && winners[n.id])) ? 1
        : d >= hubMin ? 2 : p.tier === "A" ? 3 : 9;
      return { node: n, id: n.id, group: group, degree: d, score: Number(p.value_score) || 0 };
    }).sort(function (a, b) {
      return a.group - b.group || b.degree - a.degree || b.score - a.score ||
             (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    });
    var budget = LABEL_BUDGET[opts.meeting ? "meeting" : "normal"];
    var placed = [], count = 0;
    scored.forEach(function (s) {
      var rank = "minor";
      if (s.group === 0) rank = "focus";
      else if (s.group < 9 && count < budget) {
        var box = labelBox(s.node, labelText(s.node, opts, winners), labelPx("major", opts), scale);
        if (!box || !placed.some(function (b) { return overlaps(b, box); })) rank = "major";
        if (box && rank === "major") placed.push(box);
      }
      if (rank === "focus") {
        var fbox = labelBox(s.node, labelText(s.node, opts, winners), labelPx("focus", opts), scale);
        if (fbox) placed.push(fbox);
      }
      if (rank !== "minor") count += 1;
      ranks[s.id] = rank;
    });
    return ranks;
  }

  /* The screen box (px at zoom `scale`) of a node's label: vis-network writes it centred
   * under the node. Chinese characters are about 1 em wide, Latin ones about 0.6 em. */
  function labelBox(n, text, px, scale) {
    if (typeof n.x !== "number" || typeof n.y !== "number") return null;
    var ems = 0;
    for (var i = 0; i < text.length; i++) ems += text.charCodeAt(i) > 0x2e80 ? 1 : 0.6;
    var w = ems * px + 8, h = px * 1.3 + 4;
    var size = (TIER_SIZE[(n.props || {}).tier] || 16) * scale;
    var cx = n.x * scale, top = n.y * scale + size + 2;
    return { x0: cx - w / 2, x1: cx + w / 2, y0: top - 2, y1: top + h };
  }

  function overlaps(a, b) {
    return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
  }

  function labelText(n, opts, winners) {
    var p = n.props || {};
    var award = hasAward(p) || !!(winners && winners[n.id]);
    var caption = truncate(shortName(n.label, n.caption || n.key), opts.meeting ? 12 : 16);
    var badges = (p.tier ? "[" + p.tier + "]" : "") + (award ? "★" : "");
    return badges ? badges + " " + caption : caption;
  }

  /* The zoom vis-network's fit() will pick for these positions in this container (<= 1). */
  function estimateScale(container, nodes) {
    var xs = [], ys = [];
    nodes.forEach(function (n) {
      if (typeof n.x === "number" && typeof n.y === "number") { xs.push(n.x); ys.push(n.y); }
    });
    if (xs.length < 2) return 1;
    var w = container.clientWidth || 800, h = container.clientHeight || 600;
    var dx = (Math.max.apply(null, xs) - Math.min.apply(null, xs) + 60) * 1.1;
    var dy = (Math.max.apply(null, ys) - Math.min.apply(null, ys) + 60) * 1.1;
    return Math.max(0.02, Math.min(1, w / dx, h / dy));
  }

  function labelPx(rank, opts) {
    var px = pxOf(opts);
    return rank === "focus" ? px.focus : rank === "minor" ? px.minor : px.major;
  }

  function visNode(n, opts, winners, look) {
    var s = styleOf(n.label);
    var p = n.props || {};
    var theme = themeOf(opts);
    var award = hasAward(p) || !!(winners && winners[n.id]);
    var rank = (look.ranks && look.ranks[n.id]) || "major";
    var label = labelText(n, opts, winners);
    var size = (TIER_SIZE[p.tier] || 16) * (rank === "focus" ? 1.5 : 1);
    var out = {
      id: n.id, label: label, title: tooltipText(n), shape: s.shape, size: size,
      color: {
        background: s.color, border: award ? theme.award : shade(s.color),
        highlight: { background: s.color, border: theme.highlight },
        hover: { background: s.color, border: theme.highlight }
      },
      borderWidth: award ? 5 : 1, borderWidthSelected: award ? 6 : 3,
      font: { size: Math.round(labelPx(rank, opts) / look.scale), color: theme.font,
              strokeWidth: Math.max(3, Math.round((opts.meeting ? 5 : 3) / look.scale)),
              strokeColor: theme.stroke, bold: { color: theme.font } },
      pkRank: rank
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

  function visEdge(e, opts, look) {
    var theme = themeOf(opts);
    var out = {
      id: e.id || (e.source + "|" + e.type + "|" + e.target),
      from: e.source, to: e.target, arrows: { to: { enabled: true, scaleFactor: 0.5 } },
      title: (e.type_zh || e.type || ""), color: { color: theme.edge, highlight: theme.highlight,
                                                    hover: theme.highlight },
      width: Math.max(1, (opts.meeting ? 1.5 : 1) / look.scale)
    };
    if (look.edgeLabels) {
      var px = look.dense ? pxOf(opts).minor : pxOf(opts).edge;
      out.label = e.type_zh || e.type || "";
      out.font = { size: Math.round(px / look.scale), color: theme.edgeFont,
                   strokeWidth: Math.max(2, Math.round(3 / look.scale)),
                   strokeColor: theme.stroke, align: "middle" };
    }
    return out;
  }

  function visOptions(needsPhysics, opts, big) {
    var scaling = { label: { enabled: false, drawThreshold: DRAW_THRESHOLD, maxVisible: 44 } };
    return {
      autoResize: true,
      layout: { improvedLayout: false, randomSeed: 7 },
      physics: needsPhysics ? {
        enabled: true, solver: "barnesHut",
        stabilization: { enabled: true, iterations: 200, updateInterval: 50, fit: true }
      } : { enabled: false },
      edges: { smooth: false, scaling: { label: { enabled: true, drawThreshold: DRAW_THRESHOLD,
                                                  maxVisible: 30 } } },
      nodes: { shape: "dot", scaling: scaling },
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
    if ((subgraph.nodes || []).length > DENSE) {
      var hint = document.createElement("span");
      hint.className = "pk-legend-item pk-legend-hint";
      hint.textContent = "只标出重要节点的名称：放大或把鼠标移到节点上可看全部";
      el.appendChild(hint);
    }
  }

  /* Draw a subgraph into `container`. Returns a view object:
   *   {network, nodes, edges, subgraph, merge(sub, anchorId), setMeeting(on), toPNG(), shown(),
   *    total(), ranks, scale}
   * opts: {meeting: bool, readOnly: bool, focus: node id, onNodeClick(nodeJson),
   *        onReady(info), note: el}
   */
  function draw(container, subgraph, opts) {
    opts = opts || {};
    var t0 = performance.now();
    var nodesIn = subgraph.nodes || [];
    var edgesIn = subgraph.edges || [];
    var byId = {};
    nodesIn.forEach(function (n) { byId[n.id] = n; });
    var winners = awardWinners(edgesIn, {});
    var look = { scale: estimateScale(container, nodesIn), dense: nodesIn.length > DENSE,
                 edgeLabels: edgesIn.length <= EDGE_LABEL_MAX };
    look.ranks = rankNodes(nodesIn, edgesIn, winners, opts, look.scale);
    var nodes = new vis.DataSet(nodesIn.map(function (n) { return visNode(n, opts, winners, look); }));
    var edges = new vis.DataSet(dedupeEdges(edgesIn).map(function (e) { return visEdge(e, opts, look); }));
    var needsPhysics = nodesIn.some(function (n) {
      return typeof n.x !== "number" || typeof n.y !== "number";
    });
    var big = nodesIn.length > 1000;
    var network = new vis.Network(container, { nodes: nodes, edges: edges },
                                  visOptions(needsPhysics, opts, big));
    var total = subgraph.total_nodes != null ? subgraph.total_nodes : nodes.length;
    var truncated = !!subgraph.truncated;
    var view = {
      network: network, nodes: nodes, edges: edges, subgraph: subgraph, byId: byId, winners: winners,
      look: look, ranks: look.ranks, opts: opts, ready: false, readyMs: null,
      shown: function () { return nodes.length; },
      total: function () { return Math.max(total, nodes.length); },
      note: function () { return noteText(nodes.length, Math.max(total, nodes.length), truncated); },
      merge: function (sub, anchorId) { return merge(view, sub, anchorId); },
      setMeeting: function (on) { return setMeeting(view, on); },
      labelled: function () { return labelled(view); },
      toPNG: function () { return toPNG(container); }
    };
    // vis-network fits the picture when it is created: when its zoom differs from the
    // estimate (labels widen the box), size the labels for the zoom actually used
    function fitLabels() {
      var actual = network.getScale();
      if (!needsPhysics && actual > 0 && Math.abs(actual / look.scale - 1) > 0.1) {
        look.scale = actual;
        view.ranks = look.ranks = rankNodes(nodesIn, edgesIn, winners, opts, look.scale);
        restyle(view);
      }
    }
    fitLabels();
    function markReady() {
      if (view.ready) return;
      // the canvas may have got its final size (and vis-network its final zoom) only by the
      // first frame, on a slow machine: size the labels for that zoom before saying ready
      fitLabels();
      view.ready = true;
      view.readyMs = performance.now() - t0;
      if (needsPhysics) network.setOptions({ physics: { enabled: false } });
      global.__pkGraphReady = { nodes: nodes.length, edges: edges.length, ms: view.readyMs,
                                at: performance.now(), physics: needsPhysics,
                                labelled: view.labelled(), scale: network.getScale() };
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
    // a minor node shows its name while hovered or selected
    var shownNow = {};
    function reveal(id, on) {
      var vn = nodes.get(id);
      if (!vn || vn.pkRank !== "minor" || !!shownNow[id] === on) return;
      if (on) shownNow[id] = true; else delete shownNow[id];
      var px = on ? pxOf(view.opts).major : pxOf(view.opts).minor;
      nodes.update({ id: id, font: { size: Math.round(px / look.scale) } });
    }
    network.on("hoverNode", function (p) { reveal(p.node, true); });
    network.on("blurNode", function (p) {
      if (network.getSelectedNodes().indexOf(p.node) < 0) reveal(p.node, false);
    });
    network.on("selectNode", function (p) { (p.nodes || []).forEach(function (id) { reveal(id, true); }); });
    network.on("deselectNode", function (p) {
      ((p.previousSelection && p.previousSelection.nodes) || []).forEach(function (n) {
        reveal(n && n.id !== undefined ? n.id : n, false);
      });
    });
    if (opts.note) opts.note.textContent = view.note();
    return view;
  }

  /* Ids of the nodes whose label is drawn at the current zoom (vis-network's own rule). */
  function labelled(view) {
    var scale = view.network.getScale(), out = [];
    view.nodes.forEach(function (vn) {
      if (vn.label && vn.font && vn.font.size * scale >= DRAW_THRESHOLD - 1) out.push(vn.id);
    });
    return out;
  }

  /* Re-style every node and edge (theme, label sizes) keeping the positions on screen. */
  function restyle(view) {
    var pos = view.network.getPositions();
    var ids = Object.keys(view.byId);
    view.nodes.update(ids.map(function (id) {
      var vn = visNode(view.byId[id], view.opts, view.winners, view.look);
      if (pos[id]) { vn.x = pos[id].x; vn.y = pos[id].y; }
      return vn;
    }));
    var all = view.edges.get();
    var src = {};
    dedupeEdges((view.subgraph.edges || []).concat(view.extraEdges || [])).forEach(function (e) {
      src[e.id || (e.source + "|" + e.type + "|" + e.target)] = e;
    });
    view.edges.update(all.map(function (ve) {
      var e = src[ve.id] || { id: ve.id, source: ve.from, target: ve.to, type_zh: ve.title };
      return visEdge(e, view.opts, view.look);
    }));
  }

  function setMeeting(view, on) {
    view.opts.meeting = !!on;
    var all = Object.keys(view.byId).map(function (k) { return view.byId[k]; });
    var edges = (view.subgraph.edges || []).concat(view.extraEdges || []);
    var pos = view.network.getPositions();
    all = all.map(function (n) {
      return pos[n.id] ? Object.assign({}, n, { x: pos[n.id].x, y: pos[n.id].y }) : n;
    });
    view.look.ranks = view.ranks = rankNodes(all, edges, view.winners, view.opts, view.look.scale);
    restyle(view);
    view.network.redraw();
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
   * shifted so the anchor stays where the user clicked it. Returns the number of new nodes.
   * New nodes are labelled like minor ones (their names show on hover or zoom), except
   * award winners and tier-A patents in a small picture. */
  function merge(view, sub, anchorId) {
    var opts = view.opts, look = view.look;
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
      delete copy.depth; // depth counted from the expanded node, not from the picture's focus
      if (typeof copy.x === "number") { copy.x += dx; copy.y += dy; }
      view.byId[n.id] = copy;
      added.push(copy);
    });
    var before = Object.assign({}, view.winners);
    awardWinners(sub.edges, view.winners);
    var crowded = view.nodes.length + added.length > DENSE;
    added.forEach(function (n) {
      var p = n.props || {};
      var notable = hasAward(p) || view.winners[n.id] || p.tier === "A";
      look.ranks[n.id] = crowded && !notable ? "minor" : "major";
    });
    view.nodes.add(added.map(function (n) { return visNode(n, opts, view.winners, look); }));
    // nodes already drawn that turn out to be award winners get their badge now
    Object.keys(view.winners).forEach(function (id) {
      if (!before[id] && view.byId[id] && added.every(function (n) { return n.id !== id; })) {
        var fresh = visNode(view.byId[id], opts, view.winners, look);
        var at = view.network.getPositions([id])[id];
        if (at) { fresh.x = at.x; fresh.y = at.y; }
        view.nodes.update(fresh);
      }
    });
    var newEdges = dedupeEdges(sub.edges || []).filter(function (e) {
      var id = e.id || (e.source + "|" + e.type + "|" + e.target);
      return !view.edges.get(id);
    });
    view.extraEdges = (view.extraEdges || []).concat(newEdges);
    view.edges.add(newEdges.map(function (e) { return visEdge(e, opts, look); }));
    if (opts.note) opts.note.textContent = view.note();
    return added.length;
  }

  /* The current picture as a PNG data URL on the canvas' own background (dark in meeting
   * mode, white otherwise). */
  function toPNG(container) {
    var src = container.querySelector("canvas");
    var c = document.createElement("canvas");
    c.width = src.width; c.height = src.height;
    var ctx = c.getContext("2d");
    var bg = getComputedStyle(container).backgroundColor;
    ctx.fillStyle = (!bg || bg === "transparent" || bg === "rgba(0, 0, 0, 0)") ? "#ffffff" : bg;
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
    STYLE: STYLE, THEMES: THEMES, DENSE: DENSE, draw: draw, legend: legend, noteText: noteText,
    downloadPNG: downloadPNG, styleOf: styleOf, shortName: shortName
  };
})(window);
