"""The demo generator: deterministic, in the contract's formats, referentially whole, fictional.

Every check reads the written files back with pandas and recomputes what it asserts
(check digits, credit codes, references, counters) independently of the generator.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from loaders.generate import README_NAME, generate_demo, write_templates

FORMATS = yaml.safe_load((Path(__file__).resolve().parent.parent / "loaders" / "formats.yaml")
                         .read_text(encoding="utf-8"))["kinds"]

# What a person reading the file name would expect the file to hold.
NAME_TO_KIND = {
    "专利导出": "patents", "企业名录": "enterprises", "科研机构": "institutes",
    "园区名录": "parks", "主导产业": "industries", "获奖": "awards",
    "金融机构": "financial_institutions", "金融产品": "financing_products",
    "质押": "pledges", "许可备案": "licences", "开放许可": "open_licences",
    "转让": "transfers", "保险": "insurance", "商标": "trademarks", "著作权": "copyrights",
    "密集型产品": "products", "技术合同": "contracts", "路演": "events", "服务机构": "agencies",
}
PLAN_PARKS = ("棉三创意街区", "帅达创新产业园", "帅超创新产业园", "帅越创新产业园",
              "先之创新产业园",
              "信华创新产业园", "鑫帅领创新产业园", "一机床创新产业园", "医疗器械产业园",
              "金贸产业集聚区", "鑫创产业集聚区")
USCC = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def kind_of(path: Path) -> str:
    hits = [k for word, k in NAME_TO_KIND.items() if word in path.stem]
    assert len(hits) == 1, f"{path.name}: file name names {hits}"
    return hits[0]


def token(h: str) -> str:
    import unicodedata
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", str(h))).lower()


def spellings(kind: str) -> dict[str, str]:
    """Folded header spelling -> field name for one kind."""
    out: dict[str, str] = {}
    for name, f in FORMATS[kind]["fields"].items():
        for h in [f["header"], *(f.get("aliases") or [])]:
            out.setdefault(token(h), name)
    return out


def read_table(path: Path) -> pd.DataFrame:
    if path.suffix == ".xlsx":
        return pd.read_excel(path, dtype=object)
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(path, dtype=str, encoding=enc, keep_default_na=False,
                               na_values=[""])
        except UnicodeDecodeError:
            continue
    raise AssertionError(f"{path.name}: neither UTF-8 nor GB18030")


def canonical(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Rename a file's headers to field names (what a loader does first)."""
    sp = spellings(kind)
    return df.rename(columns={c: sp[token(c)] for c in df.columns})


def split_list(cell: object) -> list[str]:
    if cell is None or (isinstance(cell, float) and pd.isna(cell)):
        return []
    return [x.strip() for x in re.split(r"[;；,，、\n]", str(cell)) if x.strip()]


def norm_app_no(raw: str) -> str:
    """Independent application-number check: returns CN<digits>.<check> or raises."""
    s = raw.strip().upper().removeprefix("CN").replace(".", "")
    body, check = s[:-1], s[-1]
    assert body.isdigit() and len(body) in (8, 12), raw
    weights = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5] if len(body) == 12 else list(range(2, 10))
    r = sum(int(d) * w for d, w in zip(body, weights, strict=False)) % 11
    assert check == ("X" if r == 10 else str(r)), f"bad check digit in {raw}"
    return f"CN{body}.{check}"


def credit_code_ok(code: str) -> bool:
    if len(code) != 18 or any(c not in USCC for c in code):
        return False
    w = [pow(3, i, 31) for i in range(17)]
    total = sum(USCC.index(c) * wi for c, wi in zip(code[:17], w, strict=False))
    return USCC[(31 - total % 31) % 31] == code[17]


DATE_RE = re.compile(r"^(\d{4})(?:[-/.](\d{1,2})[-/.](\d{1,2})|(\d{2})(\d{2})"
                     r"|年(\d{1,2})月(\d{1,2})日)$")


