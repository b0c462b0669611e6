"""The generated demo loaded by the real loader, checked against pandas on the same files."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from graph.store.falkor import FalkorStore
from loaders.formats import load_formats

pytest.importorskip("loaders.generate")


def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".xlsx":
        return pd.read_excel(path, dtype=object)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(path, dtype=str, encoding=encoding)
        except UnicodeDecodeError:
            continue
    raise AssertionError(f"unreadable {path}")


def _column(frame: pd.DataFrame, kind: str, field: str) -> pd.Series | None:
    spec = load_formats()[kind].field(field)
    for header in spec.headers:
        for column in frame.columns:
            if unicodedata.normalize("NFKC", str(column)) == unicodedata.normalize("NFKC", header):
                return frame[column]
    return None


def _items(cell: object) -> list[str]:
    if cell is None or (isinstance(cell, float) and pd.isna(cell)):
        return []
    return [p.strip() for p in re.split(r"[;；,，、\n]", str(cell)) if p.strip()]


def _app_key(cell: object) -> str:
    """Serial digits without prefix and check digit: enough to tell numbers apart."""
    text = re.sub(r"[^0-9X]", "", unicodedata.normalize("NFKC", str(cell)).upper()
                  .replace("CN", "").replace("ZL", ""))
    if isinstance(cell, float):
        text = str(int(cell))
    return text[:-1]


def _canon(name: str) -> str:
    """A second, simpler implementation of organisation-name folding for the checks."""
    text = re.sub(r"\s", "", unicodedata.normalize("NFKC", name))
    text = text.replace("(天津)", "").removeprefix("天津市").removeprefix("天津")
    text = text.replace("股份有限公司", "有限公司").replace("有限责任公司", "有限公司")
    return re.sub(r"(公司).*分公司$", r"\1", text)


@pytest.fixture(scope="module")
def demo_frames(demo_dir: Path) -> dict[str, pd.DataFrame]:
    return {p.name: _read(p) for p in sorted(demo_dir.iterdir())
            if p.suffix in (".csv", ".xlsx")}


@pytest.fixture(scope="module")
def patents(demo_frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per distinct patent with its applicants and IPC cells, from all exports."""
    rows = []
    for frame in demo_frames.values():
        app = _column(frame, "patents", "app_no")
        title = _column(frame, "patents", "title")
        if app is None or title is None:
            continue
        applicants = _column(frame, "patents", "applicants")
        main = _column(frame, "patents", "ipc_main")
        codes = _column(frame, "patents", "ipc_codes")
        for i in range(len(frame)):
            rows.append({"key": _app_key(app.iloc[i]),
                         "applicants": _items(applicants.iloc[i]),
                         "ipc": _items(main.iloc[i] if main is not None else None) +
                         _items(codes.iloc[i] if codes is not None else None)})
    return pd.DataFrame(rows).drop_duplicates("key").set_index("key")


def _registry(demo_frames: dict[str, pd.DataFrame], kind: str) -> pd.DataFrame:
    fields = load_formats()[kind].fields
    for frame in demo_frames.values():
        required = [_column(frame, kind, f.name) for f in fields if f.required]
        if required and all(c is not None for c in required):
            return pd.DataFrame({f.name: _column(frame, kind, f.name) for f in fields
                                 if _column(frame, kind, f.name) is not None})
    raise AssertionError(f"no {kind} file in the demo")


def test_patent_count_and_types(demo_store: FalkorStore, patents: pd.DataFrame) -> None:
    assert demo_store.counts()["nodes"]["Patent"] == len(patents)
    by_digit = Counter({"1": "invention", "8": "invention", "2": "utility_model",
                        "9": "utility_model", "3": "design"}[k[4] if len(k) == 12 else k[2]]
                       for k in patents.index)
    rows = demo_store.read("MATCH (p:Patent) RETURN p.patent_type AS t, count(p) AS n")
    assert {r["t"]: r["n"] for r in rows} == dict(by_digit)


