/* The patentkg web page: search, entity profiles, the question catalogue, networks.
 *
 * Plain JS, no build step, no external resource. State lives in the URL hash, so every view
 * (a question with its parameters, a network) is a stable link; `view=1` opens it read-only
 * and `meeting=1` in meeting mode (large fonts, high contrast, no editing controls).
 *
 *   #/                          search (?q=&type=)
 *   #/entity/{Label}/{key}      entity profile
 *   #/questions                 question catalogue
 *   #/question/{name}?k=v       question form + result table (&offset=&limit=)
 *   #/graph/entity/{Label}/{key}?depth=&limit=
 *   #/graph/question/{name}?k=v&limit=&max_nodes=   (limit: answer rows; max_nodes: cap)
 *   #/graph/path?from_label=&from_key=&to_label=&to_key=&max_hops=
 */
(function () {
  "use strict";

  var app = document.getElementById("pk-app");
  var errorBox = document.getElementById("pk-error");
  var FLAGS = ["view", "meeting"];
  var SEARCH_TYPES = [["", "全部"], ["Patent", "专利"], ["Enterprise", "企业"],
                      ["Institute", "科研机构"], ["Park", "园区"]];
  var LABEL_ZH = { Patent: "专利", Enterprise: "企业", Institute: "科研机构", Park: "园区",
                   Product: "产品", Inventor: "发明人" };
  var catalogueCache = null;
  var current = { view: null }; // the network view on screen, for tests and PNG export

  // -- small DOM helpers (textContent only: data never becomes markup) --------------------
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "class") e.className = attrs[k];
      else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), attrs[k]);
      else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      if (c == null) return;
      e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return e;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  // -- the hash: route + query ------------------------------------------------------------
  function parseHash() {
    var h = location.hash.replace(/^#/, "") || "/";
    var qi = h.indexOf("?");
    var path = qi >= 0 ? h.slice(0, qi) : h;
    var query = new URLSearchParams(qi >= 0 ? h.slice(qi + 1) : "");
    var parts = path.split("/").filter(Boolean).map(decodeURIComponent);
    return { parts: parts, query: query };
  }
  function flagsQuery() {
    var q = parseHash().query, out = new URLSearchParams();
    FLAGS.forEach(function (f) { if (q.get(f) === "1") out.set(f, "1"); });
    return out;
  }
  function hashFor(parts, params) {
    var q = new URLSearchParams(params || {});
    flagsQuery().forEach(function (v, k) { if (!q.has(k)) q.set(k, v); });
    var s = q.toString();
    return "#/" + parts.map(encodeURIComponent).join("/") + (s ? "?" + s : "");
  }
  function go(parts, params) { location.hash = hashFor(parts, params); }
  function isReadOnly() { var q = parseHash().query; return q.get("view") === "1" || q.get("meeting") === "1"; }
  function isMeeting() { return parseHash().query.get("meeting") === "1"; }
  function withoutFlags(query) {
    var q = new URLSearchParams(query.toString());
    FLAGS.forEach(function (f) { q.delete(f); });
    return q;
  }

  // -- the API ----------------------------------------------------------------------------
  function apiKey() { try { return sessionStorage.getItem("pk-api-key") || ""; } catch (e) { return ""; } }
  function api(path, params) {
    return apiFull(path, params).then(function (res) { return res.body; });
  }
  // The body and the response headers (search says in a header which indexes were building).
  function apiFull(path, params) {
    var q = params ? new URLSearchParams(params).toString() : "";
    var headers = { Accept: "application/json" };
    if (apiKey()) headers["X-API-Key"] = apiKey();
    return fetch(path + (q ? "?" + q : ""), { headers: headers }).then(function (r) {
      return r.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
        if (!r.ok) {
          if (r.status === 401) askKey();
          var msg = (body && (body.message || (body.detail && JSON.stringify(body.detail)))) ||
                    ("请求失败（HTTP " + r.status + "）");
          throw new Error(msg);
        }
        return { body: body, headers: r.headers };
      });
    });
  }
  function askKey() {
    var k = window.prompt("此服务需要 API 密钥，请输入：");
    if (k) { try { sessionStorage.setItem("pk-api-key", k); } catch (e) { /* private mode */ } route(); }
  }
  function showError(err) {
    errorBox.hidden = false;
    errorBox.textContent = "出错了：" + (err && err.message ? err.message : String(err));
  }
  function clearError() { errorBox.hidden = true; errorBox.textContent = ""; }
  function loading(text) { clear(app); app.appendChild(el("p", { class: "pk-loading", text: text || "加载中…" })); }

  function catalogue() {
    if (catalogueCache) return Promise.resolve(catalogueCache);
    return api("/api/questions").then(function (qs) { catalogueCache = qs || []; return catalogueCache; });
  }

  // -- cells: entity references become profile links ---------------------------------------
  function isRef(v) { return v && typeof v === "object" && !Array.isArray(v) && v.label && v.key != null; }
  function refLink(ref) {
    var text = ref.caption || ref.name || ref.title || String(ref.key);
    return el("a", { href: hashFor(["entity", ref.label, String(ref.key)]), class: "pk-ref",
                     title: (ref.label_zh || ref.label) + " " + ref.key, text: text });
  }
  function cell(value) {
    if (value == null || value === "") return el("span", { class: "pk-missing", text: "—" });
    if (isRef(value)) return refLink(value);
    if (Array.isArray(value)) {
      var span = el("span");
      value.forEach(function (v, i) {
        if (i) span.appendChild(document.createTextNode("、"));
        span.appendChild(isRef(v) ? refLink(v) : document.createTextNode(
          v && typeof v === "object" ? JSON.stringify(v) : String(v)));
      });
      return span;
    }
    if (typeof value === "boolean") return document.createTextNode(value ? "是" : "否");
    if (typeof value === "object") return document.createTextNode(JSON.stringify(value));
    return document.createTextNode(String(value));
  }

  // -- search ------------------------------------------------------------------------------
  function renderSearch(query) {
    clear(app);
    var q = query.get("q") || "", type = query.get("type") || "";
    var input = el("input", { type: "search", id: "pk-search-q", value: q, placeholder: "输入专利名称、企业、科研机构或园区…",
                              "aria-label": "检索词" });
    var select = el("select", { id: "pk-search-type", "aria-label": "类型" },
      SEARCH_TYPES.map(function (t) { return el("option", { value: t[0], selected: t[0] === type ? "selected" : null, text: t[1] }); }));
    var form = el("form", { class: "pk-search pk-edit", onsubmit: function (ev) {
      ev.preventDefault();
      var p = { q: input.value.trim() };
      if (select.value) p.type = select.value;
      if (p.q) go([], p);
    } }, [input, select, el("button", { type: "submit", id: "pk-search-go", text: "检索" })]);
    app.appendChild(el("h1", { text: "检索" }));
    app.appendChild(form);
    var results = el("div", { id: "pk-search-results" });
    app.appendChild(results);
    if (!q) {
      results.appendChild(el("p", { class: "pk-hint", text: "可检索专利、企业、科研机构和园区；也可打开“问题目录”查看政策问题的答案。" }));
      return Promise.resolve();
    }
    var params = { q: q, limit: "30" };
    if (type) params.type = type;
    results.appendChild(el("p", { class: "pk-loading", text: "检索中…" }));
    return apiFull("/api/search", params).then(function (res) {
      clear(results);
      var hits = res.body || [];
      var building = (res.headers.get("X-Search-Index-Building") || "").split(",").filter(Boolean);
      if (building.length) {
        results.appendChild(el("p", { class: "pk-partial", id: "pk-search-partial", text:
          "数据库正在后台重建" + building.map(function (b) { return LABEL_ZH[b] || b; }).join("、") +
          "全文索引，本次结果只含编号和名称匹配，不完整；索引建好后（页面顶部提示消失）请再检索一次。" }));
      }
      results.appendChild(el("p", { class: "pk-count", text: "找到 " + hits.length + " 条结果" }));
      var list = el("ol", { class: "pk-hits" });
      hits.forEach(function (h) {
        list.appendChild(el("li", { class: "pk-hit" }, [
          el("span", { class: "pk-tag", text: h.label_zh || h.label }),
          el("a", { href: hashFor(["entity", h.label, String(h.key)]), class: "pk-hit-link", text: h.caption || String(h.key) }),
          el("span", { class: "pk-key", text: " " + h.key }),
          h.snippet ? el("div", { class: "pk-snippet", text: h.snippet }) : null
        ]));
      });
      results.appendChild(list);
    });
  }

  // -- entity profile ----------------------------------------------------------------------
  var PROFILE_SKIP = { label: 1, label_zh: 1, key: 1, caption: 1, id: 1, title: 1, name: 1,
                       property_names_zh: 1, node: 1, degree: 1 };
  function renderEntity(label, key) {
    loading();
    return api("/api/entities/" + encodeURIComponent(label) + "/" + encodeURIComponent(key)).then(function (p) {
      clear(app);
      p = p || {};
      var name = p.name || p.caption || key;
      app.appendChild(el("div", { class: "pk-crumb", text: (p.label_zh || label) + " · " + key +
        (p.degree != null ? " · 关系 " + p.degree + " 条" : "") }));
      app.appendChild(el("h1", { id: "pk-entity-title", text: String(name) }));
      app.appendChild(el("div", { class: "pk-actions" }, [
        el("a", { class: "pk-button", id: "pk-entity-graph", href: hashFor(["graph", "entity", label, key], { depth: "1" }), text: "查看关系网络" }),
        el("a", { class: "pk-button", href: hashFor(["graph", "entity", label, key], { depth: "2" }), text: "二度关系网络" })
      ]));
      if (p.properties) app.appendChild(propertiesSection(p.properties, p.property_names_zh || {}));
      if (Array.isArray(p.relationships)) app.appendChild(relationshipsSection(p.relationships));
      Object.keys(p).forEach(function (k) {
        if (PROFILE_SKIP[k] || k === "properties" || k === "relationships") return;
        app.appendChild(profileSection(k, p[k]));
      });
    });
  }
  function propertiesSection(props, names) {
    var sec = el("section", { class: "pk-section", "data-section": "properties" }, [el("h2", { text: "基本信息" })]);
    var t = el("table", { class: "pk-kv", id: "pk-properties" });
    Object.keys(props).forEach(function (k) {
      var v = props[k];
      if (v == null || v === "" || (Array.isArray(v) && !v.length)) return;
      var shown = (v && typeof v === "object" && !Array.isArray(v) && !isRef(v)) ? kvTable(v) : cell(v);
      t.appendChild(el("tr", {}, [el("th", { title: k, text: names[k] || k }), el("td", {}, [shown])]));
    });
    sec.appendChild(t);
    return sec;
  }
  function relationshipsSection(groups) {
    var sec = el("section", { class: "pk-section", "data-section": "relationships" }, [el("h2", { text: "关系" })]);
    var t = el("table", { class: "pk-table", id: "pk-relationships" });
    t.appendChild(el("tr", {}, ["关系", "数量", "对方类型", "主要关联"].map(function (h) { return el("th", { text: h }); })));
    groups.forEach(function (g) {
      var by = g.by_label_zh || g.by_label || {};
      t.appendChild(el("tr", {}, [
        el("td", { title: g.type, text: (g.type_zh || g.type) + (g.direction === "in" ? "（被）" : "") }),
        el("td", { text: String(g.count) }),
        el("td", { text: Object.keys(by).map(function (k) { return k + " " + by[k]; }).join("、") }),
        el("td", {}, [cell(g.top || [])])
      ]));
    });
    sec.appendChild(t);
    return sec;
  }
  var SECTION_ZH = { properties: "属性", props: "属性", relationships: "关系", relationship_counts: "关系数量",
                     rel_counts: "关系数量", top_links: "主要关联", links: "关联", neighbours: "关联",
                     reasons: "说明", tier_reasons: "分级理由", value_components: "价值分构成",
                     value_strengths: "价值优势" };
  function profileSection(name, value) {
    var sec = el("section", { class: "pk-section", "data-section": name });
    sec.appendChild(el("h2", { text: SECTION_ZH[name] || name }));
    if (value && typeof value === "object" && !Array.isArray(value) && !isRef(value)) {
      sec.appendChild(kvTable(value));
    } else if (Array.isArray(value) && value.length && typeof value[0] === "object" && !isRef(value[0])) {
      sec.appendChild(objectsTable(value));
    } else {
      sec.appendChild(el("div", {}, [cell(value)]));
    }
    return sec;
  }
  function kvTable(obj) {
    var t = el("table", { class: "pk-kv" });
    Object.keys(obj).forEach(function (k) {
      var v = obj[k];
      var shown = (v && typeof v === "object" && !Array.isArray(v) && !isRef(v)) ? kvTable(v) : cell(v);
      t.appendChild(el("tr", {}, [el("th", { text: k }), el("td", {}, [shown])]));
    });
    return t;
  }
  function objectsTable(rows) {
    var cols = [];
    rows.forEach(function (r) { Object.keys(r).forEach(function (k) { if (cols.indexOf(k) < 0) cols.push(k); }); });
    var t = el("table", { class: "pk-table" });
    t.appendChild(el("tr", {}, cols.map(function (c) { return el("th", { text: c }); })));
    rows.forEach(function (r) {
      t.appendChild(el("tr", {}, cols.map(function (c) { return el("td", {}, [cell(r[c])]); })));
    });
    return t;
  }

  // -- question catalogue ------------------------------------------------------------------
  function renderCatalogue() {
    loading();
    return catalogue().then(function (qs) {
      clear(app);
      app.appendChild(el("h1", { text: "问题目录" }));
      var list = el("ul", { class: "pk-questions" });
      qs.forEach(function (q) {
        list.appendChild(el("li", { "data-question": q.name }, [
          el("a", { href: hashFor(["question", q.name]), class: "pk-question-link", text: q.title_zh }),
          q.measures ? el("span", { class: "pk-measure", text: "（" + q.measures + "）" }) : null,
          el("div", { class: "pk-desc", text: q.description_zh || "" })
        ]));
      });
      app.appendChild(list);
    });
  }

  function paramInput(p, value) {
    var id = "pk-param-" + p.name;
    var v = value != null ? value : (p.default != null ? (Array.isArray(p.default) ? p.default.join(",") : String(p.default)) : "");
    var input;
    if (p.enum) {
      input = el("select", { id: id, name: p.name },
        [p.required ? null : el("option", { value: "", text: "（不限）" })].concat(p.enum.map(function (c) {
          return el("option", { value: c, selected: c === v ? "selected" : null, text: c });
        })));
    } else if (p.type === "boolean") {
      input = el("select", { id: id, name: p.name }, [["", "（默认）"], ["true", "是"], ["false", "否"]].map(function (o) {
        return el("option", { value: o[0], selected: o[0] === String(v) ? "selected" : null, text: o[1] });
      }));
    } else if (p.type === "integer" || p.type === "number") {
      input = el("input", { id: id, name: p.name, type: "number", value: v, min: p.minimum, max: p.maximum,
                            step: p.type === "integer" ? "1" : "any" });
    } else {
      input = el("input", { id: id, name: p.name, type: "text", value: v,
                            placeholder: p.type === "array" ? "多个值用逗号分隔" : "" });
    }
    if (p.required) input.setAttribute("required", "required");
    return el("label", { class: "pk-param", title: p.description || "" }, [
      el("span", { text: (p.title || p.name) + (p.required ? " *" : "") }), input]);
  }

  function questionParams(q, query) {
    var out = {};
    (q.params || []).forEach(function (p) {
      var v = query.get(p.name);
      if (v != null && v !== "") out[p.name] = v;
    });
    return out;
  }

  function renderQuestion(name, query) {
    loading();
    return catalogue().then(function (qs) {
      var q = qs.filter(function (x) { return x.name === name; })[0];
      if (!q) throw new Error("没有名为 " + name + " 的问题");
      clear(app);
      var params = questionParams(q, query);
      var limit = query.get("limit") || "50", offset = query.get("offset") || "0";
      app.appendChild(el("h1", { id: "pk-question-title", text: q.title_zh }));
      if (q.description_zh) app.appendChild(el("p", { class: "pk-desc", text: q.description_zh }));
      var form = el("form", { class: "pk-form pk-edit", id: "pk-question-form", onsubmit: function (ev) {
        ev.preventDefault();
        var p = {};
        (q.params || []).forEach(function (x) {
          var input = form.querySelector("[name='" + x.name + "']");
          if (input && input.value !== "") p[x.name] = input.value;
        });
        go(["question", name], p);
      } }, (q.params || []).map(function (p) { return paramInput(p, params[p.name]); }).concat([
        el("button", { type: "submit", id: "pk-question-run", text: "查询" })]));
      app.appendChild(form);
      if (isReadOnly() && Object.keys(params).length) {
        app.appendChild(el("p", { class: "pk-params-shown", text: "条件：" + (q.params || []).filter(function (p) {
          return params[p.name] != null; }).map(function (p) { return (p.title || p.name) + "=" + params[p.name]; }).join("；") }));
      }
      var result = el("div", { id: "pk-answer" });
      app.appendChild(result);
      // a question runs when its URL says so (a saved view) or the form was submitted;
      // questions without required parameters run straight away
      var missing = (q.params || []).some(function (p) { return p.required && params[p.name] == null; });
      if (missing) { result.appendChild(el("p", { class: "pk-hint", text: "请填写带 * 的参数后查询。" })); return; }
      var apiParams = Object.assign({}, params, { limit: limit, offset: offset });
      result.appendChild(el("p", { class: "pk-loading", text: "查询中…" }));
      return api("/api/questions/" + encodeURIComponent(name), apiParams).then(function (ans) {
        renderAnswer(result, q, params, ans);
      });
    });
  }

  function downloadHref(name, params, fmt) {
    return "/api/questions/" + encodeURIComponent(name) + "?" + new URLSearchParams(Object.assign({}, params, { format: fmt })).toString();
  }

  function renderAnswer(box, q, params, ans) {
    clear(box);
    var rows = ans.rows || [], cols = ans.columns || [];
    var from = rows.length ? ans.offset + 1 : 0, to = ans.offset + rows.length;
    box.appendChild(el("div", { class: "pk-answer-bar" }, [
      el("span", { class: "pk-count", id: "pk-answer-count", text: "第 " + from + "–" + to + " 行" + (ans.has_more ? "（还有更多）" : "（共 " + to + " 行）") }),
      el("a", { class: "pk-button", id: "pk-download-csv", href: downloadHref(q.name, params, "csv"), download: "", text: "下载 CSV（全部）" }),
      el("a", { class: "pk-button", id: "pk-download-xlsx", href: downloadHref(q.name, params, "xlsx"), download: "", text: "下载 Excel（全部）" }),
      el("a", { class: "pk-button", id: "pk-question-graph", href: hashFor(["graph", "question", q.name], Object.assign({}, params, { limit: String(Math.max(rows.length, 1)) })), text: "画成关系网络" })
    ]));
    var t = el("table", { class: "pk-table", id: "pk-answer-table" });
    t.appendChild(el("tr", {}, cols.map(function (c) { return el("th", { title: c.name, text: c.title_zh || c.name }); })));
    rows.forEach(function (r) {
      t.appendChild(el("tr", {}, cols.map(function (c) { return el("td", {}, [cell(r[c.name])]); })));
    });
    box.appendChild(t);
    var nav = el("div", { class: "pk-pager" });
    var base = Object.assign({}, params, { limit: String(ans.limit) });
    if (ans.offset > 0) nav.appendChild(el("a", { class: "pk-button", href: hashFor(["question", q.name], Object.assign({}, base, { offset: String(Math.max(0, ans.offset - ans.limit)) })), text: "上一页" }));
    if (ans.has_more) nav.appendChild(el("a", { class: "pk-button", id: "pk-next", href: hashFor(["question", q.name], Object.assign({}, base, { offset: String(ans.next_offset) })), text: "下一页" }));
    box.appendChild(nav);
  }

  // -- network views -----------------------------------------------------------------------
  // Default node caps: what a person can read on a projector (the same defaults as the API);
  // "显示更多" doubles the cap, up to what the server allows.
  var GRAPH_CAP = { entity: 80, question: 120 };
  var GRAPH_CAP_MAX = 2000;

  function graphRequest(parts, query) {
    var q = withoutFlags(query);
    if (parts[1] === "entity") {
      var cap = q.get("limit") || String(GRAPH_CAP.entity);
      var p = { label: parts[2], key: parts[3], depth: q.get("depth") || "1", limit: cap };
      return { kind: "entity", url: "/api/graph/neighborhood", params: p, title: "关系网络",
               cap: +cap, capParam: "limit" };
    }
    if (parts[1] === "question") {
      var params = Object.fromEntries(q.entries());
      if (!params.max_nodes) params.max_nodes = String(GRAPH_CAP.question);
      return { kind: "question", url: "/api/graph/question/" + encodeURIComponent(parts[2]),
               params: params, title: "问题网络", question: parts[2], cap: +params.max_nodes,
               capParam: "max_nodes" };
    }
    if (parts[1] === "path") {
      return { kind: "path", url: "/api/graph/path", params: Object.fromEntries(q.entries()),
               title: "关联路径" };
    }
    throw new Error("未知的网络视图");
  }

  /* The heading of a network: Chinese names, never internal keys (those go to the line below).
   * Resolves to {title, params, sub} for the h1, its parameter part and the line under it. */
  function graphHeading(req, parts, query, sub) {
    var nodes = sub.nodes || [];
    var find = function (label, key) {
      return nodes.filter(function (n) { return n.label === label && String(n.key) === String(key); })[0];
    };
    var named = function (n, label, key) {
      return n ? (n.caption || n.key) + "（" + (n.label_zh || n.label) + "）" : String(key);
    };
    if (req.kind === "entity") {
      var centre = nodes.filter(function (n) { return n.depth === 0; })[0] || find(parts[2], parts[3]);
      return Promise.resolve({ title: "关系网络：" + named(centre, parts[2], parts[3]), params: "",
        sub: (centre ? (centre.label_zh || centre.label) + "编号 " : "编号 ") + parts[3] + " · " +
             (req.params.depth || "1") + " 度关系" });
    }
    if (req.kind === "path") {
      var q = withoutFlags(query);
      var a = find(q.get("from_label"), q.get("from_key")), b = find(q.get("to_label"), q.get("to_key"));
      return Promise.resolve({
        title: "关联路径：" + named(a, q.get("from_label"), q.get("from_key")) + " → " +
               named(b, q.get("to_label"), q.get("to_key")),
        params: "", sub: "最多 " + (q.get("max_hops") || "4") + " 步关系" });
    }
    return catalogue().then(function (qs) {
      var question = qs.filter(function (x) { return x.name === req.question; })[0];
      if (!question) return { title: "问题网络：" + req.question, params: "", sub: "" };
      // the parameters that narrow the answer (a value equal to the default says nothing)
      var shown = (question.params || []).filter(function (p) {
        var v = req.params[p.name];
        return v != null && v !== "" && (p.default == null || String(p.default) !== v);
      }).map(function (p) {
        var v = req.params[p.name];
        if (p.type === "boolean") v = v === "true" ? "是" : v === "false" ? "否" : v;
        return (p.title || p.name) + "：" + v;
      });
      return { title: "问题网络：" + question.title_zh,
               params: shown.length ? "（" + shown.join("；") + "）" : "",
               sub: "结果前 " + (req.params.limit || "50") + " 行中的实体及其直接关联" };
    });
  }

  function renderGraph(parts, query) {
    var req = graphRequest(parts, query);
    clear(app);
    var title = el("h1", { id: "pk-graph-title", text: req.title });
    var subtitle = el("div", { class: "pk-crumb", id: "pk-graph-sub" });
    var note = el("span", { class: "pk-note", id: "pk-note" });
    var more = el("button", { type: "button", id: "pk-more", hidden: "hidden", text: "显示更多" });
    var legendEl = el("div", { class: "pk-legend", id: "pk-legend" });
    var box = el("div", { class: "pk-network", id: "pk-network" });
    var info = el("aside", { class: "pk-info", id: "pk-info", hidden: "hidden" });
    var pngName = function () {
      return (title.textContent || "network").replace(/[\\/:*?"<>|\s]+/g, "_").slice(0, 60) + ".png";
    };
    var bar = el("div", { class: "pk-bar" }, [
      note, more,
      el("button", { type: "button", id: "pk-png", onclick: function () {
        if (current.view) PatentGraph.downloadPNG(current.view, pngName());
      }, text: "导出图片 PNG" }),
      el("button", { type: "button", id: "pk-graphml", class: "pk-no-meeting", onclick: function () {
        if (current.view) downloadText(toGraphML(current.view), "network.graphml", "application/xml");
      }, text: "导出 GraphML" }),
      el("button", { type: "button", id: "pk-fit", onclick: function () { if (current.view) current.view.network.fit(); }, text: "适应窗口" })
    ]);
    app.appendChild(title);
    app.appendChild(subtitle);
    app.appendChild(bar);
    app.appendChild(legendEl);
    app.appendChild(el("div", { class: "pk-graph-wrap" }, [box, info]));
    app.appendChild(el("p", { class: "pk-hint pk-edit", text: "单击节点查看说明，双击节点展开其关系（也可用说明框中的“展开”）。" }));
    note.textContent = "加载中…";
    return api(req.url, req.params).then(function (sub) {
      return graphHeading(req, parts, query, sub).then(function (head) {
        title.textContent = head.title;
        if (head.params) title.appendChild(el("span", { class: "pk-title-params", text: head.params }));
        subtitle.textContent = head.sub;
        document.title = head.title + " - 河东区专利转化知识图谱";
        return sub;
      });
    }).then(function (sub) {
      PatentGraph.legend(legendEl, sub);
      current.view = PatentGraph.draw(box, sub, {
        note: note, meeting: isMeeting(), readOnly: isReadOnly(),
        onNodeClick: function (n, view) { showInfo(info, n, view, legendEl); }
      });
      current.view.network.on("doubleClick", function (params) {
        if (params.nodes && params.nodes.length) expand(current.view, current.view.byId[params.nodes[0]], legendEl);
      });
      window.pkView = current.view;
      // more to show, and the server gave all we asked for: offer twice as many
      var shown = (sub.nodes || []).length;
      if (req.cap && sub.truncated && shown >= req.cap && req.cap < GRAPH_CAP_MAX) {
        var next = Math.min(req.cap * 2, GRAPH_CAP_MAX);
        more.hidden = false;
        more.textContent = "显示更多（最多 " + next + " 个节点）";
        more.onclick = function () {
          var q = withoutFlags(query);
          q.set(req.capParam, String(next));
          go(parts.slice(0), Object.fromEntries(q.entries()));
        };
      }
    });
  }

  function showInfo(info, n, view, legendEl) {
    if (!n) return;
    clear(info);
    info.hidden = false;
    info.appendChild(el("h3", { text: (n.label_zh || n.label) + "：" + (n.caption || n.key) }));
    info.appendChild(el("pre", { class: "pk-info-text", text: n.title || "" }));
    info.appendChild(el("div", { class: "pk-actions" }, [
      el("button", { type: "button", id: "pk-expand", onclick: function () { expand(view, n, legendEl); }, text: "展开关系" }),
      el("a", { class: "pk-button", href: hashFor(["entity", n.label, String(n.key)]), text: "打开档案" }),
      el("button", { type: "button", onclick: function () { info.hidden = true; }, text: "关闭" })
    ]));
  }

  function expand(view, n, legendEl) {
    if (!n) return Promise.resolve(0);
    return api("/api/graph/neighborhood", { label: n.label, key: String(n.key), depth: "1", limit: "100" }).then(function (sub) {
      var added = view.merge(sub, n.id);
      var all = { nodes: Object.keys(view.byId).map(function (k) { return view.byId[k]; }) };
      PatentGraph.legend(legendEl, all);
      window.__pkExpanded = { node: n.id, added: added, total: view.shown() };
      return added;
    }).catch(showError);
  }

  function downloadText(text, filename, type) {
    var a = el("a", { href: URL.createObjectURL(new Blob([text], { type: type + ";charset=utf-8" })), download: filename });
    document.body.appendChild(a); a.click(); a.remove();
  }

  function xmlEscape(s) {
    return String(s == null ? "" : s).replace(/[<>&"']/g, function (c) {
      return { "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" }[c];
    });
  }

  /* The view on screen (with expansions, at the positions shown) as GraphML for Gephi/yEd. */
  function toGraphML(view) {
    var pos = view.network.getPositions();
    var out = ['<?xml version="1.0" encoding="UTF-8"?>',
      '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">',
      '<key id="label" for="node" attr.name="label" attr.type="string"/>',
      '<key id="node_type" for="node" attr.name="node_type" attr.type="string"/>',
      '<key id="node_type_zh" for="node" attr.name="node_type_zh" attr.type="string"/>',
      '<key id="key" for="node" attr.name="key" attr.type="string"/>',
      '<key id="tier" for="node" attr.name="tier" attr.type="string"/>',
      '<key id="x" for="node" attr.name="x" attr.type="double"/>',
      '<key id="y" for="node" attr.name="y" attr.type="double"/>',
      '<key id="rel_type" for="edge" attr.name="rel_type" attr.type="string"/>',
      '<key id="elabel" for="edge" attr.name="label" attr.type="string"/>',
      '<graph edgedefault="directed">'];
    view.nodes.forEach(function (vn) {
      var n = view.byId[vn.id] || {};
      var p = pos[vn.id] || {};
      out.push('<node id="' + xmlEscape(vn.id) + '"><data key="label">' + xmlEscape(n.caption || n.key) +
        '</data><data key="node_type">' + xmlEscape(n.label) + '</data><data key="node_type_zh">' + xmlEscape(n.label_zh) +
        '</data><data key="key">' + xmlEscape(n.key) + '</data>' +
        ((n.props && n.props.tier) ? '<data key="tier">' + xmlEscape(n.props.tier) + '</data>' : "") +
        (p.x != null ? '<data key="x">' + p.x + '</data><data key="y">' + p.y + '</data>' : "") + '</node>');
    });
    view.edges.forEach(function (e) {
      out.push('<edge id="' + xmlEscape(e.id) + '" source="' + xmlEscape(e.from) + '" target="' + xmlEscape(e.to) +
        '"><data key="rel_type">' + xmlEscape(e.title) + '</data><data key="elabel">' + xmlEscape(e.title) + '</data></edge>');
    });
    out.push("</graph>", "</graphml>");
    return out.join("\n");
  }

  // -- chrome: read-only, meeting mode, share link -----------------------------------------
  function applyModes() {
    var meeting = isMeeting(), ro = isReadOnly();
    document.body.classList.toggle("pk-meeting", meeting);
    document.body.classList.toggle("pk-ro", ro);
    document.getElementById("pk-readonly").hidden = !ro || meeting;
    document.getElementById("pk-meeting-btn").textContent = meeting ? "退出会议模式" : "会议模式";
    var nav = parseHash().parts[0] || "search";
    Array.prototype.forEach.call(document.querySelectorAll("[data-nav]"), function (a) {
      a.classList.toggle("pk-active", a.getAttribute("data-nav") === nav ||
        (nav === "question" && a.getAttribute("data-nav") === "questions"));
    });
  }
  function setFlag(flag, on) {
    var h = parseHash();
    var q = new URLSearchParams(h.query.toString());
    if (on) q.set(flag, "1"); else q.delete(flag);
    var s = q.toString();
    location.hash = "#/" + h.parts.map(encodeURIComponent).join("/") + (s ? "?" + s : "");
  }
  function shareLink() {
    var h = parseHash();
    var q = withoutFlags(h.query);
    q.set("view", "1");
    return location.origin + location.pathname + "#/" + h.parts.map(encodeURIComponent).join("/") + "?" + q.toString();
  }
  document.getElementById("pk-share").addEventListener("click", function () {
    var link = shareLink();
    var done = function () { flash("已复制只读链接：" + link); };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(link).then(done, function () { window.prompt("复制此链接：", link); });
    else window.prompt("复制此链接：", link);
  });
  document.getElementById("pk-meeting-btn").addEventListener("click", function () {
    var on = !isMeeting();
    if (on && document.documentElement.requestFullscreen && !document.fullscreenElement) {
      document.documentElement.requestFullscreen().catch(function () { /* not allowed: stay windowed */ });
    }
    if (!on && document.fullscreenElement && document.exitFullscreen) document.exitFullscreen().catch(function () {});
    setFlag("meeting", on);
  });
  document.getElementById("pk-edit-link").addEventListener("click", function (ev) {
    ev.preventDefault(); setFlag("view", false);
  });
  function flash(text) {
    var f = el("div", { class: "pk-flash", text: text });
    document.body.appendChild(f);
    setTimeout(function () { f.remove(); }, 4000);
  }

  // -- router ------------------------------------------------------------------------------
  function route() {
    clearError();
    applyModes();
    document.title = "河东区专利转化知识图谱";
    current.view = null;
    window.__pkGraphReady = null;
    var h = parseHash(), p = h.parts;
    document.body.classList.toggle("pk-graph-page", p[0] === "graph");
    var done;
    try {
      if (!p.length || p[0] === "search") done = renderSearch(h.query);
      else if (p[0] === "entity" && p.length >= 3) done = renderEntity(p[1], p.slice(2).join("/"));
      else if (p[0] === "questions") done = renderCatalogue();
      else if (p[0] === "question" && p[1]) done = renderQuestion(p[1], h.query);
      else if (p[0] === "graph") done = renderGraph(p, h.query);
      else done = renderSearch(new URLSearchParams());
    } catch (e) { showError(e); return; }
    Promise.resolve(done).then(function () { window.__pkRendered = location.hash; }).catch(function (e) {
      showError(e);
      window.__pkRendered = location.hash;
    });
  }
  // -- indexes rebuilt after a restart --------------------------------------------------------
  // FalkorDB rebuilds its indexes in the background after a restart (minutes at 1M patents):
  // meanwhile full-text search is incomplete and some queries are slow. Say so until done.
  var noticeBox = document.getElementById("pk-notice");
  function indexProgress(status) {
    var m = /(\d+)\s*\/\s*(\d+)/.exec(status || "");
    return m && +m[2] > 0 ? "（" + Math.min(99, Math.floor(100 * m[1] / m[2])) + "%）" : "";
  }
  function watchIndexes() {
    api("/health").then(function (h) {
      var building = (h && h.indexes_building) || {};
      var labels = Object.keys(building);
      noticeBox.hidden = !labels.length;
      if (!labels.length) { noticeBox.textContent = ""; return; }
      noticeBox.textContent = "数据库重启后正在后台重建索引：" + labels.map(function (b) {
        return (LABEL_ZH[b] || b) + indexProgress(building[b]);
      }).join("、") + "。建好前全文检索结果不完整、部分查询较慢，本提示每 30 秒自动更新。";
      setTimeout(watchIndexes, 30000);
    }).catch(function () { /* the store's own errors show on the page that needs it */ });
  }
  window.addEventListener("hashchange", route);
  watchIndexes();
  route();
})();