def parse_date(v: object) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, int | float) or (isinstance(v, str) and re.fullmatch(r"\d{5}", v)):
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(float(v)))
    m = DATE_RE.match(str(v).strip())
    assert m, f"unreadable date {v!r}"
    y = int(m.group(1))
    mo, d = next((int(a), int(b)) for a, b in ((m.group(2), m.group(3)), (m.group(4), m.group(5)),
                                               (m.group(6), m.group(7))) if a)
    return dt.date(y, mo, d)


def parse_money(v: object) -> float:
    s = str(v).strip()
    if s.endswith("万元"):
        return float(s[:-2]) * 10_000
    return float(s.removesuffix("元"))


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    out = tmp_path_factory.mktemp("gen")
    files = generate_demo(out, patents=900, seed=11)
    tables = {f: read_table(f) for f in files if f.name != README_NAME}
    by_kind: dict[str, list[pd.DataFrame]] = {}
    for f, df in tables.items():
        by_kind.setdefault(kind_of(f), []).append(canonical(df, kind_of(f)))
    merged = {k: pd.concat(v, ignore_index=True) for k, v in by_kind.items()}
    return {"dir": out, "files": files, "tables": tables, "kinds": merged}


# ----------------------------------------------------------------------------- tests
def test_same_seed_same_bytes_and_other_seed_differs(tmp_path: Path) -> None:
    a = generate_demo(tmp_path / "a", patents=300, seed=5)
    b = generate_demo(tmp_path / "b", patents=300, seed=5)
    c = generate_demo(tmp_path / "c", patents=300, seed=6)
    assert [f.name for f in a] == [f.name for f in b]
    for fa, fb in zip(a, b, strict=False):
        assert fa.read_bytes() == fb.read_bytes(), f"{fa.name} differs between two runs"
    patents_a = [f for f in a if "专利导出" in f.name]
    patents_c = [f for f in c if "专利导出" in f.name]
    assert any(x.read_bytes() != y.read_bytes() for x, y in zip(patents_a, patents_c, strict=False))


def test_every_kind_written_with_mixed_formats(demo: dict) -> None:
    kinds = {kind_of(f) for f in demo["tables"]}
    assert kinds == set(FORMATS), f"missing kinds: {set(FORMATS) - kinds}"
    suffixes = {f.suffix for f in demo["tables"]}
    assert suffixes == {".csv", ".xlsx"}
    patent_files = [f for f in demo["tables"] if kind_of(f) == "patents"]
    assert len(patent_files) >= 3
    # The exports imitate different tools: their header rows differ.
    headers = {tuple(demo["tables"][f].columns) for f in patent_files}
    assert len(headers) == len(patent_files)
    # at least one export is GB18030 (CNIPA-style), at least one UTF-8 with BOM
    raw = [f.read_bytes() for f in patent_files if f.suffix == ".csv"]
    assert any(r.startswith(b"\xef\xbb\xbf") for r in raw)
    assert any(not r.startswith(b"\xef\xbb\xbf") and "申请号".encode("gb18030") in r[:200]
               for r in raw)


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_headers_belong_to_the_named_kind_and_detect_it(demo: dict, kind: str) -> None:
    files = [f for f in demo["tables"] if kind_of(f) == kind]
    assert files
    for f in files:
        cols = list(demo["tables"][f].columns)
        sp = spellings(kind)
        unknown = [c for c in cols if token(c) not in sp]
        assert not unknown, f"{f.name}: headers not in formats.yaml[{kind}]: {unknown}"
        fields = [sp[token(c)] for c in cols]
        assert len(fields) == len(set(fields)), f"{f.name}: two headers for one field"
        required = {n for n, s in FORMATS[kind]["fields"].items() if s.get("required")}
        assert required <= set(fields), f"{f.name}: lacks {required - set(fields)}"
        df = canonical(demo["tables"][f], kind)
        for r in required:
            assert df[r].notna().all(), f"{f.name}: empty required {r}"
        # The documented detection rule picks this kind without needing the file name.
        scores = {}
        for other in FORMATS:
            osp = spellings(other)
            ofields = {osp[token(c)] for c in cols if token(c) in osp}
            oreq = {n for n, s in FORMATS[other]["fields"].items() if s.get("required")}
            if oreq <= ofields:
                scores[other] = len(ofields)
        best = max(scores.values())
        assert [k for k, s in scores.items() if s == best] == [kind], f"{f.name}: {scores}"