@pytest.mark.parametrize("kind,label", [
    ("parks", "Park"), ("awards", "Award"), ("licences", "Licence"), ("pledges", "Pledge"),
    ("transfers", "Transfer"), ("insurance", "InsurancePolicy"), ("trademarks", "Trademark"),
    ("copyrights", "Copyright"), ("products", "Product"), ("contracts", "TechContract"),
    ("events", "Event"), ("open_licences", "OpenLicenceOffer"),
    ("financing_products", "FinancingProduct"),
])
def test_one_node_per_registry_row(demo_store: FalkorStore,
                                   demo_frames: dict[str, pd.DataFrame], kind: str,
                                   label: str) -> None:
    assert demo_store.counts()["nodes"][label] == len(_registry(demo_frames, kind))


@pytest.mark.parametrize("kind,label", [
    ("enterprises", "Enterprise"), ("institutes", "Institute"),
    ("financial_institutions", "FinancialInstitution"), ("agencies", "ServiceAgency"),
])
def test_registry_organisations(demo_store: FalkorStore, demo_frames: dict[str, pd.DataFrame],
                                kind: str, label: str) -> None:
    registry = _registry(demo_frames, kind)
    rows = demo_store.read(f"MATCH (n:{label}) WHERE n.in_registry = true RETURN n.name AS name")
    assert sorted(r["name"] for r in rows) == sorted(registry["name"])


def _patents_per_enterprise(demo_frames: dict[str, pd.DataFrame],
                            patents: pd.DataFrame) -> Counter[str]:
    names = {_canon(n): n for n in _registry(demo_frames, "enterprises")["name"]}
    counts: Counter[str] = Counter()
    for applicants in patents["applicants"]:
        for name in {names[_canon(a)] for a in applicants if _canon(a) in names}:
            counts[name] += 1
    return counts


def test_patents_per_enterprise(demo_store: FalkorStore, demo_frames: dict[str, pd.DataFrame],
                                patents: pd.DataFrame) -> None:
    expected = _patents_per_enterprise(demo_frames, patents)
    rows = demo_store.read("MATCH (p:Patent)-[:APPLIED_BY]->(e:Enterprise) "
                           "WHERE e.in_registry = true RETURN e.name AS e, count(DISTINCT p) AS n")
    assert {r["e"]: r["n"] for r in rows} == dict(expected)
    assert sum(expected.values()) > 100  # the check is not vacuous


def test_patents_per_park(demo_store: FalkorStore, demo_frames: dict[str, pd.DataFrame],
                          patents: pd.DataFrame) -> None:
    registry = _registry(demo_frames, "enterprises")
    park_of = {_canon(n): p for n, p in zip(registry["name"], registry["park"], strict=True)
               if isinstance(p, str)}
    expected: Counter[str] = Counter()
    for applicants in patents["applicants"]:
        for park in {park_of[_canon(a)] for a in applicants if _canon(a) in park_of}:
            expected[park] += 1
    rows = demo_store.read("MATCH (p:Patent)-[:APPLIED_BY]->(:Enterprise)-[:LOCATED_IN]->(k:Park) "
                           "RETURN k.name AS k, count(DISTINCT p) AS n")
    assert {r["k"]: r["n"] for r in rows} == dict(expected)


def test_patents_per_ipc_subclass(demo_store: FalkorStore, patents: pd.DataFrame) -> None:
    expected: Counter[str] = Counter()
    for codes in patents["ipc"]:
        for sub in {re.sub(r"\s", "", unicodedata.normalize("NFKC", c)).upper()[:4]
                    for c in codes}:
            expected[sub] += 1
    rows = demo_store.read("MATCH (p:Patent)-[:CLASSIFIED_AS]->(:IPC)-[:PART_OF]->(s:IPC) "
                           "RETURN s.code AS s, count(DISTINCT p) AS n")
    assert {r["s"]: r["n"] for r in rows} == dict(expected)
    with_ipc = demo_store.read("MATCH (p:Patent) WHERE p.ipc_main IS NOT NULL "
                               "RETURN count(p) AS n")[0]["n"]
    assert with_ipc == sum(1 for codes in patents["ipc"] if codes)


