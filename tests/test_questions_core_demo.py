"""The core questions on the generated demo, checked against pandas over the demo FILES.

Expected answers come from the files (tests/demo_frames.py reads them with the header table
of loaders/formats.yaml) and the reference concordance, computed here without the loader or
our own output: validity from legal status and statutory term, the CNIPA tier-A criteria,
subsector membership from the industry table's IPC prefixes and SEI codes, who holds what by
organisation name. Where a full ranking is not recomputed (the fit and match scores), the
tests check what a user relies on: which rows appear, the counts, the ordering keys, limits,
paging and the empty answer.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from demo_frames import (
    cell_app_no,
    cell_app_nos,
    cell_date,
    cell_ipcs,
    cell_list,
    org_key_name,
    read_demo,
)

from graph.store import Store
from patentkg.errors import InputError
from queries import catalogue, scoring

RULES = scoring.load_rules()
REFERENCE = Path(__file__).resolve().parent.parent / "loaders" / "reference_data"
IN_FORCE = {"有权", "授权"}
PENDING = {"审中", "实质审查"}
TERM = {"invention": 20, "utility_model": 10}
TYPE_OF_DIGIT = {"1": "invention", "8": "invention", "2": "utility_model", "9": "utility_model",
                 "3": "design"}


# -- independent truth from the files ----------------------------------------------------------
def patent_type(app_no: str) -> str:
    digits = app_no.removeprefix("CN").split(".")[0]
    return TYPE_OF_DIGIT[digits[4] if len(digits) == 12 else digits[2]]


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def sei_concordance() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(main group -> SEI codes, subclass -> SEI codes) of the CNIPA 2021 reference table."""
    codes = {}
    with (REFERENCE / "sei_industries.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            item = json.loads(line)
            codes[item["id"]] = item["seiCode"]
    groups: dict[str, set[str]] = {}
    subclasses: dict[str, set[str]] = {}
    with (REFERENCE / "ipc_sei_map.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            item = json.loads(line)
            code = item["ipcCode"].replace(" ", "").upper()
            if "/" in code:  # a subgroup rule counts for its main group
                head, _ = code.split("/", 1)
                groups.setdefault(f"{head}/00", set()).add(codes[item["seiId"]])
            elif len(code) == 4:
                subclasses.setdefault(code, set()).add(codes[item["seiId"]])
    return groups, subclasses


@dataclass
class Truth:
    patents: pd.DataFrame  # one row per patent, index app_no
    tier_a: set[str]
    criteria: dict[str, set[str]]  # criterion -> patents meeting it (valid inventions)
    subsectors: dict[str, set[str]]  # industry_id -> patents
    industry_names: dict[str, str]
    institutes: pd.DataFrame
    enterprises: pd.DataFrame
    park_of_enterprise: dict[str, str | None]  # folded enterprise name -> park name
    parks: pd.DataFrame
    holders: dict[str, set[str]] = field(default_factory=dict)  # app_no -> org names (folded)
    stock: dict[str, set[str]] = field(default_factory=dict)  # app_no -> institute names
    prefixes: dict[str, list[str]] = field(default_factory=dict)  # industry_id -> IPC prefixes


def _institute_of(name: str, institutes: dict[str, str]) -> str | None:
    """The registry institute a name stands for: itself, an alias, or a department of it
    (the longest registry name it starts with)."""
    folded = org_key_name(name)
    if folded in institutes:
        return institutes[folded]
    heads = [k for k in institutes if folded.startswith(k) and len(folded) > len(k)
             and re.search(r"(大学|学院|研究院)$", k)]
    return institutes[max(heads, key=len)] if heads else None


def build_truth(demo_dir: Path) -> Truth:
    frames = read_demo(demo_dir)
    today = date.today()
    p = frames["patents"].copy()
    p["app_no"] = p.app_no.map(cell_app_no)
    assert p.app_no.is_unique
    p["type"] = p.app_no.map(patent_type)
    p["filed"] = p.app_date.map(cell_date)
    p["expiry"] = [add_years(f, 15 if f >= date(2021, 6, 1) else 10) if t == "design"
                   else add_years(f, TERM[t]) for f, t in zip(p.filed, p.type, strict=True)]
    p["valid"] = p.legal_status.isin(IN_FORCE) & (p.expiry > today)
    p["pending"] = p.legal_status.isin(PENDING)
    end = [min(today, e) for e in p.expiry]
    p["years"] = [e.year - f.year - ((e.month, e.day) < (f.month, f.day))
                  for e, f in zip(end, p.filed, strict=True)]
    p["codes"] = [list(dict.fromkeys(cell_ipcs(m) + cell_ipcs(c)))
                  for m, c in zip(p.ipc_main, p.ipc_codes, strict=True)]
    groups, subclasses = sei_concordance()
    p["sei"] = [set().union(*(groups.get(c, set()) | subclasses.get(c[:4], set())
                              for c in codes)) if codes else set() for codes in p.codes]
    p["abroad"] = p.family_members.map(
        lambda v: any(not m.upper().startswith("CN") for m in cell_list(v)))
    pledged = {a for v in frames["pledges"].patents for a in cell_app_nos(v)}
    aw = frames["awards"]
    national_st = (aw.level == "国家") & ~aw.award_name.str.contains("专利")
    awarded = {a for v in aw[national_st | aw.award_name.str.contains("中国专利奖")].patents
               for a in cell_app_nos(v)}
    p = p.set_index("app_no", drop=False)
    inv = p[p.valid & (p.type == "invention")]
    over = RULES["tiers"]["maintained_years_over"]
    criteria = {
        "in_sei": set(inv[inv.sei.map(bool)].index),
        "family_abroad": set(inv[inv.abroad].index),
        "maintained_over_years": set(inv[inv.years > over].index),
        "pledged": set(inv.index) & pledged,
        "award": set(inv.index) & awarded,
    }
    tier_a = set().union(*criteria.values())

    ind = frames["industries"]
    subsectors: dict[str, set[str]] = {}
    prefix_table: dict[str, list[str]] = {}
    for r in ind.itertuples():
        prefixes = [x.upper().replace(" ", "") for x in cell_list(r.ipc_prefixes)]
        prefix_table[r.industry_id] = prefixes
        wanted = cell_list(r.sei_codes)
        hit = [a for a, codes, sei in zip(p.index, p.codes, p.sei, strict=True)
               if any(c.startswith(x) for c in codes for x in prefixes)
               or any(s == w or s.startswith(w + ".") for s in sei for w in wanted)]
        subsectors[r.industry_id] = set(hit)

    inst = frames["institutes"]
    inst_names = {org_key_name(n): n for n in inst.name}
    for n, aliases in zip(inst.name, inst.aliases, strict=True):
        inst_names.update({org_key_name(a): n for a in cell_list(aliases)})
    holders: dict[str, set[str]] = {}
    stock: dict[str, set[str]] = {}
    for a, applicants, owners in zip(p.index, p.applicants, p.current_owners, strict=True):
        held = cell_list(owners) or cell_list(applicants)
        holders[a] = {org_key_name(n) for n in cell_list(applicants) + cell_list(owners)}
        names = {_institute_of(n, inst_names) for n in held} - {None}
        if names:
            stock[a] = names  # type: ignore[assignment]
    ent = frames["enterprises"]
    return Truth(p, tier_a, criteria, subsectors, dict(zip(ind.industry_id, ind.name,
                                                           strict=True)),
                 inst, ent, {org_key_name(n): k for n, k in zip(ent.name, ent.park,
                                                               strict=True)},
                 frames["parks"], holders, stock, prefix_table)


@pytest.fixture(scope="module")
def truth(demo_dir: Path) -> Truth:
    return build_truth(demo_dir)


def graph_patents(store: Store) -> pd.DataFrame:
    got = pd.DataFrame(store.read(
        "MATCH (p:Patent) RETURN p.app_no AS app_no, p.tier AS tier, p.is_valid AS valid, "
        "p.value_score AS score, p.tier_basis AS basis ORDER BY app_no")).set_index("app_no")
    got["reasons"] = got.basis.map(scoring.tier_reasons)  # the sentences users read
    return got


def every_row(store: Store, name: str, params: dict, page: int = 37) -> list[dict]:
    rows = list(catalogue.iter_rows(store, name, params, page=page))
    whole = catalogue.ask(store, name, params, limit=catalogue.MAX_LIMIT).rows
    if len(whole) < catalogue.MAX_LIMIT:
        assert rows == whole, "paging must reach every row exactly once, in order"
    return rows


def resident_institutes(t: Truth) -> set[str]:
    return set(t.institutes[t.institutes.resident == "是"].name)


# -- tiers ---------------------------------------------------------------------------------------
def test_validity_matches_legal_status_and_term(demo_store: Store, truth: Truth) -> None:
    got = graph_patents(demo_store)
    assert set(got.index) == set(truth.patents.index)
    assert got.valid.astype(bool).to_dict() == truth.patents.valid.to_dict()


def test_tier_a_is_the_cnipa_high_value_set_of_the_files(demo_store: Store, truth: Truth) -> None:
    got = graph_patents(demo_store)
    assert set(got[got.tier == "A"].index) == truth.tier_a
    # the demo exercises the criteria (its national awards all went to lapsed patents or
    # non-inventions, so `award` is checked by tests/test_derive.py instead)
    assert all(v for k, v in truth.criteria.items() if k != "award"), {
        k: len(v) for k, v in truth.criteria.items()}


def test_every_tier_is_explained_in_chinese(demo_store: Store, truth: Truth) -> None:
    got = graph_patents(demo_store)
    names = RULES["tiers"]["a_criteria"]
    b_min = RULES["tiers"]["b_min_score"]
    for app_no, row in got.iterrows():
        reasons = row.reasons
        assert reasons and all(re.search(r"[\u4e00-\u9fff]", r) for r in reasons), app_no
        if row.tier == "A":
            # exactly the criteria the files say it meets, each named in Chinese
            met = {k for k, pats in truth.criteria.items() if app_no in pats}
            assert {k for k, zh in names.items() if zh in reasons} == met, app_no
        elif row.tier in ("B", "C") and truth.patents.loc[app_no, "valid"]:
            word = "≥" if row.tier == "B" else "<"
            assert any(f"{word} B级阈值 {b_min}" in r for r in reasons), app_no
            assert (row.score >= b_min) == (row.tier == "B")
        elif truth.patents.loc[app_no, "pending"]:
            assert row.tier == RULES["tiers"]["pending_tier"] and "审中" in reasons[0]
        else:
            assert row.tier == "X" and "非有效专利" in reasons[0]


# -- §1 §3 inventory ----------------------------------------------------------------------------
def _stock_of(t: Truth, names: set[str]) -> set[str]:
    return {a for a, held in t.stock.items() if held & names}


def test_inventory_of_all_resident_institutes(demo_store: Store, truth: Truth) -> None:
    resident = resident_institutes(truth)
    rows = every_row(demo_store, "stock_patent_inventory", {})
    assert {r["app_no"] for r in rows} == _stock_of(truth, resident)
    assert len(rows) == len({r["app_no"] for r in rows})
    for r in rows:
        assert set(r["institutes"]) == truth.stock[r["app_no"]] & resident
        assert r["reasons"] and r["tier_reasons"]
    keys = [(-r["value_score"], r["app_no"]) for r in rows]
    assert keys == sorted(keys)


@pytest.mark.parametrize("tier,valid_only", [("A", False), ("B", True), ("C", False),
                                             ("C", True), (None, True), ("X", False)])
def test_inventory_filters(demo_store: Store, truth: Truth, tier: str | None,
                           valid_only: bool) -> None:
    params = {"tier": tier, "valid_only": valid_only}
    rows = every_row(demo_store, "stock_patent_inventory", params, page=11)
    expected = _stock_of(truth, resident_institutes(truth))
    tiers = graph_patents(demo_store).tier
    if tier == "A":
        expected &= truth.tier_a
    elif tier:
        expected = {a for a in expected if tiers[a] == tier}
    if valid_only:
        expected = {a for a in expected if truth.patents.loc[a, "valid"]}
    assert {r["app_no"] for r in rows} == expected
    keys = [(-r["value_score"], r["app_no"]) for r in rows]
    assert keys == sorted(keys)


def test_inventory_of_one_institute_by_alias_limit_and_empty(demo_store: Store,
                                                            truth: Truth) -> None:
    by_name = every_row(demo_store, "stock_patent_inventory", {"institute": "津河电力科学研究院"})
    by_alias = every_row(demo_store, "stock_patent_inventory", {"institute": "津河电力试验研究所"})
    assert by_name == by_alias
    assert {r["app_no"] for r in by_name} == _stock_of(truth, {"津河电力科学研究院"})
    # a non-resident university is inventoried when named, departments included
    rows = every_row(demo_store, "stock_patent_inventory", {"institute": "海河理工大学"})
    assert {r["app_no"] for r in rows} == _stock_of(truth, {"海河理工大学"})
    page = catalogue.ask(demo_store, "stock_patent_inventory", {}, limit=5)
    assert len(page.rows) == 5 and page.has_more
    # nothing lapsed is valid: an empty answer, not an error
    empty = catalogue.ask(demo_store, "stock_patent_inventory", {"tier": "X", "valid_only": True})
    assert empty.rows == [] and not empty.has_more
    with pytest.raises(InputError):
        catalogue.ask(demo_store, "stock_patent_inventory", {"institute": "不存在的研究院"})


# -- §2 matching ----------------------------------------------------------------------------------
def _enterprise_held(t: Truth, row: dict) -> bool:
    return org_key_name(row["enterprise"]) in t.holders[row["app_no"]]


def _check_match_rows(rows: list[dict], t: Truth, tiers: pd.Series) -> None:
    assert len({(r["app_no"], r["org_key"]) for r in rows}) == len(rows)
    for r in rows:
        assert t.patents.loc[r["app_no"], "valid"]
        assert r["tier"] == tiers[r["app_no"]]
        assert not _enterprise_held(t, r), "a patent is not pushed to its own holder"
        assert r["reasons"] and 0 < r["match_score"] <= 100
        codes = set(t.patents.loc[r["app_no"], "codes"])
        assert set(r["shared_groups"]) <= codes
    # patents by their best match, then each patent's enterprises best first
    best: dict[str, float] = {}
    for r in rows:
        best.setdefault(r["app_no"], r["match_score"])
    keys = [(-best[r["app_no"]], r["app_no"], -r["match_score"], r["org_key"]) for r in rows]
    assert keys == sorted(keys)
    per_patent = pd.Series([r["app_no"] for r in rows]).value_counts()
    assert per_patent.max() <= RULES["match"]["top_n"]


@pytest.mark.parametrize("params", [{"tier": "A"}, {"tier": "B"}, {"subsector": "医疗器械"},
                                    {"subsector": "HD02", "tier": "A"}])
def test_patent_enterprise_match_lists(demo_store: Store, truth: Truth, params: dict) -> None:
    rows = every_row(demo_store, "patent_enterprise_match", params)
    assert rows
    tiers = graph_patents(demo_store).tier
    _check_match_rows(rows, truth, tiers)
    apps = {r["app_no"] for r in rows}
    if params.get("tier") == "A":
        assert apps <= truth.tier_a
    if "subsector" in params:
        ind = {"医疗器械": "HD01"}.get(params["subsector"], params["subsector"])
        assert apps <= truth.subsectors[ind]
        medical = {r["app_no"] for r in rows}
        assert all(truth.industry_names[ind] in r["subsectors"] for r in rows), medical
    page = catalogue.ask(demo_store, "patent_enterprise_match", params, limit=3)
    assert page.rows == rows[:3] and page.has_more == (len(rows) > 3)


def test_patent_enterprise_match_for_one_patent(demo_store: Store, truth: Truth) -> None:
    tiers = graph_patents(demo_store).tier
    app_no = min(truth.tier_a & truth.subsectors["HD01"])
    rows = every_row(demo_store, "patent_enterprise_match", {"app_no": app_no})
    assert rows and {r["app_no"] for r in rows} == {app_no}
    _check_match_rows(rows, truth, tiers)
    # shared IPC main groups, recomputed from the files by enterprise name
    p = truth.patents
    for r in rows:
        theirs = {c for codes, apps, owners in zip(p.codes, p.applicants, p.current_owners,
                                                   strict=True)
                  if org_key_name(r["enterprise"]) in {org_key_name(n) for n in
                                                       cell_list(apps) + cell_list(owners)}
                  for c in codes}
        assert set(r["shared_groups"]) <= set(p.loc[app_no, "codes"]) & theirs | set(
            r["shared_groups"]) - theirs  # names the loader folded (branches) may add more
        assert set(p.loc[app_no, "codes"]) & theirs <= set(r["shared_groups"])


def test_patent_enterprise_match_empty_and_errors(demo_store: Store, truth: Truth) -> None:
    lapsed = min(a for a in truth.patents.index if not truth.patents.loc[a, "valid"])
    assert catalogue.ask(demo_store, "patent_enterprise_match", {"app_no": lapsed}).rows == []
    # 地质勘查装备 has no tier-A patent in the demo files: an empty list
    geo = [k for k, v in truth.industry_names.items() if v == "地质勘查装备"][0]
    if not truth.subsectors[geo] & truth.tier_a:
        assert catalogue.ask(demo_store, "patent_enterprise_match",
                             {"subsector": geo, "tier": "A"}).rows == []
    with pytest.raises(InputError):
        catalogue.ask(demo_store, "patent_enterprise_match", {})
    with pytest.raises(InputError):
        catalogue.ask(demo_store, "patent_enterprise_match", {"app_no": "CN000000000000.0"})


# -- §4 parks, §6-8 portfolios and gaps, §10 cluster strength, §13 -----------------------------
def company(name: str) -> str:
    """A company name folded the way registries and exports disagree: width, '(天津)' placed
    first, company-form variants, a branch standing for its company."""
    text = org_key_name(name)
    m = re.match(r"^(.+?公司).+分公司$", text)
    text = m.group(1) if m else text
    text = text.replace("股份有限公司", "有限公司").replace("有限责任公司", "有限公司")
    if "(天津)" in text:
        text = text.replace("(天津)", "")
        text = text if text.startswith("天津") else "天津" + text
    return "天津" + text[3:] if text.startswith("天津市") else text


def park_members(t: Truth, park: str) -> set[str]:
    """Folded names of the enterprises the registry places in a park (short names allowed)."""
    return {company(n) for n, k in zip(t.enterprises.name, t.enterprises.park, strict=True)
            if isinstance(k, str) and (k in park or park in k)}


def held_by(t: Truth, names: set[str]) -> set[str]:
    p = t.patents
    return {a for a, apps, owners in zip(p.index, p.applicants, p.current_owners, strict=True)
            if {company(n) for n in cell_list(apps) + cell_list(owners)} & names}


def test_cluster_strength_counts_per_park(demo_store: Store, truth: Truth) -> None:
    rows = every_row(demo_store, "cluster_strength", {})
    assert {r["park"] for r in rows} == set(truth.parks.name)
    valid = set(truth.patents[truth.patents.valid].index)
    for r in rows:
        members = park_members(truth, r["park"])
        held = held_by(truth, members) & valid
        assert (r["enterprises"], r["valid_patents"], r["tier_a"]) == (
            len(members), len(held), len(held & truth.tier_a)), r["park"]
        assert r["reasons"]
    keys = [(-r["valid_patents"], -r["enterprises"], r["park_id"]) for r in rows]
    assert keys == sorted(keys)
    one = catalogue.ask(demo_store, "cluster_strength", {"area": "医疗器械产业园"}).rows
    assert [r["park"] for r in one] == ["医疗器械产业园"]
    with pytest.raises(InputError):
        catalogue.ask(demo_store, "cluster_strength", {"area": "不存在的集聚区"})


def test_park_push_list(demo_store: Store, truth: Truth) -> None:
    tiers = graph_patents(demo_store).tier
    for park, wanted in (("医疗器械产业园", ("A", "B")), ("帅达", ("A",))):
        rows = every_row(demo_store, "park_push_list", {"park": park, "tiers": ",".join(wanted)})
        assert rows
        name = rows[0]["park"]
        members = park_members(truth, name)
        own = held_by(truth, members)
        for r in rows:
            assert truth.patents.loc[r["app_no"], "valid"] and tiers[r["app_no"]] in wanted
            assert (r["tier"] == "A") == (r["app_no"] in truth.tier_a)
            assert r["app_no"] not in own, "a park is not offered its own patents"
            assert {company(e) for e in r["enterprises"]} <= members
            assert r["reasons"]
        keys = [(r["tier"], -r["park_fit"], -r["value_score"], r["app_no"]) for r in rows]
        assert keys == sorted(keys)
    with pytest.raises(InputError):
        catalogue.ask(demo_store, "park_push_list", {"park": "不存在园"})


def test_park_push_list_beyond_the_stored_lists(demo_store: Store, truth: Truth,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages past the stored lists (refresh keeps each tier's first PUSH_CAP) are ranked live:
    the same rows, in the same order, with the same reasons as the stored ranking, and the
    same answer to the files (valid, tiered, never the park's own patents)."""
    from queries import portfolio

    tiers = graph_patents(demo_store).tier
    params = {"park": "医疗器械产业园", "tiers": "A,B,C"}
    stored = every_row(demo_store, "park_push_list", params)
    assert len(stored) > 60
    monkeypatch.setattr(portfolio, "_push_page", lambda *a, **k: None)  # as past the cap
    live = every_row(demo_store, "park_push_list", params)
    assert live == stored
    for offset in (0, 23, len(stored) - 5, len(stored)):
        page = catalogue.ask(demo_store, "park_push_list", params, limit=10, offset=offset)
        assert page.rows == stored[offset:offset + 10]
        assert page.has_more == (offset + 10 < len(stored))
    own = held_by(truth, park_members(truth, stored[0]["park"]))
    for r in live:
        assert truth.patents.loc[r["app_no"], "valid"] and tiers[r["app_no"]] in "ABC"
        assert r["app_no"] not in own

def test_park_cluster_fit(demo_store: Store, truth: Truth) -> None:
    rows = every_row(demo_store, "park_cluster_fit", {"park": "帅达"})
    members = park_members(truth, "帅达创新产业园")
    assert rows and {company(r["enterprise"]) for r in rows} <= members
    keys = [(-r["fit_score"], r["org_key"], r["cluster_id"]) for r in rows]
    assert keys == sorted(keys)
    one = rows[0]["cluster_id"]
    only = every_row(demo_store, "park_cluster_fit", {"park": "帅达", "cluster": one})
    assert only == [r for r in rows if r["cluster_id"] == one]
    with pytest.raises(InputError):
        catalogue.ask(demo_store, "park_cluster_fit", {"park": "帅达", "cluster": "不存在集群"})


def _local(t: Truth) -> set[str]:
    """Folded names of district organisations: resident institutes and registry enterprises."""
    inst = t.institutes
    return {company(n) for n in inst[inst.resident == "是"].name} | {
        company(n) for n in t.enterprises.name}


def test_high_value_portfolio_by_subsector_and_cluster(demo_store: Store, truth: Truth) -> None:
    valid = set(truth.patents[truth.patents.valid].index)
    rows = every_row(demo_store, "high_value_portfolio", {"group_by": "subsector"})
    expected = {i: (len(p & valid), len(p & truth.tier_a))
                for i, p in truth.subsectors.items() if p & valid}
    assert {r["group_id"]: (r["valid_patents"], r["tier_a"]) for r in rows} == expected
    keys = [(-r["tier_a"], -r["tier_b"], -r["valid_patents"], r["group_id"]) for r in rows]
    assert keys == sorted(keys)
    clusters = every_row(demo_store, "high_value_portfolio", {}, page=3)
    assert sum(r["valid_patents"] for r in clusters) == len(valid)
    assert sum(r["tier_a"] for r in clusters) == len(truth.tier_a)
    one = catalogue.ask(demo_store, "high_value_portfolio", {"subsector": "医疗器械"}).rows
    assert [(r["valid_patents"], r["tier_a"]) for r in one] == [expected["HD01"]]


def test_industry_gaps(demo_store: Store, truth: Truth) -> None:
    valid = set(truth.patents[truth.patents.valid].index)
    p = truth.patents
    local = _local(truth)
    local_held = {a for a, apps, owners in zip(p.index, p.applicants, p.current_owners,
                                               strict=True)
                  if {company(n) for n in (cell_list(owners) or cell_list(apps))} & local}
    counts = {i: len(pats & valid & local_held) for i, pats in truth.subsectors.items()}
    for cap in (0, 5, 50, 1000):
        rows = every_row(demo_store, "industry_gaps", {"max_patents": cap})
        assert {r["industry_id"]: r["local_valid_patents"] for r in rows} == {
            i: n for i, n in counts.items() if n <= cap}, cap
        keys = [(r["local_valid_patents"], r["valid_patents"], r["industry_id"]) for r in rows]
        assert keys == sorted(keys)
    assert catalogue.ask(demo_store, "industry_gaps", {"max_patents": 0}).rows == [] \
        or min(counts.values()) == 0


def test_pre_application_assessment(demo_store: Store, truth: Truth) -> None:
    before = demo_store.counts()
    params = {"title": "一种血压监测装置", "ipc_codes": "A61B5/02,G06N3/00",
              "applicant": "津东医科大学"}
    rows = every_row(demo_store, "pre_application_assessment", params, page=5)
    assert demo_store.counts() == before, "assessment is read-only"
    # subsectors by the industry table's IPC prefixes (A61B is 医疗器械's)
    expected = {i for i, prefixes in truth.prefixes.items()
                if any(c.startswith(x) for c in ("A61B5/02", "G06N3/00") for x in prefixes)}
    assert expected and {r["key"] for r in rows if r["kind"] == "主导产业细分领域"} >= expected
    assert any(r["kind"] == "企业" for r in rows) and all(r["reasons"] for r in rows)
    scores = [-r["score"] for r in rows]
    assert scores == sorted(scores)
    assert len(catalogue.ask(demo_store, "pre_application_assessment", params, limit=2).rows) == 2
    with pytest.raises(InputError):
        catalogue.ask(demo_store, "pre_application_assessment", {"title": "x"})



# -- §22 award-winning patents with every filter ------------------------------------------------
AWARD_LEVEL_RANK = {"国家": 0, "天津市": 1, "河东区": 2}


def award_list(t: Truth, demo_dir: Path, *, level: str | None = None, kind: str | None = None,
               year_from: int | None = None, year_to: int | None = None,
               apps: set[str] | None = None) -> list[tuple[str, int]]:
    """(app_no, number of matching awards) in the question's order, from the award register:
    best award level of the matching awards, then the latest of their years, then app_no."""
    aw = read_demo(demo_dir)["awards"]
    best: dict[str, int] = {}
    years: dict[str, list[int]] = {}
    count: dict[str, int] = {}
    for r in aw.itertuples():
        year = int(str(r.year)[:4]) if isinstance(r.year, str) and r.year.strip() else None
        award_kind = "专利奖" if "专利" in r.award_name else "科技奖"
        if ((level and r.level != level) or (kind and award_kind != kind)
                or (year_from is not None and (year is None or year < year_from))
                or (year_to is not None and (year is None or year > year_to))):
            continue
        for a in dict.fromkeys(cell_app_nos(r.patents)):
            if a not in t.patents.index or (apps is not None and a not in apps):
                continue
            best[a] = min(best.get(a, 9), AWARD_LEVEL_RANK.get(r.level, 3))
            count[a] = count.get(a, 0) + 1
            if year is not None:
                years.setdefault(a, []).append(year)
    latest = {a: max(years[a]) if a in years else None for a in best}
    order = sorted(best, key=lambda a: (best[a], latest[a] is not None, -(latest[a] or 0), a))
    return [(a, count[a]) for a in order]


def test_award_winning_patents_every_filter(demo_store: Store, truth: Truth,
                                            demo_dir: Path) -> None:
    """Level, kind, year window, park and industry filters, alone and together, give the award
    register's patents in the question's order (ranked over the matching awards only)."""
    aw = read_demo(demo_dir)["awards"]
    assert aw.project.is_unique  # one Award node per register row
    mid = sorted(int(str(y)[:4]) for y in aw.year)[len(aw) // 2]
    awarded = {a for a, _ in award_list(truth, demo_dir)}
    park = max(truth.parks.name,  # the park holding the most award-winning patents
               key=lambda k: (len(held_by(truth, park_members(truth, k)) & awarded), k))
    park_id = demo_store.read("MATCH (k:Park {name: $n}) RETURN k.park_id AS k",
                              {"n": park})[0]["k"]
    in_park = held_by(truth, park_members(truth, park))
    graph_industries = {r["a"]: set(r["names"]) for r in demo_store.read(
        "MATCH (p:Patent)-[:WON]->(:Award) "
        "RETURN DISTINCT p.app_no AS a, [(p)-[:IN_INDUSTRY_OF]->(i:Industry) | i.name] AS names")}
    # the industries a patent belongs to, from the IPC prefixes and SEI codes of the register
    industry_of: dict[str, set[str]] = {}
    for ind_id, members in truth.subsectors.items():
        for a in members:
            industry_of.setdefault(a, set()).add(truth.industry_names[ind_id])
    word = truth.industry_names[max(truth.subsectors, key=lambda i: len(truth.subsectors[i]))][:2]
    with_word = {a for a, names in industry_of.items() if any(word in n for n in names)}
    assert {a for a, names in graph_industries.items() if any(word in n for n in names)} == \
        {a for a in graph_industries if a in with_word}
    cases: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({"kind": "专利奖"}, {"kind": "专利奖"}),
        ({"kind": "科技奖", "level": "天津市"}, {"kind": "科技奖", "level": "天津市"}),
        ({"year_from": mid}, {"year_from": mid}),
        ({"year_from": mid - 2, "year_to": mid}, {"year_from": mid - 2, "year_to": mid}),
        ({"park_id": park_id}, {"apps": in_park}),
        ({"park_id": park_id, "kind": "专利奖"}, {"apps": in_park, "kind": "专利奖"}),
        ({"industry": word}, {"apps": with_word}),
        ({"industry": word, "year_to": mid}, {"apps": with_word, "year_to": mid}),
        ({"industry": word, "park_id": park_id}, {"apps": with_word & in_park}),
    ]
    for params, spec in cases:
        expected = award_list(truth, demo_dir, **spec)
        assert expected, params  # every case finds something in the demo
        rows = every_row(demo_store, "award_winning_patents", params, page=7)
        assert [(r["app_no"], len(r["awards"])) for r in rows] == expected, params
        if "park_id" in params:  # the owner shown is the one in the filtered park
            assert {r["park_id"] for r in rows} == {park_id}, params
    assert every_row(demo_store, "award_winning_patents", {"industry": "绝不会出现的产业"}) == []
    assert every_row(demo_store, "award_winning_patents", {"park_id": "无此园区"}) == []