def test_keys_unique_and_check_digits_valid(demo: dict) -> None:
    pats = demo["kinds"]["patents"]
    app = pats["app_no"].map(norm_app_no)
    assert app.is_unique
    # Some cells lack "CN", some the dot: the dirt a loader must normalise is present.
    raw = pats["app_no"].astype(str)
    assert (~raw.str.startswith("CN")).any() and (~raw.str.contains(r"\.")).any()
    for kind, spec in FORMATS.items():
        key = next((n for n, s in spec["fields"].items() if s.get("key")), None)
        if key and kind != "patents":
            assert demo["kinds"][kind][key].is_unique, f"{kind}: duplicate {key}"


def test_registries_reference_only_exported_patents_and_counters_match(demo: dict) -> None:
    known = set(demo["kinds"]["patents"]["app_no"].map(norm_app_no))
    referenced = 0
    for kind, spec in FORMATS.items():
        for field, s in spec["fields"].items():
            if s["type"] not in ("app_no", "app_no_list") or kind not in demo["kinds"]:
                continue
            for cell in demo["kinds"][kind][field]:
                for a in split_list(cell):
                    assert norm_app_no(a) in known, f"{kind}.{field}: {a} not exported"
                    referenced += 1
    assert referenced > 100
    pats = demo["kinds"]["patents"].assign(key=lambda d: d["app_no"].map(norm_app_no))
    k = demo["kinds"]
    counts = {
        "transfer_count": k["transfers"]["patent"].map(norm_app_no).value_counts(),
        "licence_count": pd.Series([norm_app_no(a) for c in k["licences"]["patents"]
                                    for a in split_list(c)]).value_counts(),
        "pledge_count": pd.Series([norm_app_no(a) for c in k["pledges"]["patents"]
                                   for a in split_list(c)]).value_counts(),
    }
    for col, expected in counts.items():
        got = pats.set_index("key")[col].astype(int)
        assert (got.reindex(expected.index) == expected).all(), col
        assert got.sum() == expected.sum(), col
    # cited patents are earlier filings of the same data set
    days = pats["app_date"].map(parse_date)
    dates = pd.Series(days.to_numpy(), index=pats["key"])
    n_cites = 0
    for key, cell, day in zip(pats["key"], pats["cites"], days, strict=True):
        for a in split_list(cell):
            assert dates[norm_app_no(a)] < day, f"{key} cites a later filing"
            n_cites += 1
    assert n_cites > 100


def test_organisations_referenced_exist(demo: dict) -> None:
    k = demo["kinds"]
    orgs = set(k["enterprises"]["name"]) | set(k["institutes"]["name"])
    applicants = {a for c in k["patents"]["applicants"] for a in split_list(c)}
    fis = set(k["financial_institutions"]["name"])
    parks = set(k["parks"]["name"])
    agencies = set(k["agencies"]["name"])
    known = orgs | applicants
    refs = {
        ("transfers", "from_name"): known, ("transfers", "to_name"): known,
        ("licences", "licensor"): known, ("licences", "licensee"): known,
        ("open_licences", "licensor"): known, ("pledges", "pledgor"): known,
        ("pledges", "pledgee"): fis, ("insurance", "insured"): known,
        ("insurance", "insurer"): fis, ("financing_products", "institution"): fis,
        ("products", "maker"): known, ("contracts", "seller"): known,
        ("contracts", "buyer"): known, ("trademarks", "owner"): known,
        ("copyrights", "owner"): known, ("events", "organiser"): parks | agencies,
        ("enterprises", "park"): parks,
    }
    lists = {("awards", "winners"): known, ("events", "enterprises"): known,
             ("events", "institutes"): set(k["institutes"]["name"]),
             ("events", "investors"): fis, ("financing_products", "users"): known}
    for (kind, field), allowed in refs.items():
        vals = set(k[kind][field].dropna())
        assert vals and vals <= allowed, f"{kind}.{field}: {sorted(vals - allowed)[:3]}"
    for (kind, field), allowed in lists.items():
        vals = {x for c in k[kind][field] for x in split_list(c)}
        assert vals and vals <= allowed, f"{kind}.{field}: {sorted(vals - allowed)[:3]}"
    agency_cells = set(k["patents"]["agency"].dropna())
    assert agency_cells and agency_cells <= agencies
    # Dirty spellings of registered organisations appear among the applicants.
    assert any("(天津)" in a or "（天津）" in a for a in applicants)
    assert any(a.endswith("分公司") for a in applicants)
    assert any(re.search(r"大学.+学院$", a) for a in applicants)
    # 产学研: institutes co-apply with enterprises
    inst = set(k["institutes"]["name"])
    co = [c for c in k["patents"]["applicants"] if len(split_list(c)) > 1
          and any(a in inst for a in split_list(c))]
    assert len(co) >= 10