def test_every_patent_has_its_derived_facts(demo_store: FalkorStore) -> None:
    missing = demo_store.read(
        "MATCH (p:Patent) WHERE p.app_date IS NULL OR p.patent_type IS NULL "
        "OR p.expiry_date IS NULL OR p.is_valid IS NULL OR p.in_sei IS NULL "
        "RETURN count(p) AS n")[0]["n"]
    assert missing == 0
    pending_valid = demo_store.read(
        "MATCH (p:Patent) WHERE p.legal_status CONTAINS '审中' AND p.is_valid = true "
        "RETURN count(p) AS n")[0]["n"]
    assert pending_valid == 0


def test_world_at_scale_names_each_enterprise_once():
    # At 100k patents distinct draws used to spell the same name twice (shared firm words,
    # repeated trade characters): two registry rows, two credit codes, one name, so the loader
    # rightly rejected them and a big demo load exited 1.
    import numpy as np

    from loaders.generate import _build_world
    from loaders.resolve import norm_org_name

    orgs = _build_world(np.random.default_rng(20241), 100_000).orgs
    assert orgs["name"].is_unique
    assert orgs["name"].map(norm_org_name).is_unique  # nor two spellings of one name
    codes = orgs["credit_code"]
    assert codes[codes.fillna("") != ""].is_unique  # some registry rows carry no code


def test_profiles_list_names_and_subclasses_as_exported(
        demo_store: FalkorStore, demo_frames: dict[str, pd.DataFrame]) -> None:
    """Applicants and inventors are stored as one text each and ipc_subclasses not at all
    (graph.schema: joined, computed): a profile still lists the names in the export's order
    and the subclasses of the main class and the other codes, in order, each once."""
    from queries.explore import entity_profile

    cells: dict[str, list[dict[str, list[str]]]] = {}
    for frame in demo_frames.values():
        app = _column(frame, "patents", "app_no")
        if app is None or _column(frame, "patents", "title") is None:
            continue
        cols = {f: _column(frame, "patents", f)
                for f in ("applicants", "inventors", "ipc_main", "ipc_codes")}
        for i in range(len(frame)):
            cells.setdefault(_app_key(app.iloc[i]), []).append(
                {f: _items(c.iloc[i]) if c is not None else [] for f, c in cols.items()})
    once = {k: v[0] for k, v in cells.items() if len(v) == 1}  # in one export only
    keys = {_app_key(r["a"]): r["a"] for r in demo_store.read(
        "MATCH (p:Patent) RETURN p.app_no AS a")}
    stored = demo_store.read("MATCH (p:Patent) RETURN p.applicants AS a, p.inventors AS i, "
                             "p.ipc_subclasses AS s LIMIT 50")
    assert all(isinstance(r["a"], str) and r["s"] is None for r in stored)

    def fold(names: list[str]) -> list[str]:
        return [re.sub(r"\s+", " ", unicodedata.normalize("NFKC", n)).strip() for n in names]

    checked = Counter[str]()
    for key in sorted(once)[::7][:300]:
        expected = once[key]
        props = entity_profile(demo_store, label="Patent", key=keys[key])["properties"]
        for field in ("applicants", "inventors"):
            if expected[field]:
                assert fold(props[field]) == fold(list(dict.fromkeys(expected[field]))), key
                checked[field] += 1
            else:
                assert field not in props, key
        codes = [re.sub(r"\s", "", unicodedata.normalize("NFKC", c)).upper()
                 for c in expected["ipc_main"] + expected["ipc_codes"]]
        if codes:
            assert props["ipc_subclasses"] == list(dict.fromkeys(c[:4] for c in codes)), key
            checked["ipc_subclasses"] += 1
    assert min(checked.values()) > 100 and sum(
        1 for k in once if len(once[k]["inventors"]) > 1) > 0  # lists of several names
