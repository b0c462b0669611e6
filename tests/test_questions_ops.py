"""Operations questions (§5, §9, §11, §12, §15, §19-23, 保障二) checked against the demo files.

Each expected answer is computed here from the generated input files with pandas and small
parsers of our own (header aliases from formats.yaml), not from the loader's code.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from queries import catalogue

REPO = Path(__file__).resolve().parent.parent
FORMATS = yaml.safe_load((REPO / "loaders" / "formats.yaml").read_text(encoding="utf-8"))

OPS_QUESTIONS: list[tuple[str, dict[str, Any]]] = [
    ("roadshow_candidates", {}),
    ("roadshow_candidates", {"tag": "专精特新"}),
    ("patent_intensive_product_candidates", {}),
    ("patent_intensive_product_candidates", {"include_filed": True}),
    ("industry_academia_network", {}),
    ("open_licence_search", {"valid_only": False}),
    ("conversion_metrics", {"group_by": "institute"}),
    ("conversion_metrics", {"group_by": "enterprise"}),
    ("conversion_metrics", {"group_by": "park"}),
    ("conversion_metrics", {"group_by": "year"}),
    ("tech_contract_statistics", {"group_by": "year"}),
    ("tech_contract_statistics", {"group_by": "institute"}),
    ("tech_contract_statistics", {"group_by": "park"}),
    ("pledge_financing_candidates", {}),
    ("insurance_recommendations", {}),
    ("award_winning_patents", {}),
    ("overseas_exposure", {"view": "enterprise"}),
    ("overseas_exposure", {"view": "patent"}),
]
_IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in p.items()) or 'default'}" for n, p in OPS_QUESTIONS]


# -- independent readers of the demo files ------------------------------------------------------
def _read_any(path: Path) -> pd.DataFrame:
    if path.suffix in (".xlsx", ".xls"):
        return pd.read_excel(path, dtype=str)
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(path, dtype=str, encoding=enc)
        except UnicodeDecodeError:
            continue
    raise AssertionError(f"cannot decode {path}")


def _kind_frames(demo_dir: Path, kind: str) -> pd.DataFrame:
    """Every demo file of a kind (detected by its required headers), columns renamed to fields."""
    fields = FORMATS["kinds"][kind]["fields"]
    names = {f: [spec["header"], *spec.get("aliases", [])] for f, spec in fields.items()}
    required = [f for f, spec in fields.items() if spec.get("required")]
    frames = []
    for path in sorted(demo_dir.iterdir()):
        if path.suffix not in (".csv", ".xlsx"):
            continue
        df = _read_any(path)
        cols = {c.strip(): c for c in df.columns}
        mapping = {}
        for f, heads in names.items():
            hit = next((cols[h] for h in heads if h in cols), None)
            if hit is not None:
                mapping[hit] = f
        if all(f in mapping.values() for f in required) and len(mapping) >= len(df.columns) - 1:
            frames.append(df.rename(columns=mapping)[list(mapping.values())])
    assert frames, f"no demo file of kind {kind}"
    return pd.concat(frames, ignore_index=True)


def _app_no(raw: Any) -> str | None:
    text = re.sub(r"[\s.]", "", str(raw or "")).upper().removeprefix("CN")
    if not text or text == "NAN":
        return None
    return f"CN{text[:-1]}.{text[-1]}"


def _app_list(raw: Any) -> list[str]:
    if raw is None or (isinstance(raw, float) and pd.isna(raw)):
        return []
    return [a for a in (_app_no(x) for x in re.split(r"[;；,，、\n]", str(raw))) if a]


def _money(raw: Any) -> float:
    if raw is None or (isinstance(raw, float) and pd.isna(raw)) or not str(raw).strip():
        return 0.0
    text = str(raw).replace(",", "").strip()
    if text.endswith("万元") or text.endswith("万"):
        return float(text.rstrip("元").rstrip("万")) * 10_000
    return float(text.rstrip("元"))


def _year(raw: Any) -> int | None:
    if raw is None or (isinstance(raw, float) and pd.isna(raw)):
        return None
    text = str(raw).strip()
    if re.fullmatch(r"\d{5}(\.0)?", text):  # Excel serial day
        return (date(1899, 12, 30) + timedelta(days=int(float(text)))).year
    return int(re.match(r"(\d{4})", text).group(1))


def _date(raw: Any) -> str | None:
    if raw is None or (isinstance(raw, float) and pd.isna(raw)) or not str(raw).strip():
        return None
    text = str(raw).strip()
    if re.fullmatch(r"\d{5}(\.0)?", text):
        return (date(1899, 12, 30) + timedelta(days=int(float(text)))).isoformat()
    m = re.match(r"(\d{4})\D?(\d{1,2})\D?(\d{1,2})", text)
    return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()


def _demo_patent_nos(demo_dir: Path) -> set[str]:
    return {a for a in _kind_frames(demo_dir, "patents")["app_no"].map(_app_no) if a}


# -- generic contract of every operations question ----------------------------------------------
@pytest.mark.parametrize(("name", "params"), OPS_QUESTIONS, ids=_IDS)
def test_rows_explain_themselves_and_page_exactly(demo_store, name: str,
                                                  params: dict[str, Any]) -> None:
    everything = list(catalogue.iter_rows(demo_store, name, params, page=7))
    assert everything, f"{name} found nothing in the demo"
    for row in everything:
        assert row["reasons"] and all(isinstance(r, str) and r for r in row["reasons"])
        assert any(row.get(k) is not None for k in ("app_no", "org_key", "park_id", "year"))
    # one big page equals the small pages joined: paging is deterministic and complete
    whole = catalogue.ask(demo_store, name, params, limit=1000)
    assert whole.rows == everything and not whole.has_more
    page = catalogue.ask(demo_store, name, params, limit=3, offset=2)
    assert page.rows == everything[2:5]
    assert catalogue.ask(demo_store, name, params, limit=5).rows == everything[:5]


@pytest.mark.parametrize(("name", "params"), OPS_QUESTIONS, ids=_IDS)
def test_empty_graph_gives_empty_answers(falkor_store, name: str, params: dict[str, Any]) -> None:
    answer = catalogue.ask(falkor_store, name, params, limit=10)
    assert answer.rows == [] and not answer.has_more


def test_questions_are_registered_with_chinese_titles() -> None:
    questions = catalogue.load_all()
    for name in {n for n, _ in OPS_QUESTIONS}:
        q = questions[name]
        assert re.search(r"[\u4e00-\u9fff]", q.title_zh) and q.description_zh and q.measures
        assert any(c.name == "reasons" for c in q.columns)


# -- answers checked against pandas --------------------------------------------------------------
def _contract_register(demo_dir):
    """The demo's contract register with year, amount and whether a contract covers a known
    patent, a transferred one, a licensed one (from the transfer and licence registers)."""
    contracts = _kind_frames(demo_dir, "contracts")
    known = _demo_patent_nos(demo_dir)
    transferred = {a for a in _kind_frames(demo_dir, "transfers")["patent"].map(_app_no)}
    licensed = {a for v in _kind_frames(demo_dir, "licences")["patents"] for a in _app_list(v)}
    contracts["year"] = contracts["signed_date"].map(_year)
    contracts["amount"] = contracts["amount"].map(_money)
    covered = contracts["patents"].map(lambda v: [a for a in _app_list(v) if a in known])
    contracts["has_patent"] = covered.map(bool)
    contracts["has_transfer"] = covered.map(lambda ps: any(p in transferred for p in ps))
    contracts["has_licence"] = covered.map(lambda ps: any(p in licensed for p in ps))
    return contracts


def test_tech_contract_statistics_by_year_match_the_contract_register(demo_store, demo_dir):
    contracts = _contract_register(demo_dir)
    expected = []
    for year, g in sorted(contracts.groupby("year")):
        expected.append({
            "year": int(year), "contracts": len(g), "amount": round(g["amount"].sum(), 2),
            "patent_amount": round(g.loc[g["has_patent"], "amount"].sum(), 2),
            "transfer_amount": round(g.loc[g["has_transfer"], "amount"].sum(), 2),
            "licence_amount": round(g.loc[g["has_licence"], "amount"].sum(), 2)})
    rows = catalogue.ask(demo_store, "tech_contract_statistics", {"group_by": "year"},
                         limit=1000).rows
    got = [{k: round(r[k], 2) if isinstance(r[k], float) else r[k] for k in expected[0]}
           for r in rows]
    assert got == expected
    # a year window keeps exactly those years; an empty window gives nothing
    mid = expected[len(expected) // 2]["year"]
    window = catalogue.ask(demo_store, "tech_contract_statistics",
                           {"group_by": "year", "year_from": mid, "year_to": mid}).rows
    assert [r["year"] for r in window] == [mid]
    assert catalogue.ask(demo_store, "tech_contract_statistics",
                         {"group_by": "year", "year_from": 1990, "year_to": 1991}).rows == []


def test_conversion_metrics_by_year_count_every_register(demo_store, demo_dir):
    known = _demo_patent_nos(demo_dir)
    counts: dict[int, dict[str, float]] = {}

    def add(year: int | None, key: str, amount: float = 0.0) -> None:
        if year is None:
            return
        slot = counts.setdefault(year, {"licences": 0, "transfers": 0, "pledges": 0,
                                        "pledge_amount": 0.0, "products": 0, "contracts": 0,
                                        "contract_amount": 0.0})
        slot[key] += 1
        if key == "pledges":
            slot["pledge_amount"] += amount
        if key == "contracts":
            slot["contract_amount"] += amount

    for _, r in _kind_frames(demo_dir, "licences").iterrows():
        add(_year(r["start_date"]), "licences")
    for _, r in _kind_frames(demo_dir, "transfers").iterrows():
        add(_year(r["date"]), "transfers")
    for _, r in _kind_frames(demo_dir, "pledges").iterrows():
        add(_year(r["start_date"]), "pledges", _money(r["amount"]))
    for _, r in _kind_frames(demo_dir, "products").iterrows():
        add(_year(r["year"]), "products")
    for _, r in _kind_frames(demo_dir, "contracts").iterrows():
        add(_year(r["signed_date"]), "contracts", _money(r["amount"]))
    assert known  # the registers refer to loaded patents; the counts do not depend on them
    rows = catalogue.ask(demo_store, "conversion_metrics", {"group_by": "year"}, limit=1000).rows
    assert [r["year"] for r in rows] == sorted(counts)
    for r in rows:
        exp = counts[r["year"]]
        assert {k: r[k] for k in ("licences", "transfers", "pledges", "products", "contracts")} \
            == {k: exp[k] for k in ("licences", "transfers", "pledges", "products", "contracts")}
        assert r["pledge_amount"] == pytest.approx(exp["pledge_amount"])
        assert r["contract_amount"] == pytest.approx(exp["contract_amount"])
        assert r["total"] == sum(exp[k] for k in ("licences", "transfers", "pledges",
                                                   "products", "contracts"))


def test_conversion_metrics_rank_groups_by_total(demo_store):
    for group_by in ("institute", "enterprise", "park"):
        rows = catalogue.ask(demo_store, "conversion_metrics", {"group_by": group_by},
                             limit=1000).rows
        keys = [(-r["total"], -r["contract_amount"], str(r["group_key"])) for r in rows]
        assert keys == sorted(keys)
        assert all(r["total"] > 0 for r in rows)


FEE_MODEL_OF = {"入门费+提成": "base_plus_royalty", "一次性总付": "lump_sum",
                "先试用后付费": "try_then_pay"}


def test_open_licence_search_lists_every_offer_with_its_terms(demo_store, demo_dir):
    offers = _kind_frames(demo_dir, "open_licences")
    offers["app_no"] = offers["patent"].map(_app_no)
    rows = catalogue.ask(demo_store, "open_licence_search", {"valid_only": False},
                         limit=1000).rows
    assert sorted(r["offer_id"] for r in rows) == sorted(offers["offer_id"])
    by_id = offers.set_index("offer_id")
    for r in rows:
        src = by_id.loc[r["offer_id"]]
        assert r["app_no"] == src["app_no"]
        assert r["fee_model"] == FEE_MODEL_OF[src["fee_model"]]
        assert r["field"] == src["field"] and r["industry"] == src["industry"]
        assert (r["fee"] or 0.0) == pytest.approx(_money(src["fee"]))
    # rows come tier A first, then newer declarations first
    ranks = [({"A": 0, "B": 1, "C": 2, "X": 3}.get(r["tier"], 4), r["declared_date"])
             for r in rows]
    assert [x[0] for x in ranks] == sorted(x[0] for x in ranks)
    # filters: fee model and industry, as pandas filters them
    model = offers["fee_model"].iloc[0]
    got = catalogue.ask(demo_store, "open_licence_search",
                        {"valid_only": False, "fee_model": FEE_MODEL_OF[model]}, limit=1000).rows
    assert sorted(r["offer_id"] for r in got) == sorted(
        offers.loc[offers["fee_model"] == model, "offer_id"])
    industry = offers["industry"].iloc[0]
    got = catalogue.ask(demo_store, "open_licence_search",
                        {"valid_only": False, "industry": industry}, limit=1000).rows
    assert sorted(r["offer_id"] for r in got) == sorted(
        offers.loc[offers["industry"].str.contains(industry, regex=False), "offer_id"])
    assert catalogue.ask(demo_store, "open_licence_search",
                         {"keyword": "绝不会出现的标题词"}).rows == []


def test_award_winning_patents_are_the_award_register(demo_store, demo_dir):
    awards = _kind_frames(demo_dir, "awards")
    known = _demo_patent_nos(demo_dir)
    awards["apps"] = awards["patents"].map(lambda v: [a for a in _app_list(v) if a in known])
    awards["year"] = awards["year"].map(_year)
    rows = catalogue.ask(demo_store, "award_winning_patents", {}, limit=1000).rows
    assert sorted(r["app_no"] for r in rows) == sorted({a for v in awards["apps"] for a in v})
    best = {}
    for _, a in awards.iterrows():
        rank = {"国家": 0, "天津市": 1, "河东区": 2}.get(a["level"], 3)
        for app in a["apps"]:
            best[app] = min(best.get(app, 9), rank)
    assert [best[r["app_no"]] for r in rows] == sorted(best[r["app_no"]] for r in rows)
    national = awards[awards["level"] == "国家"]
    got = catalogue.ask(demo_store, "award_winning_patents", {"level": "国家"}, limit=1000).rows
    assert sorted(r["app_no"] for r in got) == sorted({a for v in national["apps"] for a in v})
    lo = int(awards["year"].median())
    recent = awards[awards["year"] >= lo]
    got = catalogue.ask(demo_store, "award_winning_patents", {"year_from": lo}, limit=1000).rows
    assert sorted(r["app_no"] for r in got) == sorted({a for v in recent["apps"] for a in v})
    assert catalogue.ask(demo_store, "award_winning_patents", {"year_to": 1950}).rows == []


def test_award_park_and_industry_pages_walk_the_stored_order(demo_store, demo_dir):
    """park_id= / industry= pages read the stored order (Patent.award_pos) in windows: forced
    to tiny windows (many of them), every page equals the live ranking of the awarded
    patents, and a park's list is the default list's patents owned by the enterprises the
    registry file places in that park."""
    from queries import awards

    whole = catalogue.ask(demo_store, "award_winning_patents", {}, limit=1000).rows
    ents = _kind_frames(demo_dir, "enterprises")
    parks = sorted(set(ents["park"].dropna().str.strip()) - {""})
    industries = sorted({i[:2] for r in whole for i in r["industries"]})
    filters = [(p, None) for p in parks] + [(None, i) for i in industries[:3]] + \
        [(parks[0], industries[0]), ("没有这个园区", None), (None, "绝不会出现的产业")]
    full_pages = 0
    for park_id, industry in filters:
        live = demo_store.read(awards.AWARD_WINNING_PATENTS[park_id is not None,
                                                            industry is not None], {
            "level": None, "kind": None, "year_from": None, "year_to": None,
            "park_id": park_id, "industry": industry, "limit": 1000, "offset": 0})
        live_apps = [r["app_no"] for r in live]
        if park_id is not None and industry is None:
            members = set(ents.loc[ents["park"].str.strip() == park_id, "name"].str.strip())
            assert live_apps == [r["app_no"] for r in whole
                                 if members & set(r["owners"])], park_id
        for window in (1, 3, 1024):
            for offset, limit in ((0, 4), (3, 5), (0, 1000), (len(live), 5)):
                page = awards._filtered_page(demo_store, park_id=park_id, industry=industry,
                                             offset=offset, limit=limit, window=window)
                assert page is not None
                assert [{k: v for k, v in r.items() if k != "pos"} for r in page] == \
                    live[offset:offset + limit], (park_id, industry, window, offset)
                full_pages += len(page) == limit and window == 1
        asked = [r for off in range(0, len(live) + 3, 3) for r in catalogue.ask(
            demo_store, "award_winning_patents", {"park_id": park_id, "industry": industry},
            limit=3, offset=off).rows]
        assert [r["app_no"] for r in asked] == live_apps
    assert full_pages > 0


def test_overseas_patents_are_those_with_foreign_family_members(demo_store, demo_dir):
    patents = _kind_frames(demo_dir, "patents")
    abroad = set()
    for _, p in patents.iterrows():
        members = [m.strip() for m in re.split(r"[;；,，、\n]", str(p.get("family_members") or ""))
                   if m.strip() and m.strip().lower() != "nan"]
        if any(not m.upper().startswith("CN") for m in members):
            abroad.add(_app_no(p["app_no"]))
    rows = catalogue.ask(demo_store, "overseas_exposure", {"view": "patent"}, limit=1000).rows
    assert sorted(r["app_no"] for r in rows) == sorted(abroad)
    sizes = [-r["family_size"] for r in rows]
    assert sizes == sorted(sizes)
    # every enterprise row says why: an overseas business or patents with families abroad
    ent = catalogue.ask(demo_store, "overseas_exposure", {"view": "enterprise"}, limit=1000).rows
    assert all(r["overseas"] or r["patents_abroad"] > 0 for r in ent)
    owners_abroad = {r["org_key"] for r in rows if r["org_label"] == "Enterprise"}
    assert owners_abroad <= {r["org_key"] for r in ent}


def test_pledge_candidates_count_valid_trademarks_of_the_register(demo_store, demo_dir):
    marks = _kind_frames(demo_dir, "trademarks")
    today = date.today().isoformat()
    marks["valid"] = marks["valid_until"].map(lambda v: _date(v) is None or _date(v) >= today)
    per_owner = marks[marks["valid"]].groupby("owner").size().to_dict()
    rows = catalogue.ask(demo_store, "pledge_financing_candidates", {}, limit=1000).rows
    assert rows
    for r in rows:
        assert r["trademarks"] == per_owner.get(r["org_name"], 0), r["org_name"]
    bundled = catalogue.ask(demo_store, "pledge_financing_candidates", {"require_bundle": True},
                            limit=1000).rows
    assert {r["org_key"] for r in bundled} == {r["org_key"] for r in rows if r["bundle"]}
    assert all(r["trademarks"] + r["copyrights"] > 0 for r in bundled)


def test_product_candidates_respect_filing_status(demo_store, demo_dir):
    products = _kind_frames(demo_dir, "products")
    unfiled = products[~products["filing_status"].isin(["已备案", "已认定", "备案", "认定"])]
    rows = catalogue.ask(demo_store, "patent_intensive_product_candidates",
                         {"candidate": "product"}, limit=1000).rows
    assert {r["product_id"] for r in rows} <= set(unfiled["product_id"])
    filed = catalogue.ask(demo_store, "patent_intensive_product_candidates",
                          {"candidate": "product", "include_filed": True}, limit=1000).rows
    assert {r["product_id"] for r in filed} <= set(products["product_id"])
    assert all(r["valid_patents"] >= 1 for r in filed)
    ents = catalogue.ask(demo_store, "patent_intensive_product_candidates",
                         {"candidate": "enterprise"}, limit=1000).rows
    makers = set(products["maker"])
    assert ents and all(r["org_name"] not in makers for r in ents)


def test_industry_academia_pairs_are_joint_applications(demo_store):
    rows = catalogue.ask(demo_store, "industry_academia_network", {}, limit=1000).rows
    assert rows
    for r in rows[:20]:
        found = demo_store.read(
            "MATCH (i:Institute {org_key: $i})<-[:APPLIED_BY]-(p:Patent)-[:APPLIED_BY]->"
            "(e:Enterprise {org_key: $e}) RETURN count(DISTINCT p) AS n",
            {"i": r["org_key"], "e": r["partner_org_key"]})
        assert found[0]["n"] == r["co_applied"]
    first = rows[0]
    narrowed = catalogue.ask(demo_store, "industry_academia_network",
                             {"institute": first["org_name"]}, limit=1000).rows
    assert narrowed and all(r["org_key"] == first["org_key"] for r in narrowed)


def test_precomputed_pages_equal_the_live_queries(demo_store):
    """Round 3 stores rankings in derive.refresh; each stored page must equal the live query."""
    from queries import awards, conversion, cooperation

    live = demo_store.read(cooperation.INDUSTRY_ACADEMIA_NETWORK, {
        "institute": None, "enterprise": None, "min_patents": 1, "limit": 1000, "offset": 0})
    stored = catalogue.ask(demo_store, "industry_academia_network", {}, limit=1000).rows
    assert [(r["org_key"], r["partner_org_key"], r["linked_count"], r["co_applied_count"])
            for r in live] == [(r["org_key"], r["partner_org_key"], r["linked_patents"],
                                r["co_applied"]) for r in stored]
    for group_by in conversion.GROUP_BY:
        params = {"year_from": None, "year_to": None, "kind": None, "limit": 1000, "offset": 0}
        assert demo_store.read(conversion.TECH_CONTRACT_STATISTICS[group_by], params) == \
            demo_store.read(conversion.TECH_CONTRACT_STATISTICS_STORED[group_by], params)
    # the enterprises' stored order (Enterprise.tc_pos): its pages are the live ranking's
    live_ent = demo_store.read(conversion.TECH_CONTRACT_STATISTICS_STORED["enterprise"], params)
    stored_ent = [r for off in range(0, 1000, 7) for r in demo_store.read(
        conversion.CONTRACT_ENTERPRISE_PAGE, {**params, "first": off + 1, "last": off + 8})]
    assert live_ent and stored_ent == live_ent
    assert [r["group_key"] for off in range(0, 1000, 9) for r in catalogue.ask(
        demo_store, "tech_contract_statistics", {"group_by": "enterprise"}, limit=9,
        offset=off).rows] == [r["group_key"] for r in live_ent]
    live_awards = demo_store.read(awards.AWARD_WINNING_PATENTS[False, False], {
        "level": None, "kind": None, "year_from": None, "year_to": None, "park_id": None,
        "industry": None, "limit": 1000, "offset": 0})
    pages = [r for off in range(0, 1000, 7) for r in catalogue.ask(
        demo_store, "award_winning_patents", {}, limit=7, offset=off).rows]
    assert [r["app_no"] for r in live_awards] == [r["app_no"] for r in pages]
    from queries import inventory

    keys = [r["k"] for r in demo_store.read("MATCH (i:Institute) RETURN i.org_key AS k")]
    for tier, valid in ((None, False), ("A", False), ("B", True)):
        for some in ([keys[0]], keys):
            live_stock = demo_store.read(inventory.STOCK_PATENT_INVENTORY, {
                "institutes": some, "tier": tier, "valid_only": valid, "offset": 0,
                "limit": 1000})
            got = inventory._institute_stock(demo_store, some, tier=tier, valid_only=valid,
                                             offset=0, limit=1000)
            assert got is not None
            assert [(r["app_no"], sorted(r["institutes"])) for r in live_stock] == \
                [(r["app_no"], r["institutes"]) for r in got]


def test_conversion_counts_per_organisation_match_the_registers(demo_store, demo_dir):
    """The stored per-organisation counts (Enterprise/Institute.conv_*) against the registers."""
    def per_name(kind: str, *columns: str) -> tuple[dict[str, int], dict[str, float]]:
        counts: dict[str, int] = {}
        amounts: dict[str, float] = {}
        for _, r in _kind_frames(demo_dir, kind).iterrows():
            for name in {r[c] for c in columns if isinstance(r[c], str) and r[c].strip()}:
                counts[name] = counts.get(name, 0) + 1
                amounts[name] = amounts.get(name, 0.0) + (
                    _money(r["amount"]) if "amount" in r else 0.0)
        return counts, amounts

    licences, _ = per_name("licences", "licensor", "licensee")
    transfers, _ = per_name("transfers", "from_name", "to_name")
    pledges, pledge_amount = per_name("pledges", "pledgor")
    for group_by in ("institute", "enterprise"):
        rows = catalogue.ask(demo_store, "conversion_metrics", {"group_by": group_by},
                             limit=1000).rows
        assert rows
        for r in rows:
            name = r["group_name"]
            assert (r["licences"], r["transfers"], r["pledges"]) == (
                licences.get(name, 0), transfers.get(name, 0), pledges.get(name, 0)), name
            assert r["pledge_amount"] == pytest.approx(pledge_amount.get(name, 0.0)), name
        # every organisation with a licence, transfer or pledge is listed
        names = {r["group_name"] for r in rows}
        orgs = {r["name"] for r in demo_store.read(
            f"MATCH (o:{group_by.capitalize()}) RETURN o.name AS name")}
        assert {n for n in (*licences, *transfers, *pledges) if n in orgs} <= names


def test_round4_stored_pages_equal_the_live_queries(demo_store):
    """Conversion groups, open-licence pages and the draft's fitting organisations are stored
    by derive.refresh (POST_STEPS); each stored answer must equal the live query's."""
    from queries import conversion, licensing, portfolio

    for group_by in ("institute", "enterprise", "park"):
        live = demo_store.read(conversion.CONVERSION_METRICS[group_by], {
            "year_from": None, "year_to": None, "offset": 0, "limit": 1000})
        stored = [r for off in range(0, 1000, 9) for r in demo_store.read(
            conversion.CONVERSION_PAGE[group_by], {"first": off + 1, "last": off + 10})]
        assert live and stored == live, group_by
    # a year window on institutes and parks sums their stored counts per year (conv_by_year)
    years = sorted(r["year"] for r in catalogue.ask(
        demo_store, "conversion_metrics", {"group_by": "year"}, limit=1000).rows)
    for group_by in ("institute", "park"):
        for year_from, year_to in ((years[len(years) // 2], None), (None, years[3]),
                                   (years[2], years[-3]), (years[-1], years[-1]),
                                   (1990, 1991)):
            live = demo_store.read(conversion.CONVERSION_METRICS[group_by], {
                "year_from": year_from, "year_to": year_to, "offset": 0, "limit": 1000})
            window = conversion._window_rows(demo_store, group_by, year_from, year_to)
            assert window == live, (group_by, year_from, year_to)
            got = [r for off in range(0, 1000, 4) for r in catalogue.ask(
                demo_store, "conversion_metrics", {"group_by": group_by, "year_from": year_from,
                                                   "year_to": year_to}, limit=4,
                offset=off).rows]
            assert [r["group_key"] for r in got] == [r["group_key"] for r in live]
    for valid_only in (True, False):
        live = demo_store.read(licensing.OPEN_LICENCE_SEARCH, {
            "keyword": None, "field": None, "industry": None, "fee_model": None, "tier": None,
            "valid_only": valid_only, "offset": 0, "limit": 1000})
        stored = [r for off in range(0, 1000, 11) for r in demo_store.read(
            licensing.OPEN_LICENCE_PAGE[valid_only], {"first": off + 1, "last": off + 12})]
        assert live and stored == live, valid_only
    offer = live[0]
    for filters in ({"keyword": offer["title"][2:5]}, {"tier": offer["tier"]},
                    {"fee_model": offer["fee_model"]}, {"field": offer["field"][:2]},
                    {"industry": offer["industry"][:2], "tier": "B"}):
        for valid_only in (True, False):
            params = {"keyword": None, "field": None, "industry": None, "fee_model": None,
                      "tier": None, "valid_only": valid_only, "offset": 0, "limit": 1000,
                      **filters}
            live = demo_store.read(licensing.OPEN_LICENCE_SEARCH, params)
            assert demo_store.read(licensing.OPEN_LICENCE_FILTERED, params) == live, filters
            assert demo_store.read(licensing.OPEN_LICENCE_FILTERED, {
                **params, "offset": 3, "limit": 5}) == live[3:8], filters
    for label, key in (("TechCluster", "cluster_id"), ("Industry", "industry_id")):
        targets = [r["k"] for r in demo_store.read(
            f"MATCH (x:{label})<-[:FITS]-() RETURN DISTINCT x.{key} AS k ORDER BY k")]
        assert targets, label
        for some in ([targets[0]], targets[:3]):
            live = demo_store.read(portfolio.DRAFT_FITTING[label], {"targets": some})
            got = portfolio._fitting(demo_store, label, some)
            assert [(r["label"], r["key"], r["score"]) for r in live] == \
                [(r["label"], r["key"], r["score"]) for r in got]
            # (an organisation fitting two targets with one score may come from either)
            edges = {(r["key"], r["target"]): r["reasons"] for t in some
                     for r in portfolio._draft_rows(demo_store, demo_store.read(
                         portfolio.DRAFT_FITTING[label], {"targets": [t]}))}
            assert all(edges[(r["key"], r["target"])] == r["reasons"] for r in got)
    for park in [r["k"] for r in demo_store.read("MATCH (k:Park) RETURN k.park_id AS k")]:
        live = demo_store.read(portfolio.PARK_CLUSTER_FIT, {
            "parks": [park], "clusters": None, "offset": 0, "limit": 1000})
        stored = [r for off in range(0, 1000, 17)
                  for r in portfolio._stored_cluster_fit(demo_store, park, off, 17) or []]
        assert stored == live, park
    from queries import overseas

    for valid_only in (True, False):
        live = demo_store.read(overseas.OVERSEAS_PATENTS, {
            "valid_only": valid_only, "offset": 0, "limit": 1000})
        stored = [r for off in range(0, 1000, 13) for r in demo_store.read(
            overseas.OVERSEAS_PATENT_PAGE[valid_only], {"first": off + 1, "last": off + 14})]
        assert live and [(r["app_no"], r["family_size"]) for r in stored] == \
            [(r["app_no"], r["family_size"]) for r in live], valid_only
    # pledged-now read from the pledges equals the walk over each owner's patents
    rows = catalogue.ask(demo_store, "pledge_financing_candidates", {}, limit=1000).rows
    walked = {r["k"]: r["n"] for r in demo_store.read(
        "MATCH (e:Enterprise)<-[:OWNED_BY]-(pp:Patent)-[:PLEDGED_IN]->(pl:Pledge) "
        "WHERE pp.is_valid = true AND (pl.end_date IS NULL OR pl.end_date >= $today) "
        "RETURN e.org_key AS k, count(DISTINCT pp) AS n", {"today": date.today().isoformat()})}
    assert rows and any(walked.values())
    for r in rows:
        assert r["pledgeable_patents"] == r["valid_patents"] - walked.get(r["org_key"], 0)


@pytest.mark.parametrize("name", ["roadshow_candidates", "pledge_financing_candidates"])
def test_park_filter_keeps_the_ranking_of_the_park_members(demo_store, demo_dir, name) -> None:
    """park_id= lists the enterprises the registry file places in that park, in the order of
    the unfiltered ranking (the filtered query starts from the park's members)."""
    ents = _kind_frames(demo_dir, "enterprises")
    whole = catalogue.ask(demo_store, name, {}, limit=1000).rows
    assert len(whole) < 1000
    checked = 0
    for park in sorted(set(ents["park"].dropna().str.strip()) - {""}):
        members = set(ents.loc[ents["park"].str.strip() == park, "name"].str.strip())
        rows = catalogue.ask(demo_store, name, {"park_id": park}, limit=1000).rows
        expected = [r for r in whole if r["org_name"] in members]
        assert [r["org_key"] for r in rows] == [r["org_key"] for r in expected], park
        page = catalogue.ask(demo_store, name, {"park_id": park}, limit=3, offset=2).rows
        assert page == rows[2:5]
        checked += len(rows)
    assert checked > 0


# -- insurance at other thresholds, roadshow / pledge filters (walked, not scanned) -------------
def _insurance_expected(demo_store, demo_dir, min_score: float, min_citations: int
                        ) -> list[tuple[str, str, int]]:
    """The §21 ranking computed with pandas from the files: licences, products, active
    policies, citations and families per patent; validity, tier and value score (the scoring's
    own outputs) read from the graph. Rows (kind, app_no, signals) in the question's order."""
    patents = _kind_frames(demo_dir, "patents")
    patents["app"] = patents["app_no"].map(_app_no)
    patents["cited"] = pd.to_numeric(patents["cited_by_count"], errors="coerce").fillna(0)
    patents["counted"] = pd.to_numeric(patents["licence_count"], errors="coerce").fillna(0)
    patents["abroad"] = patents["family_members"].map(
        lambda v: any(m.strip() and not m.strip().upper().startswith("CN")
                      for m in re.split(r"[;；,，、\n]", str(v)) if str(v) != "nan"))
    per_app = patents.groupby("app").agg(cited=("cited", "max"), counted=("counted", "max"),
                                         abroad=("abroad", "any"))
    known = set(per_app.index)

    def per_patent(kind: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for v in _kind_frames(demo_dir, kind)["patents"]:
            for a in set(_app_list(v)) & known:
                counts[a] = counts.get(a, 0) + 1
        return counts

    licences, products = per_patent("licences"), per_patent("products")
    policies = _kind_frames(demo_dir, "insurance")
    today = date.today().isoformat()
    insured: dict[str, set[str]] = {}
    for _, r in policies.iterrows():
        end = _date(r["end_date"])
        if end is None or end >= today:
            for a in set(_app_list(r["patents"])) & known:
                insured.setdefault(a, set()).add(str(r["kind"]) if isinstance(r["kind"], str)
                                                 else "")
    graph = {r["a"]: r for r in demo_store.read(
        "MATCH (p:Patent) RETURN p.app_no AS a, p.is_valid AS valid, p.tier AS tier, "
        "p.value_score AS score")}
    rows = []
    for a, f in per_app.iterrows():
        g = graph[a]
        if g["valid"] is not True:
            continue
        score = float(g["score"] or 0.0)
        licensed = licences.get(a, 0) > 0 or f["counted"] > 0
        used = products.get(a, 0) > 0
        high = g["tier"] == "A" or score >= min_score
        cited = f["cited"] >= min_citations
        signals = sum((bool(licensed), used, high, bool(cited), bool(f["abroad"])))
        kinds = (("专利执行险", "执行"), ("专利被侵权损失险", "侵权"))
        for rank, (name, keyword) in enumerate(kinds):
            own = (licensed, used, high) if rank == 0 else (cited, used, f["abroad"])
            if any(own) and not any(keyword in k for k in insured.get(a, ())):
                rows.append((rank, -signals, -score, a, name, sum(map(bool, own))))
    return [(name, a, own) for _, _, _, a, name, own in sorted(rows)]


@pytest.mark.parametrize(("min_score", "min_citations"), [(50.0, 5), (70.0, 1), (40.0, 3)])
def test_insurance_at_other_thresholds_is_the_pandas_ranking(demo_store, demo_dir, min_score,
                                                            min_citations):
    expected = _insurance_expected(demo_store, demo_dir, min_score, min_citations)
    params = {"min_score": min_score, "min_citations": min_citations}
    rows = catalogue.ask(demo_store, "insurance_recommendations", params, limit=1000).rows
    assert len(expected) > 50 and rows
    assert [(r["insurance"], r["app_no"]) for r in rows] == [(k, a) for k, a, _ in
                                                             expected[:1000]]
    # the reasons: "not insured yet", then one per signal of the kind the patent has
    assert [len(r["reasons"]) - 1 for r in rows] == [n for _, _, n in expected[:1000]]
    for kind in ("专利执行险", "专利被侵权损失险"):
        one = catalogue.ask(demo_store, "insurance_recommendations",
                            {**params, "insurance": kind}, limit=40, offset=30).rows
        assert [r["app_no"] for r in one] == [a for k, a, _ in expected if k == kind][30:70]


@pytest.mark.parametrize(("min_score", "min_citations", "cap"),
                         [(50.0, 5, None), (70.0, 1, None), (0.0, 1, None), (100.0, 1000, None),
                          (30.0, 2, None), (50.0, 5, 3), (45.0, 1, 3)])
def test_insurance_at_other_thresholds_equals_the_live_query(demo_store, monkeypatch,
                                                             min_score, min_citations, cap):
    """The pages read from the stored signals equal the query scoring every patent live
    (also with value-score windows capped at 3 patents: every window is read narrower)."""
    from queries import finance
    from queries._ops_util import today_iso

    if cap is not None:
        monkeypatch.setattr(finance, "WINDOW_CAP", cap)

    kinds = [{"name": n, "keyword": kw, "rank": r}
             for r, (n, kw) in enumerate(finance.INSURANCE_KINDS.items())]
    for some in (kinds, kinds[:1], kinds[1:]):
        for limit, offset in ((1000, 0), (7, 0), (9, 40), (25, 1200)):
            live = demo_store.read(finance.INSURANCE_RECOMMENDATIONS, {
                "kinds": some, "min_score": min_score, "min_citations": min_citations,
                "today": today_iso(), "limit": limit, "offset": offset})
            got = finance._insurance_thresholds(demo_store, some, limit, offset, min_score,
                                                min_citations)
            assert [{k: v for k, v in r.items() if k != "pos"} for r in got] == \
                [{k: v for k, v in r.items() if k != "pos"} for r in live], (some, offset)


@pytest.mark.parametrize("name", ["roadshow_candidates", "pledge_financing_candidates"])
def test_filtered_pages_walk_the_stored_order(demo_store, demo_dir, name) -> None:
    """tag= / min_valid_patents= pages (windows of the stored order) equal the whole filtered
    list of the registry's enterprises: the tag from the enterprise file, the order of the
    unfiltered ranking, the minimum on the valid patents the rows report."""
    ents = _kind_frames(demo_dir, "enterprises")
    tagged = set(ents.loc[ents["tags"].fillna("").str.contains("专精特新"), "name"].str.strip())
    whole = catalogue.ask(demo_store, name, {"min_valid_patents": 0}, limit=1000).rows
    assert 0 < len(whole) < 1000
    for params in ({"tag": "专精特新"}, {"min_valid_patents": 3},
                   {"tag": "高新技术企业", "min_valid_patents": 2},
                   {"tag": "专精特新", "min_valid_patents": 0}):
        least = params.get("min_valid_patents", 1)
        expected = [r for r in whole if r["valid_patents"] >= least
                    and ("tag" not in params or params["tag"] in r["tags"])]
        if params.get("tag") == "专精特新":
            assert {r["org_name"] for r in expected} == {
                n for n in tagged if n in {r["org_name"] for r in whole}
                and next(r for r in whole if r["org_name"] == n)["valid_patents"] >= least}
        rows = catalogue.ask(demo_store, name, params, limit=1000).rows
        assert rows and rows == expected, params
        for limit, offset in ((5, 0), (3, 7), (50, 20)):
            assert catalogue.ask(demo_store, name, params, limit=limit,
                                 offset=offset).rows == expected[offset:offset + limit]


@pytest.mark.parametrize("name", ["roadshow_candidates", "pledge_financing_candidates"])
def test_park_pages_walked_or_read_from_the_members_agree(demo_store, name, monkeypatch
                                                          ) -> None:
    """A park page is the same whether the stored order is walked (big parks) or the park's
    members are read (small ones): both paths forced for every park."""
    import queries._ops_util

    parks = [r["k"] for r in demo_store.read(
        "MATCH (k:Park)<-[:LOCATED_IN]-(:Enterprise) RETURN DISTINCT k.park_id AS k")]
    assert parks
    for park in parks:
        pages = {}
        for walk in (True, False):
            monkeypatch.setattr(queries._ops_util, "walk_park", lambda *_, w=walk: w)
            pages[walk] = [catalogue.ask(demo_store, name, {"park_id": park}, limit=4,
                                         offset=off).rows for off in (0, 4, 9)]
        assert pages[True] == pages[False] and pages[True][0], park


def test_insurance_leaves_out_patents_insured_now(falkor_store, tmp_path):
    """With policies in force today (the demo's have ended), both the default page and other
    thresholds leave out each patent's insured kind, as the pandas ranking does; the stored
    answers equal the live query scoring every patent."""
    from loaders.generate import generate_demo
    from loaders.pipeline import load_paths
    from queries import finance
    from queries._ops_util import today_iso
    from queries.derive import refresh

    files = tmp_path / "demo"
    generate_demo(files, patents=400, seed=11)
    policies = next(p for p in files.iterdir() if "保险" in p.name)
    frame = _read_any(policies)
    spec = FORMATS["kinds"]["insurance"]["fields"]["end_date"]
    end = next(c for c in frame.columns if c.strip() in [spec["header"], *spec.get("aliases", [])])
    frame.iloc[::2, frame.columns.get_loc(end)] = "2099-12-31"  # in force from now on
    if policies.suffix == ".xlsx":
        frame.to_excel(policies, index=False)
    else:
        frame.to_csv(policies, index=False, encoding="utf-8-sig")
    assert load_paths(falkor_store, [files]).rejected_rows == 0
    refresh(falkor_store)
    kinds = [{"name": n, "keyword": kw, "rank": r}
             for r, (n, kw) in enumerate(finance.INSURANCE_KINDS.items())]
    insured_now = falkor_store.read(finance.INSURED_NOW_KINDS, {"today": today_iso()})
    assert insured_now
    for min_score, min_citations in ((70.0, 5), (50.0, 5), (60.0, 1)):
        expected = _insurance_expected(falkor_store, files, min_score, min_citations)
        assert {a for _, a, _ in expected} & {r["app_no"] for r in insured_now}
        params = {"min_score": min_score, "min_citations": min_citations}
        rows = catalogue.ask(falkor_store, "insurance_recommendations", params, limit=1000).rows
        assert [(r["insurance"], r["app_no"]) for r in rows] == [(k, a) for k, a, _ in expected]
        for limit, offset in ((6, 0), (8, 30)):
            live = falkor_store.read(finance.INSURANCE_RECOMMENDATIONS, {
                "kinds": kinds, "today": today_iso(), "limit": limit, "offset": offset,
                **params})
            page = catalogue.ask(falkor_store, "insurance_recommendations", params,
                                 limit=limit, offset=offset).rows
            assert [r["app_no"] for r in page] == [r["app_no"] for r in live]


def test_tech_contract_statistics_per_organisation_with_filters(demo_store, demo_dir):
    """Institute / enterprise / park groupings with a year window and a contract kind: each
    listed group's counts and amounts equal the contract register's, ranked by amount."""
    contracts = _contract_register(demo_dir)
    kinds = contracts["kind"].value_counts()
    years = sorted(contracts["year"])
    lo, hi = years[len(years) // 3], years[2 * len(years) // 3]
    for params in ({}, {"year_from": lo, "year_to": hi}, {"kind": kinds.index[0]},
                   {"year_from": hi, "kind": kinds.index[1]}):
        sel = contracts
        if "year_from" in params:
            sel = sel[sel["year"] >= params["year_from"]]
        if "year_to" in params:
            sel = sel[sel["year"] <= params["year_to"]]
        if "kind" in params:
            sel = sel[sel["kind"] == params["kind"]]
        per_name: dict[str, list[float]] = {}
        for _, c in sel.iterrows():
            for name in {c["seller"].strip(), c["buyer"].strip()}:
                slot = per_name.setdefault(name, [0, 0.0, 0.0, 0.0, 0.0])
                slot[0] += 1
                slot[1] += c["amount"]
                slot[2] += c["amount"] if c["has_patent"] else 0.0
                slot[3] += c["amount"] if c["has_transfer"] else 0.0
                slot[4] += c["amount"] if c["has_licence"] else 0.0
        for group_by in ("institute", "enterprise"):
            rows = catalogue.ask(demo_store, "tech_contract_statistics",
                                 {"group_by": group_by, **params}, limit=1000).rows
            assert rows, (group_by, params)
            for r in rows:
                exp = per_name[r["group_name"]]
                assert r["contracts"] == exp[0], (group_by, params, r["group_name"])
                assert [r["amount"], r["patent_amount"], r["transfer_amount"],
                        r["licence_amount"]] == \
                    pytest.approx(exp[1:]), (group_by, params, r["group_name"])
            keys = [(-r["amount"], -r["contracts"], r["group_key"]) for r in rows]
            assert keys == sorted(keys)
            orgs = {r["name"] for r in demo_store.read(
                f"MATCH (o:{group_by.capitalize()}) RETURN o.name AS name")}
            assert {r["group_name"] for r in rows} == {n for n in per_name if n in orgs}
            # pages of any size are slices of the whole ranking
            assert catalogue.ask(demo_store, "tech_contract_statistics",
                                 {"group_by": group_by, **params}, limit=4,
                                 offset=3).rows == rows[3:7]
        parks = catalogue.ask(demo_store, "tech_contract_statistics",
                              {"group_by": "park", **params}, limit=1000).rows
        # a park counts each contract of its organisations once
        assert parks and all(0 < r["contracts"] <= len(sel) for r in parks)


def test_conversion_metrics_per_organisation_in_a_year_window(demo_store, demo_dir):
    """Institute and enterprise groupings in a year window count the registers' items of
    those years (licences, transfers, pledges, contracts) per organisation name."""
    def per_name(kind: str, day: str, lo: int, hi: int, *columns: str
                 ) -> tuple[dict[str, int], dict[str, float]]:
        counts: dict[str, int] = {}
        amounts: dict[str, float] = {}
        for _, r in _kind_frames(demo_dir, kind).iterrows():
            if not lo <= (_year(r[day]) or 0) <= hi:
                continue
            for name in {r[c].strip() for c in columns if isinstance(r[c], str) and r[c].strip()}:
                counts[name] = counts.get(name, 0) + 1
                amounts[name] = amounts.get(name, 0.0) + (
                    _money(r["amount"]) if "amount" in r else 0.0)
        return counts, amounts

    years = sorted(_year(d) for d in _kind_frames(demo_dir, "contracts")["signed_date"])
    lo, hi = years[len(years) // 3], years[2 * len(years) // 3]
    licences, _ = per_name("licences", "start_date", lo, hi, "licensor", "licensee")
    transfers, _ = per_name("transfers", "date", lo, hi, "from_name", "to_name")
    pledges, pledge_amount = per_name("pledges", "start_date", lo, hi, "pledgor")
    contracts, contract_amount = per_name("contracts", "signed_date", lo, hi, "seller", "buyer")
    for group_by in ("institute", "enterprise"):
        rows = catalogue.ask(demo_store, "conversion_metrics",
                             {"group_by": group_by, "year_from": lo, "year_to": hi},
                             limit=1000).rows
        assert rows
        for r in rows:
            name = r["group_name"]
            assert (r["licences"], r["transfers"], r["pledges"], r["contracts"]) == (
                licences.get(name, 0), transfers.get(name, 0), pledges.get(name, 0),
                contracts.get(name, 0)), name
            assert r["pledge_amount"] == pytest.approx(pledge_amount.get(name, 0.0)), name
            assert r["contract_amount"] == pytest.approx(contract_amount.get(name, 0.0)), name
        keys = [(-r["total"], -r["contract_amount"], str(r["group_key"])) for r in rows]
        assert keys == sorted(keys)
        names = {r["group_name"] for r in rows}
        orgs = {r["name"] for r in demo_store.read(
            f"MATCH (o:{group_by.capitalize()}) RETURN o.name AS name")}
        assert {n for n in (*licences, *transfers, *pledges, *contracts) if n in orgs} <= names
    # a window without any item gives nothing
    assert catalogue.ask(demo_store, "conversion_metrics",
                         {"group_by": "institute", "year_from": 1990, "year_to": 1991}).rows == []