def test_codes_dates_and_money_are_valid(demo: dict) -> None:
    k = demo["kinds"]
    for kind in ("enterprises", "institutes", "financial_institutions", "agencies"):
        codes = k[kind]["credit_code"].dropna().astype(str)
        assert len(codes) and codes.map(credit_code_ok).all(), kind
    assert k["enterprises"]["credit_code"].isna().any()  # some firms come without a code
    styles = set()
    for kind, spec in FORMATS.items():
        for field, s in spec["fields"].items():
            if kind not in k or field not in k[kind]:
                continue
            col = k[kind][field].dropna()
            if s["type"] == "date":
                days = col.map(parse_date)
                assert days.between(dt.date(1995, 1, 1), dt.date(2035, 12, 31)).all()
                styles |= {type(v).__name__ if not isinstance(v, str) else
                           ("cn" if "年" in v else "compact" if v.isdigit() else v[4])
                           for v in col}
            elif s["type"] == "money":
                assert (col.map(parse_money) >= 0).all(), f"{kind}.{field}"
            elif s["type"] == "ipc_list":
                for c in col:
                    for code in split_list(c):
                        assert re.fullmatch(r"[A-H]\d\d[A-Z](\s?\d{1,4}/\d{2,6}|\d{10})", code)
    # dates come in every documented spelling, including real Excel date cells
    assert {"datetime", "cn", "compact", "-", "/", "."} <= styles, styles
    pats = k["patents"]
    ptype = pats["patent_type"]
    # a design patent never has more than one claim; pending patents have no grant date
    assert (pats.loc[ptype == "外观设计", "claims_count"].astype(int) <= 1).all()
    pending = pats["legal_status"].isin(["审中", "实质审查"])
    assert pats.loc[pending, "grant_date"].isna().all()


