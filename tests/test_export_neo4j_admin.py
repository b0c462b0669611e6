"""`patentkg export --format neo4j-admin`: the files, read back independently, equal the graph.

No Neo4j server runs here, so the import itself is not executed. Instead the files are parsed
the way the operations manual describes ``neo4j-admin database import full`` reading them
(header ``name:type``, ``:ID(space)``, ``:START_ID(space)``, ``:END_ID(space)``, ``:LABEL``,
``:TYPE``; RFC 4180 quoting; arrays split on ``--array-delimiter``; an empty unquoted field is
no value) by a small reader written here, and every node, property and relationship is
compared with what the store returns; pandas reads the same files as a second opinion.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner
from test_cypher_lint import _lint, needs_linter

import viz.cli as vcli
from graph import schema
from patentkg.errors import InputError
from viz.neo4j_admin import (
    NODE_TYPES,
    _edge_page_query,
    _keys_query,
    _node_page_query,
    export_neo4j_admin,
)

REPO = Path(__file__).resolve().parent.parent
MISSING = object()

# Values a CSV writer gets wrong: separators, quotes, line breaks, `;` (neo4j-admin's default
# array delimiter), emoji and CJK outside the BMP, text that looks like Cypher or shell.
HOSTILE = [
    "comma, inside", 'quote " inside', '"', '""', "line\nbreak", "crlf\r\nbreak", "cr\ronly",
    "semi;colon;", "emoji 😀🚀👍🏽", "rare CJK 𠀀𪚥𫝀𰻞", "cypher ') MATCH (n) DETACH DELETE n //",
    "back\\slash \\\" x", "  padded  ", "", "tab\there", "中文，全角；标点“引号”",
    "line separator\u2028and\u2029", "$(rm -rf /) `id`", "{a: 1}", "true", "3", "-0", "NaN",
]
KEYS = ["K,1", 'K"2', "K\n3", "钥匙😀", "K 5", "K;6", "K\\7", "𠀀8", "K9"]


def _tricky_graph(store: Any) -> None:
    """Patents, organisations and relationships holding every hostile value and type."""
    patents = []
    for i, key in enumerate(KEYS):
        props: dict[str, Any] = {
            "title": HOSTILE[i % len(HOSTILE)], "abstract": HOSTILE[(i + 7) % len(HOSTILE)],
            "claims_count": [0, 1, -5, 2**40, 2**62, 7, 8, 9, 10][i],
            "value_score": [0.1, 1e-300, -0.0, 2.5, 1e300, 3.0, 1 / 3, 100.0, 7.25][i],
            "is_valid": i % 2 == 0,
            "ipc_codes": [HOSTILE[(i + j) % len(HOSTILE)] or "x" for j in range(3)],
            "match_scores": [0.5, 1.0, 2.25][: i % 3 + 1],
            "stock_pos": [1, 2, 3][: i % 3 + 1],
            "subsectors": [] if i % 3 == 0 else ["新材料", "a;b"],  # [] or a list on every node
            "tier_reasons": [] if i in (1, 2) else (["r"] if i == 3 else None),  # some [],
            # some lists, some missing: empty_lists.cypher names the nodes by key
        }
        if i == len(KEYS) - 1:
            props["zz_not_in_schema"] = "a property graph.schema does not list"
        patents.append({"k": key, "props": {k: v for k, v in props.items() if v is not None}})
    store.write("UNWIND $rows AS row CREATE (p:Patent {app_no: row.k}) SET p += row.props",
                {"rows": patents})
    store.write("UNWIND $rows AS row CREATE (e:Enterprise {org_key: row.k, name: row.name, "
                "tags: row.tags})",
                {"rows": [{"k": "name:上海升远😀", "name": "上海升远", "tags": ["专精特新", ""]},
                          {"k": "91120102100000008Q", "name": 'A "quoted", firm',
                           "tags": ["x"]}]})
    store.write("CREATE (:Institute {org_key: 'name:津东大学', name: '津东大学\n附属'})")
    store.write("CREATE (:Industry {industry_id: '高端装备', name: '高端装备'}), "
                "(:Industry {industry_id: 'HD01', name: 'HD01'})")
    # APPLIED_BY joins two label pairs: one file per pair
    store.write("UNWIND $rows AS row MATCH (p:Patent {app_no: row.p}) "
                "MATCH (o {org_key: row.o}) CREATE (p)-[:APPLIED_BY {order: row.order}]->(o)",
                {"rows": [{"p": k, "o": ["name:上海升远😀", "name:津东大学"][i % 2], "order": i}
                          for i, k in enumerate(KEYS)]})
    store.write("MATCH (a:Patent {app_no: $a}), (b:Patent {app_no: $b}) "
                "CREATE (a)-[:CITES]->(b)", {"a": KEYS[0], "b": KEYS[1]})
    store.write("MATCH (i:Institute), (e:Enterprise) "
                "CREATE (i)-[:CO_APPLIED_WITH {patents: 2, app_nos: "
                "CASE e.name WHEN '上海升远' THEN [] ELSE ['K,1', 'x;y'] END}]->(e)")
    store.write("MATCH (e:Enterprise), (d:Industry) CREATE (e)-[:FITS {score: 12.5, "
                "reasons: [e.name + ' 匹配 ' + d.name, '第二, \"理由\"'], share: 0.25}]->(d)")
    # FITS.reasons: [] on one relationship, missing on another (named by its end keys)
    store.write("MATCH (:Enterprise {name: '上海升远'})-[r:FITS]->(:Industry {name: 'HD01'}) "
                "SET r.reasons = []")
    store.write("MATCH (:Enterprise {name: $n})-[r:FITS]->(:Industry {name: 'HD01'}) "
                "REMOVE r.reasons", {"n": 'A "quoted", firm'})


@pytest.fixture
def tricky(falkor_store: Any) -> Any:
    _tricky_graph(falkor_store)
    return falkor_store


# -- an independent reader of the neo4j-admin format ---------------------------------------------
_TYPES = "int|long|float|double|boolean|byte|short|char|string|point|date|localtime|time|" \
         "localdatetime|datetime|duration"
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_PROP = re.compile(rf"^({_NAME})(?::({_TYPES})(\[\])?)?$")
_ID = re.compile(rf"^({_NAME})?:ID\(({_NAME})\)$")
_START = re.compile(rf"^:START_ID\(({_NAME})\)$")
_END = re.compile(rf"^:END_ID\(({_NAME})\)$")


def parse_csv(text: str) -> list[list[tuple[str, bool]]]:
    """RFC 4180 as neo4j-admin reads it (quotes doubled, no backslash escapes, line breaks
    inside quotes): rows of (value, was quoted)."""
    rows: list[list[tuple[str, bool]]] = []
    row: list[tuple[str, bool]] = []
    buf: list[str] = []
    quoted = in_quotes = False
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if in_quotes:
            if c == '"':
                if i + 1 < n and text[i + 1] == '"':
                    buf.append('"')
                    i += 2
                    continue
                in_quotes = False
            else:
                buf.append(c)
        elif c == '"':
            assert not buf and not quoted, f"stray quote at {i}: {text[max(0, i - 40):i + 40]!r}"
            in_quotes = quoted = True
        elif c in ",\n":
            row.append(("".join(buf), quoted))
            buf, quoted = [], False
            if c == "\n":
                rows.append(row)
                row = []
        else:
            assert c != "\r", "a bare carriage return outside quotes"
            buf.append(c)
        i += 1
    assert not in_quotes and not buf and not row, "the file must end with a line break"
    return rows


def _convert(value: str, quoted: bool, kind: str, delimiter: str) -> Any:
    if value == "" and not quoted:
        return MISSING
    base, array = kind.removesuffix("[]"), kind.endswith("[]")
    one = {"long": int, "int": int, "double": float, "float": float, "string": str,
           "boolean": lambda v: v == "true"}[base]
    return [one(v) for v in value.split(delimiter)] if array else one(value)


def read_export(root: Path) -> dict[str, Any]:
    """The graph the files describe, built only from the files and import.sh."""
    script = (root / "import.sh").read_text(encoding="utf-8")
    args = re.findall(r"(--[a-z-]+=\S+?)(?: \\|\s*$)", script, flags=re.M)
    options = dict(a.split("=", 1) for a in args if not a.startswith(("--nodes=", "--rel")))
    code = options["--array-delimiter"]
    assert re.fullmatch(r"U\+[0-9A-F]{4}", code)
    delimiter = chr(int(code[2:], 16))
    node_files = dict(a.removeprefix("--nodes=").split("=", 1) for a in args
                      if a.startswith("--nodes="))
    node_files = {v: k for k, v in node_files.items()}
    rel_files = {a.removeprefix("--relationships=").split("=", 1)[1]:
                 a.removeprefix("--relationships=").split("=", 1)[0]
                 for a in args if a.startswith("--relationships=")}
    nodes: dict[str, dict[str, dict[str, Any]]] = {}
    rels: dict[tuple[str, str, str], list[tuple[str, str, dict[str, Any]]]] = {}
    headers: dict[str, list[str]] = {}
    for path, label in node_files.items():
        rows = parse_csv((root / path).read_bytes().decode("utf-8"))
        header = [h for h, _ in rows[0]]
        headers[path] = header
        ids = [(i, _ID.match(h)) for i, h in enumerate(header) if _ID.match(h)]
        assert len(ids) == 1 and ids[0][1].group(2) == label, header
        id_col, key_name = ids[0][0], ids[0][1].group(1)
        assert header.count(":LABEL") == 1
        label_col = header.index(":LABEL")
        kinds = {i: _PROP.match(h) for i, h in enumerate(header) if i not in (id_col, label_col)}
        assert all(kinds.values()), header
        out = nodes.setdefault(label, {})
        for row in rows[1:]:
            assert len(row) == len(header)
            assert row[label_col][0].split(delimiter) == [label]
            key = row[id_col][0]
            props = {key_name: key}
            for i, m in kinds.items():
                kind = (m.group(2) or "string") + (m.group(3) or "")
                value = _convert(*row[i], kind, delimiter)
                if value is not MISSING:
                    props[m.group(1)] = value
            assert key not in out, f"duplicate ID {key!r} in {path}"
            out[key] = props
    for path, rel_type in rel_files.items():
        rows = parse_csv((root / path).read_bytes().decode("utf-8"))
        header = [h for h, _ in rows[0]]
        headers[path] = header
        starts = [(i, _START.match(h)) for i, h in enumerate(header) if _START.match(h)]
        ends = [(i, _END.match(h)) for i, h in enumerate(header) if _END.match(h)]
        assert len(starts) == len(ends) == 1 and header.count(":TYPE") == 1, header
        (si, sm), (ei, em), ti = starts[0], ends[0], header.index(":TYPE")
        kinds = {i: _PROP.match(h) for i, h in enumerate(header) if i not in (si, ei, ti)}
        assert all(kinds.values()), header
        out_rels = rels.setdefault((rel_type, sm.group(1), em.group(1)), [])
        for row in rows[1:]:
            assert len(row) == len(header) and row[ti][0] == rel_type
            props = {}
            for i, m in kinds.items():
                value = _convert(*row[i], (m.group(2) or "string") + (m.group(3) or ""),
                                 delimiter)
                if value is not MISSING:
                    props[m.group(1)] = value
            out_rels.append((row[si][0], row[ei][0], props))
    return {"nodes": nodes, "rels": rels, "headers": headers, "node_files": node_files,
            "rel_files": rel_files, "options": options, "script": script}


def apply_empty_lists(root: Path, graph: dict[str, Any]) -> None:
    """What empty_lists.cypher does after the import, read from its two statement shapes."""
    text = (root / "empty_lists.cypher").read_text(encoding="utf-8")
    for line in text.split("\n"):
        if not line or line.startswith("//"):
            continue
        if m := re.match(r"MATCH \(n:(\w+)\) WHERE n\.(\w+) IS NULL CALL", line):
            for props in graph["nodes"][m[1]].values():
                props.setdefault(m[2], [])
        elif m := re.match(r"UNWIND (\[.*\]) AS k MATCH \(n:(\w+) \{(\w+): k\}\) "
                           r"SET n\.(\w+) = \[\];$", line):
            for key in json.loads(m[1]):
                graph["nodes"][m[2]][key][m[4]] = []
        elif m := re.match(r"MATCH \(:(\w+)\)-\[r:(\w+)\]->\(:(\w+)\) WHERE r\.(\w+) IS NULL",
                           line):
            for _s, _e, props in graph["rels"][(m[2], m[1], m[3])]:
                props.setdefault(m[4], [])
        elif m := re.match(r"UNWIND (\[.*\]) AS pair MATCH \(:(\w+) \{\w+: pair\[0\]\}\)"
                           r"-\[r:(\w+)\]->\(:(\w+) \{\w+: pair\[1\]\}\) WHERE r\.(\w+) IS NULL",
                           line):
            pairs = {tuple(p) for p in json.loads(m[1])}
            for s, e, props in graph["rels"][(m[3], m[2], m[4])]:
                if (s, e) in pairs:
                    props.setdefault(m[5], [])
        else:
            raise AssertionError(f"unexpected statement: {line[:200]}")


# -- the store's side ---------------------------------------------------------------------------
def store_graph(store: Any) -> dict[str, Any]:
    """Every node and relationship as the store returns them (labels from db.labels())."""
    nodes: dict[str, dict[str, dict[str, Any]]] = {}
    labels = [r["label"] for r in store.read("CALL db.labels() YIELD label RETURN label")]
    keys = {n.label: n.key for n in schema.NODES + schema.META_NODES}
    for label in labels:
        rows = store.read(f"MATCH (n:{label}) RETURN properties(n) AS p")
        if rows:
            nodes[label] = {r["p"][keys[label]]: r["p"] for r in rows}
    rels: dict[tuple[str, str, str], list[tuple[str, str, dict[str, Any]]]] = {}
    for row in store.read("MATCH (a)-[r]->(b) RETURN type(r) AS t, labels(a)[0] AS sl, "
                          "labels(b)[0] AS el, a AS a, b AS b, properties(r) AS p"):
        s, e = row["a"][keys[row["sl"]]], row["b"][keys[row["el"]]]
        rels.setdefault((row["t"], row["sl"], row["el"]), []).append((s, e, row["p"]))
    return {"nodes": nodes, "rels": rels}


def _canon(rels: list[tuple[str, str, dict[str, Any]]]) -> Counter:
    return Counter((s, e, json.dumps(p, sort_keys=True, ensure_ascii=False)) for s, e, p in rels)


def assert_same_graph(root: Path, store: Any) -> dict[str, Any]:
    files = read_export(root)
    apply_empty_lists(root, files)
    expected = store_graph(store)
    assert set(files["nodes"]) == set(expected["nodes"])
    for label, by_key in expected["nodes"].items():
        got = files["nodes"][label]
        assert set(got) == set(by_key), label
        for key, props in by_key.items():
            # == is exact here: texts verbatim, floats bit for bit (1 == 1.0 for a long
            # written into a double column is checked by the header test)
            assert got[key] == props, (label, key, {k: (got[key].get(k), v) for k, v in
                                                    props.items() if got[key].get(k) != v})
    assert set(files["rels"]) == set(expected["rels"])
    for pair, rows in expected["rels"].items():
        assert _canon(files["rels"][pair]) == _canon(rows), pair
    return files


def _python_kind(value: Any) -> str:
    return {bool: "boolean", int: "long", float: "double", str: "string"}[type(value)]


def assert_header_types_match(files: dict[str, Any], store_graph_: dict[str, Any]) -> None:
    """Each typed column is the narrowest Neo4j type of the Python values the store holds."""
    for path, header in files["headers"].items():
        label = files["node_files"].get(path)
        if label:
            values = list(store_graph_["nodes"][label].values())
        else:
            rel_type = files["rel_files"][path]
            m = [(_START.match(h), _END.match(h)) for h in header]
            start = next(a[1] for a, _ in m if a)
            end = next(b[1] for _, b in m if b)
            values = [p for _s, _e, p in store_graph_["rels"][(rel_type, start, end)]]
        for h in header:
            prop = _PROP.match(h)
            if not prop or h.startswith(":"):
                continue
            name, kind, array = prop.group(1), prop.group(2) or "string", bool(prop.group(3))
            seen = [v[name] for v in values if v.get(name) is not None]
            if array:
                assert all(isinstance(v, list) for v in seen), (path, h)
                kinds = {_python_kind(x) for v in seen for x in v}
            else:
                assert not any(isinstance(v, list) for v in seen), (path, h)
                kinds = {_python_kind(v) for v in seen}
            want = ("string" if not kinds else kinds.pop() if len(kinds) == 1
                    else "double" if kinds == {"long", "double"} else "string")
            assert kind == want, (path, h, kinds)


# -- tests -----------------------------------------------------------------------------------------
def test_hostile_values_round_trip(tricky: Any, tmp_path: Path) -> None:
    report = export_neo4j_admin(tricky, tmp_path / "out", page_size=2)
    assert report.complete, (report.skipped, report.warnings)
    assert [w for w in report.warnings if "empty texts inside lists" in w]  # tags ["…", ""]
    files = assert_same_graph(tmp_path / "out", tricky)
    assert_header_types_match(files, store_graph(tricky))
    patent = files["headers"]["nodes/Patent.csv"]
    for column in ("app_no:ID(Patent)", "claims_count:long", "value_score:double",
                   "is_valid:boolean", "ipc_codes:string[]", "match_scores:double[]",
                   "stock_pos:long[]", "zz_not_in_schema", ":LABEL"):
        assert column in patent
    # a line break in a value needs --multiline-fields=true
    assert report.multiline and files["options"]["--multiline-fields"] == "true"
    # one relationship file per (type, start label, end label)
    assert {k for k in files["rels"] if k[0] == "APPLIED_BY"} == {
        ("APPLIED_BY", "Patent", "Enterprise"), ("APPLIED_BY", "Patent", "Institute")}


def test_pandas_reads_the_same_rows(tricky: Any, tmp_path: Path) -> None:
    export_neo4j_admin(tricky, tmp_path / "out", page_size=3)
    files = read_export(tmp_path / "out")
    for path, label in files["node_files"].items():
        frame = pd.read_csv(tmp_path / "out" / path, dtype=str, keep_default_na=False,
                            encoding="utf-8")
        id_col = next(c for c in frame.columns if ":ID(" in c)
        assert sorted(frame[id_col]) == sorted(files["nodes"][label]), path
    for path in files["rel_files"]:
        frame = pd.read_csv(tmp_path / "out" / path, dtype=str, keep_default_na=False)
        start = next(c for c in frame.columns if c.startswith(":START_ID("))
        end = next(c for c in frame.columns if c.startswith(":END_ID("))
        pair = next(k for k in files["rels"] if k[0] == files["rel_files"][path]
                    and start == f":START_ID({k[1]})" and end == f":END_ID({k[2]})")
        assert Counter(zip(frame[start], frame[end], strict=True)) == Counter(
            (s, e) for s, e, _ in files["rels"][pair])


@pytest.mark.slow
def test_demo_graph_exports_completely(demo_store: Any, tmp_path: Path) -> None:
    report = export_neo4j_admin(demo_store, tmp_path / "demo", page_size=400)
    assert report.complete and not report.warnings, (report.skipped, report.warnings)
    counts = demo_store.counts()
    assert report.exported_per_label() == counts["nodes"]
    assert report.exported_per_type() == counts["relationships"]
    files = assert_same_graph(tmp_path / "demo", demo_store)
    assert_header_types_match(files, store_graph(demo_store))
    # every ID a relationship refers to is a node of that ID space (no --skip-bad-relationships)
    for (_t, start, end), rows in files["rels"].items():
        assert {s for s, _, _ in rows} <= set(files["nodes"][start])
        assert {e for _, e, _ in rows} <= set(files["nodes"][end])


def test_import_script_lists_every_file(tricky: Any, tmp_path: Path) -> None:
    root = tmp_path / "out"
    export_neo4j_admin(tricky, root, database="patents-2026")
    written = {str(p.relative_to(root)) for p in root.rglob("*.csv")}
    files = read_export(root)
    assert set(files["node_files"]) | set(files["rel_files"]) == written
    script = files["script"]
    assert subprocess.run(["sh", "-n", str(root / "import.sh")]).returncode == 0
    # run it with a stand-in for neo4j-admin that prints its arguments
    fake = tmp_path / "fake-neo4j-admin"
    fake.write_text('#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n')
    fake.chmod(0o755)
    out = subprocess.run(["sh", str(root / "import.sh")], capture_output=True, text=True,
                         env={**os.environ, "NEO4J_ADMIN": str(fake)}, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    argv = out.stdout.splitlines()
    assert argv[:4] == ["database", "import", "full", "patents-2026"]
    assert "--array-delimiter=U+001F" in argv and "--id-type=string" in argv
    assert "--overwrite-destination=true" in argv and "--multiline-fields=true" in argv
    listed = [a.split("=", 2)[2] for a in argv if a.startswith(("--nodes=", "--relation"))]
    assert sorted(listed) == sorted(written) and all((root / p).is_file() for p in listed)
    for a in argv:
        if a.startswith("--nodes="):
            label, path = a.removeprefix("--nodes=").split("=", 1)
            assert f":ID({label})" in (root / path).read_text(encoding="utf-8").split("\n")[0]
    # strict: clean data, so a bad entry fails the import instead of being skipped
    assert not [a for a in argv if a.startswith(("--skip-", "--bad-tolerance"))]
    assert script.startswith("#!/bin/sh")
    schema_text = (root / "schema.cypher").read_text(encoding="utf-8")
    from graph.store.neo4j_store import schema_ddl

    for _name, statement in schema_ddl():
        assert f"{statement};" in schema_text
    assert "REQUIRE n.app_no IS UNIQUE" in schema_text


def test_array_delimiter_inside_a_list_value_is_refused(falkor_store: Any,
                                                        tmp_path: Path) -> None:
    falkor_store.write("CREATE (:Patent {app_no: 'A', ipc_codes: ['G06F', $bad]}), "
                       "(:Patent {app_no: 'B', title: $bad})", {"bad": "x\x1fy"})
    with pytest.raises(InputError) as err:
        export_neo4j_admin(falkor_store, tmp_path / "out")
    assert "U+001F" in err.value.message_zh and "Patent[app_no=A]" in err.value.message_en
    # in a scalar text column the delimiter is harmless and kept
    falkor_store.write("MATCH (p:Patent {app_no: 'A'}) SET p.ipc_codes = ['G06F']")
    export_neo4j_admin(falkor_store, tmp_path / "ok")
    assert_same_graph(tmp_path / "ok", falkor_store)


def test_cli_exports_and_reports(tricky: Any, tmp_path: Path, monkeypatch) -> None:
    from contextlib import contextmanager

    @contextmanager
    def same_store():
        yield tricky
    monkeypatch.setattr(vcli, "_store", same_store)
    out = CliRunner().invoke(vcli.export, ["--format", "neo4j-admin", "-o",
                                           str(tmp_path / "cli"), "--page-size", "4"])
    assert out.exit_code == 0, out.output
    assert "已导出 exported" in out.output and "import.sh" in out.output
    assert_same_graph(tmp_path / "cli", tricky)


def _run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATENTKG_DATA_DIR": str(tmp_path / "data")}
    env.pop("PATENTKG_NEO4J_URI", None)
    return subprocess.run([sys.executable, "-m", "patentkg.cli", "export", *args],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=120)


@pytest.mark.parametrize("case", ["file", "not-empty", "under-a-file", "subgraph", "database"])
def test_bad_target_is_a_clear_error(tmp_path: Path, case: str) -> None:
    target = tmp_path / "target"
    extra: list[str] = []
    if case == "file":
        target.write_text("x")
    elif case == "not-empty":
        target.mkdir()
        (target / "keep.txt").write_text("x")
    elif case == "under-a-file":
        (tmp_path / "f").write_text("x")
        target = tmp_path / "f" / "sub"
    elif case == "subgraph":
        extra = ["--entity", "Patent", "CN1"]
    else:
        extra = ["--database", "bad name; rm -rf /"]
    out = _run_cli(tmp_path, "--format", "neo4j-admin", "-o", str(target), *extra)
    assert out.returncode == 2, out.stderr
    line = out.stderr.strip()
    assert line.startswith("错误 error:") and "Traceback" not in out.stderr
    zh, en = line.removeprefix("错误 error:").split(" / ", 1)  # "中文 / English"
    assert re.search(r"[\u4e00-\u9fff]", zh) and re.search(r"[a-z]{4,} [a-z]{2,}", en)
    # it failed before starting a graph store
    assert not (tmp_path / "data" / "server.json").exists()
    if case == "not-empty":
        assert [p.name for p in target.iterdir()] == ["keep.txt"]  # nothing overwritten


@needs_linter
def test_written_and_read_cypher_parses_with_neo4j_grammar(tricky: Any, tmp_path: Path) -> None:
    root = tmp_path / "out"
    export_neo4j_admin(tricky, root)
    queries = {}
    for name in ("schema.cypher", "empty_lists.cypher"):
        for i, line in enumerate((root / name).read_text(encoding="utf-8").split("\n")):
            if line and not line.startswith("//"):
                assert line.endswith(";")
                queries[f"{name}:{i + 1}"] = line.removesuffix(";")
    assert any("AS pair" in q for q in queries.values())  # both fix-up shapes are covered
    assert any(re.match(r"UNWIND .* AS k ", q) for q in queries.values())
    for node in (NODE_TYPES[0], NODE_TYPES[-1]):  # one template per label: two suffice
        queries[f"keys {node.label}"] = _keys_query(node.label, node.key)
        queries[f"nodes {node.label}"] = _node_page_query(node.label, node.key)
        queries[f"edges {node.label}"] = _edge_page_query(node.label, node.key)
    errors = [f for f in _lint(queries) if f["severity"] == "error"]
    assert not errors, errors