def test_district_content(demo: dict) -> None:
    k = demo["kinds"]
    assert set(PLAN_PARKS) <= set(k["parks"]["name"])
    divisions = pd.read_csv(Path(__file__).resolve().parent.parent / "loaders" /
                            "reference_data" / "tianjin_divisions.csv", dtype=str)
    hedong = set(divisions.loc[divisions["parent_code"] == "120102", "name"])
    assert set(k["parks"]["street"]) <= hedong
    assert set(k["enterprises"]["street"].dropna()) <= hedong
    assert len(k["enterprises"]) >= 150
    tags = {t for c in k["enterprises"]["tags"] for t in split_list(c)}
    assert {"专精特新", "高新技术企业", "科技型中小企业", "知识产权优势示范企业"} <= tags
    inst = k["institutes"]
    resident = inst[inst["resident"] == "是"]
    assert 8 <= len(resident) <= 14
    assert all(any(w in f for f in resident["field"]) for w in ("地质", "电力", "核"))
    assert {"国家", "天津市", "河东区"} <= set(k["awards"]["level"])
    assert (k["awards"]["award_name"] == "中国专利奖").any()
    assert {"普通许可", "独占许可", "排他许可", "开放许可"} <= set(k["licences"]["kind"])
    assert {"一次性总付", "入门费+提成", "先试用后付费"} <= set(k["licences"]["fee_model"])
    assert {"专利执行险", "专利被侵权损失险"} <= set(k["insurance"]["kind"])
    bundles = k["pledges"][k["pledges"]["trademarks"].notna() | k["pledges"]["copyrights"].notna()]
    assert len(bundles) >= 1
    offers = k["open_licences"]
    assert offers["field"].notna().all() and offers["industry"].notna().all()
    ipc = pd.read_csv(Path(__file__).resolve().parent.parent / "loaders" / "reference_data" /
                      "ipc_zh_to_main_group.csv", dtype=str)
    real = set(ipc["code"])
    mains = k["patents"]["ipc_main"].map(
        lambda c: c.replace(" ", "") if "/" in c else f"{c[:4]}{int(c[4:8])}/{c[8:10]}")
    assert mains.isin(real).all()
    # a few heavily cited patents, and prolific inventors
    cited = k["patents"]["cited_by_count"].astype(int)
    assert cited.max() >= 5 * max(1.0, cited.mean())
    inventors = pd.Series([x for c in k["patents"]["inventors"] for x in split_list(c)])
    assert inventors.value_counts().iloc[0] >= 10
    # patents with families abroad
    assert k["patents"]["family_members"].dropna().str.contains("US|EP|JP|WO").any()


def test_demo_is_labelled_fictional(demo: dict) -> None:
    text = (demo["dir"] / README_NAME).read_text(encoding="utf-8")
    assert "虚构" in text and "示例" in text and "演示" in text
    for f in demo["tables"]:
        assert f.name in text


def test_templates_for_every_kind(tmp_path: Path) -> None:
    files = write_templates(tmp_path)
    assert len(files) == len(FORMATS)
    seen = set()
    for f in files:
        sheets = pd.read_excel(f, sheet_name=None, dtype=str)
        assert list(sheets) == ["数据", "说明"]
        notes = sheets["说明"]
        kind = max((k for k in FORMATS if f.stem.endswith("_" + k)), key=len)
        seen.add(kind)
        fields = FORMATS[kind]["fields"]
        assert list(sheets["数据"].columns) == [s["header"] for s in fields.values()]
        assert list(notes["表头"]) == [s["header"] for s in fields.values()]
        assert set(notes["必填"]) <= {"是", "否"}
    assert seen == set(FORMATS)


def test_cli_generate_reports_files(tmp_path: Path) -> None:
    from patentkg.cli import cli as main

    result = CliRunner().invoke(main, ["generate", "--out", str(tmp_path / "d"),
                                       "--patents", "200", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "专利导出_CNIPA.csv" in result.output
    assert (tmp_path / "d" / README_NAME).exists()
    result = CliRunner().invoke(main, ["generate", "--out", str(tmp_path / "t"), "--templates"])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "t").glob("*.xlsx"))) == len(FORMATS)


@pytest.mark.slow
def test_large_demo_is_split_utf8_csv(tmp_path: Path) -> None:
    from loaders.generate import SMALL_LIMIT

    files = generate_demo(tmp_path, patents=SMALL_LIMIT + 1, seed=2)
    data = [f for f in files if f.name != README_NAME]
    assert {f.suffix for f in data} == {".csv"}
    exports = [f for f in data if kind_of(f) == "patents"]
    assert len(exports) >= 3
    rows = 0
    for f in data:
        df = pd.read_csv(f, dtype=str, encoding="utf-8")  # plain UTF-8, no BOM needed
        sp = spellings(kind_of(f))
        assert all(token(c) in sp for c in df.columns), f.name
        if f in exports:
            rows += len(df)
            assert df.iloc[:, 0].map(norm_app_no).is_unique
    assert rows == SMALL_LIMIT + 1
