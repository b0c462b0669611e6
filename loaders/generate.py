"""Deterministic, clearly fictional demo data for Hedong District in real export formats.

`generate_demo` writes patent exports imitating several tools (different header spellings,
encodings, date and number styles) and one registry file per kind of `formats.yaml`. The
cells are "dirty" the way real files are, but every cell is valid, so the demo loads with no
rejected rows. Random draws come from one seeded numpy Generator in a fixed order and the
xlsx files carry fixed document properties, so the same seed and size give the same bytes.

Design for scale: every patent attribute is first drawn as numeric numpy arrays (cheap even
for a million rows); strings are only materialised per output file, chunk by chunk.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
import yaml

from loaders import demo_vocab as V

REFERENCE_DIR = Path(__file__).with_name("reference_data")
FORMATS_PATH = Path(__file__).with_name("formats.yaml")

# The data set's "today": fixed so that statuses and ages never depend on the clock.
REF_DATE = dt.date(2024, 12, 31)
_EPOCH = dt.date(1970, 1, 1)
REF_DAY = (REF_DATE - _EPOCH).days
# Above this many patents every file is UTF-8 CSV and the patent export is split in chunks.
SMALL_LIMIT = 20_000
CHUNK_ROWS = 250_000
_XLSX_PROPS = {"title": "示例数据（虚构）", "author": "patentkg generate",
               "created": dt.datetime(2024, 1, 1)}

README_NAME = "README_示例数据说明.txt"

TYPE_ZH = ("发明专利", "实用新型", "外观设计")  # index = patent type 0/1/2
# Canonical legal-status codes; each export tool words them its own way.
ST_VALID, ST_PENDING, ST_REJECTED, ST_WITHDRAWN, ST_LAPSED, ST_EXPIRED = range(6)
STATUS_WORDS = {
    "cnipa": ("有权", "审中", "驳回", "撤回", "未缴年费终止", "期限届满"),
    "incopat": ("授权", "实质审查", "驳回", "撤回", "未缴年费终止", "期限届满"),
    "patsnap": ("有权", "审中", "失效", "失效", "失效", "失效"),
}


# ----------------------------------------------------------------------------- check codes
def app_no_check_digit(digits: str) -> str:
    """CNIPA check digit of an 8- or 12-digit application number ('X' stands for 10)."""
    weights = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5) if len(digits) == 12 else range(2, 10)
    total = sum(int(d) * w for d, w in zip(digits, weights, strict=False))
    r = total % 11
    return "X" if r == 10 else str(r)


def _check_digits_vec(numbers: np.ndarray, width: int) -> np.ndarray:
    weights = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5) if width == 12 else tuple(range(2, 10))
    total = np.zeros(len(numbers), dtype=np.int64)
    rest = numbers.astype(np.int64).copy()
    for pos in range(width - 1, -1, -1):  # last digit first
        total += (rest % 10) * weights[pos]
        rest //= 10
    r = total % 11
    return np.where(r == 10, "X", r.astype(str)).astype(object)


USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check(code17: str) -> str:
    """GB 32100-2015 check character of the first 17 characters of a credit code."""
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(code17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def _org_code(eight_digits: str) -> str:
    # GB 11714 organisation code check digit, so the embedded org code is valid too.
    total = sum(int(c) * w for c, w in zip(eight_digits, (3, 7, 9, 10, 5, 8, 4, 2),
                                           strict=True))
    c = 11 - total % 11
    return eight_digits + ("X" if c == 10 else "0" if c == 11 else str(c))


def _credit_code(prefix: str, division: str, serial: int) -> str:
    body = prefix + division + _org_code(f"{serial:08d}")
    return body + credit_code_check(body)


# ----------------------------------------------------------------------------- reference
@dataclass(frozen=True)
class _Reference:
    main_groups: dict[str, tuple[str, ...]]  # subclass -> main groups (file order)
    subclass_titles: dict[str, str]
    streets: tuple[tuple[str, str], ...]  # Hedong (code, name)


def _load_reference() -> _Reference:
    groups: dict[str, list[str]] = {}
    titles: dict[str, str] = {}
    with open(REFERENCE_DIR / "ipc_zh_to_main_group.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["level"] == "main_group":
                groups.setdefault(row["parent_code"], []).append(row["code"])
            elif row["level"] == "subclass":
                titles[row["code"]] = row["title_zh"]
    streets = []
    with open(REFERENCE_DIR / "tianjin_divisions.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["parent_code"] == "120102" and row["level"] == "street":
                streets.append((row["code"], row["name"]))
    return _Reference({k: tuple(v) for k, v in groups.items()}, titles, tuple(streets))


# ----------------------------------------------------------------------------- helpers
def _days(d: dt.date) -> int:
    return (d - _EPOCH).days


def _ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d64 = np.asarray(days, dtype="int64").astype("datetime64[D]")
    months = d64.astype("datetime64[M]")
    y = months.astype("datetime64[Y]").astype(np.int64) + 1970
    m = months.astype(np.int64) % 12 + 1
    d = (d64 - months.astype("datetime64[D]")).astype(np.int64) + 1
    return y, m, d


_PAD2 = np.array([f"{i:02d}" for i in range(32)], dtype=object)
_PLAIN = np.array([str(i) for i in range(32)], dtype=object)

# Date styles: 0 2022-12-02, 1 2022/12/2, 2 20221202, 3 2022年12月2日, 4 2022.12.2,
# 5 an Excel date cell, 6 a bare Excel serial number.
ISO, SLASH, COMPACT, CHINESE, DOTTED, XL_DATE, XL_SERIAL = range(7)


def _date_cells(days: np.ndarray, styles: np.ndarray) -> np.ndarray:
    """Render day numbers (-1 = empty) in per-cell styles; xlsx styles give datetime/int."""
    days = np.asarray(days, dtype=np.int64)
    out = np.full(len(days), None, dtype=object)
    ok = days >= 0
    if not ok.any():
        return out
    y, m, d = _ymd(np.where(ok, days, 0))
    ys = y.astype(str).astype(object)
    texts = {
        ISO: ys + "-" + _PAD2[m] + "-" + _PAD2[d],
        SLASH: ys + "/" + _PLAIN[m] + "/" + _PLAIN[d],
        COMPACT: ys + _PAD2[m] + _PAD2[d],
        CHINESE: ys + "年" + _PLAIN[m] + "月" + _PLAIN[d] + "日",
        DOTTED: ys + "." + _PLAIN[m] + "." + _PLAIN[d],
    }
    for style, text in texts.items():
        sel = ok & (styles == style)
        out[sel] = text[sel]
    for i in np.flatnonzero(ok & (styles == XL_DATE)):
        out[i] = dt.datetime(1970, 1, 1) + dt.timedelta(days=int(days[i]))
    sel = ok & (styles == XL_SERIAL)
    out[sel] = (days[sel] + 25569).astype(object)  # 1970-01-01 is Excel serial 25569
    return out


def _choice(rng: np.random.Generator, n: int, probs: dict[int, float]) -> np.ndarray:
    keys = np.array(list(probs))
    p = np.array(list(probs.values()), dtype=float)
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


def _money_cells(rng: np.random.Generator, yuan: np.ndarray, wan_share: float,
                 numeric: bool) -> np.ndarray:
    """Money as '12.5万元' or plain yuan (a number cell in xlsx, digits in csv)."""
    out = np.empty(len(yuan), dtype=object)
    wan = rng.random(len(yuan)) < wan_share
    for i, v in enumerate(yuan):
        if np.isnan(v):
            out[i] = None
        elif wan[i]:
            out[i] = f"{v / 10000:g}万元"
        else:
            out[i] = int(v) if numeric else str(int(v))
    return out


# ----------------------------------------------------------------------------- the world
@dataclass
class _World:
    ref: _Reference
    orgs: pd.DataFrame  # institutes first, then enterprises; one row per applicant org
    variants: np.ndarray  # [n_orgs, 6] name spellings, column 0 canonical
    n_inst: int
    inventor_names: np.ndarray
    pool_start: np.ndarray
    pool_size: np.ndarray
    agencies: pd.DataFrame
    agents: list[list[str]]
    fis: pd.DataFrame
    fin_products: pd.DataFrame
    extra: dict = field(default_factory=dict)

    @property
    def names(self) -> np.ndarray:
        if "names" not in self.extra:
            self.extra["names"] = self.orgs["name"].to_numpy(dtype=object)
        return self.extra["names"]


def _person_names(rng: np.random.Generator, n: int) -> np.ndarray:
    # Common surnames dominate, as in real inventor lists.
    sw = 1.0 / np.arange(1, len(V.SURNAMES) + 1) ** 0.7
    s = np.array(V.SURNAMES, dtype=object)[rng.choice(len(V.SURNAMES), n, p=sw / sw.sum())]
    g = np.array(V.GIVEN_CHARS, dtype=object)
    one = g[rng.integers(0, len(g), n)]
    two = g[rng.integers(0, len(g), n)]
    return np.where(rng.random(n) < 0.7, s + one + two, s + one)


def _street_name(ref: _Reference, code: str) -> str:
    return dict(ref.streets)[code]


def _address(rng: np.random.Generator, ref: _Reference, street_code: str) -> str:
    road = V.ROADS[int(rng.integers(len(V.ROADS)))]
    return f"天津市河东区{_street_name(ref, street_code)}{road}{int(rng.integers(1, 300))}号"


def _build_world(rng: np.random.Generator, n_patents: int) -> _World:
    ref = _load_reference()
    street_codes = [c for c, _ in ref.streets]
    domains = V.DOMAINS
    # ---- institutes
    inst_rows = []
    for i, (name, kind, domain_id, resident, street, old, since) in enumerate(V.INSTITUTES):
        street = street or ""
        credit = _credit_code("12", "120102" if resident else "120000", 40_000_000 + i * 7919)
        inst_rows.append(dict(
            name=name, org_type="institute", kind=kind, domain=domain_id, resident=resident,
            street_code=street, old_name=old, renamed=since,
            credit_code=credit if i % 7 != 6 else "",  # a few registries lack the code
            address=(_address(rng, ref, street) if street else
                     f"天津市西青区宾水西道{300 + i}号"),
            in_registry=True, weight=0.0))
    n_inst = len(inst_rows)
    # Research institutes ("地、电、核") are the big stock-patent holders.
    inst_w = np.array([6.0 if r["kind"] == "科研院所" else 4.0 if r["kind"] == "高校" else 1.5
                       for r in inst_rows])
    inst_w = inst_w * rng.uniform(0.6, 1.4, n_inst)
    # ---- enterprises
    n_registry = max(150, n_patents // 8)
    n_outside = max(4, n_registry // 25)  # applicants from outside the district, no registry
    n_ent = n_registry + n_outside
    shares = np.array([d.share for d in domains])
    ent_dom = rng.choice(len(domains), n_ent, p=shares / shares.sum())
    trade = np.array([a + b for a in V.TRADE_CHARS for b in V.TRADE_CHARS if a != b],
                     dtype=object)
    names_core = np.empty(n_ent, dtype=object)
    # A core must not repeat: domains share firm words and TRADE_CHARS repeats characters, so
    # distinct picks can spell the same name (two registry rows, two credit codes, one name).
    used: set[str] = set()
    for d_i, dom in enumerate(domains):
        idx = np.flatnonzero(ent_dom == d_i)
        words = np.array(dom.firm_words, dtype=object)
        space = len(trade) * len(words)
        picks = rng.choice(space, size=len(idx), replace=False)
        cores = trade[picks % len(trade)] + words[picks // len(trade)]
        clash = []
        for k, core in enumerate(cores):
            if core in used:
                clash.append(k)
            used.add(core)
        if clash:  # only at scale: smaller worlds draw exactly as before
            free = sorted({trade[p % len(trade)] + words[p // len(trade)]
                           for p in range(space)} - used)
            for k, r in zip(clash, rng.choice(len(free), size=len(clash), replace=False),
                            strict=True):
                cores[k] = free[r]
                used.add(free[r])
        names_core[idx] = cores
    style_b = rng.random(n_ent) < 0.3  # "XX科技（天津）有限公司" instead of "天津XX科技有限公司"
    suffix = _choice(rng, n_ent, {0: 0.85, 1: 0.1, 2: 0.05})
    suffix_words = np.array(["有限公司", "股份有限公司", "有限责任公司"], dtype=object)
    outside = np.zeros(n_ent, dtype=bool)
    outside[rng.choice(n_ent, n_outside, replace=False)] = True
    city = np.where(rng.random(n_ent) < 0.5, "北京", "上海")
    canon = np.where(style_b, names_core + "（天津）" + suffix_words[suffix],
                     "天津" + names_core + suffix_words[suffix])
    canon = np.where(outside, city + names_core + suffix_words[suffix], canon)
    # parks by focus industry
    park_for_domain: dict[str, list[int]] = {}
    for p_i, (_, _, _, focus) in enumerate(V.PARKS):
        for f in focus:
            park_for_domain.setdefault(f, []).append(p_i)
    ent_rows = []
    serial = rng.permutation(n_ent) * 13 + 10_000_000
    u_park = rng.random(n_ent)
    park_pick = rng.integers(0, 10, n_ent)
    street_pick = rng.integers(0, len(street_codes), n_ent)
    no_code = rng.random(n_ent) < 0.08
    for e in range(n_ent):
        dname = domains[ent_dom[e]].name
        park = ""
        if not outside[e] and u_park[e] < 0.6 and dname in park_for_domain:
            options = park_for_domain[dname]
            park = V.PARKS[options[park_pick[e] % len(options)]][0]
        street = (next(p[2] for p in V.PARKS if p[0] == park) if park
                  else street_codes[street_pick[e]])
        div = "110108" if city[e] == "北京" else "310115"
        code = _credit_code("91", div if outside[e] else "120102", int(serial[e]))
        ent_rows.append(dict(
            name=canon[e], org_type="enterprise", kind="企业", domain=int(ent_dom[e]),
            resident=not outside[e], street_code="" if outside[e] else street, park=park,
            credit_code="" if no_code[e] and not outside[e] else code,
            address=((f"北京市海淀区中关村大街{e % 200 + 1}号" if city[e] == "北京"
                      else f"上海市浦东新区张江路{e % 300 + 1}号") if outside[e]
                     else _address(rng, ref, street)),
            in_registry=not outside[e], old_name="", renamed=0,
            style_b=bool(style_b[e]), core=names_core[e], suffix=int(suffix[e])))
    zipf = 1.0 / (rng.permutation(n_ent) + 1.0) ** 0.95
    orgs = pd.DataFrame(inst_rows + ent_rows)
    weights = np.concatenate([inst_w / inst_w.sum() * 0.28, zipf / zipf.sum() * 0.72])
    orgs["weight"] = weights
    orgs["postcode"] = [V.POSTCODES[i % len(V.POSTCODES)] if a.startswith("天津")
                        else "100080" if a.startswith("北京") else "200120"
                        for i, a in enumerate(orgs["address"])]
    variants = _name_variants(orgs, rng)
    # ---- inventors: each org has a contiguous pool; low offsets are the prolific ones
    expected = weights * n_patents
    pool_size = np.maximum(3, np.ceil(expected ** 0.8 * 1.5)).astype(np.int64)
    pool_start = np.concatenate([[0], np.cumsum(pool_size)[:-1]])
    inventor_names = _person_names(rng, int(pool_size.sum()))
    # ---- agencies, financial institutions, financing products
    n_ag = int(min(200, max(12, n_patents // 2500)))
    ag_rows, agents = [], []
    for a in range(n_ag):
        word = V.AGENCY_WORDS[a % len(V.AGENCY_WORDS)] + ("" if a < len(V.AGENCY_WORDS)
                                                          else str(a // len(V.AGENCY_WORDS)))
        operating = a % 6 == 5
        name = (f"天津{word}知识产权运营中心有限公司" if operating else
                f"天津{word}专利代理事务所（普通合伙）" if a % 2 == 0 else
                f"天津市{word}知识产权代理有限公司")
        kind = "运营中心" if operating else "代理机构"
        ag_rows.append(dict(name=name, kind=kind,
                            credit_code=_credit_code("91", "120102", 30_000_000 + a * 31),
                            address=_address(rng, ref, street_codes[a % len(street_codes)])))
        agents.append(list(_person_names(rng, 4)))
    agencies = pd.DataFrame(ag_rows)
    fi_rows: list[dict[str, Any]] = []
    for kind, names in (("银行", V.BANKS), ("保险", V.INSURERS), ("投资机构", V.INVESTORS),
                        ("担保", V.GUARANTORS), ("证券", V.SECURITIES)):
        for n_i, name in enumerate(names):
            fi_rows.append(dict(name=name, kind=kind, credit_code=(
                "" if n_i == 3 else _credit_code("91", "120000", 20_000_000 + len(fi_rows)))))
    fis = pd.DataFrame(fi_rows)
    fp_rows = []
    loans = ("知产贷", "专利快贷", "科创积分贷", "专精特新贷", "知识产权打包贷", "成长贷")
    for b_i, bank in enumerate(V.BANKS):
        fp_rows.append(dict(name=f"{bank[:4]}{loans[b_i % len(loans)]}", kind="质押贷款",
                            institution=bank, rate=round(3.45 + 0.1 * b_i, 2),
                            max_amount=float((500 + 250 * b_i) * 10_000),
                            terms="以专利权、商标专用权、著作权单独或打包质押，最长期限3年"))
    for i_i, inv in enumerate(V.INVESTORS[:4]):
        fp_rows.append(dict(name=f"{inv[:4]}投贷联动计划", kind="投贷联动", institution=inv,
                            rate=None, max_amount=float(2000 * 10_000 * (i_i + 1)),
                            terms="股权投资与银行贷款联动，面向专精特新中小企业"))
    fp_rows.append(dict(name="河东区知识产权证券化产品（示例）", kind="证券化",
                        institution=V.SECURITIES[0], rate=3.2, max_amount=1e8,
                        terms="以专利许可费收益为基础资产发行资产支持证券"))
    for s_i, ins in enumerate(V.INSURERS):
        fp_rows.append(dict(name=f"{ins[:4]}{'专利执行险' if s_i % 2 == 0 else '专利被侵权损失险'}",
                            kind="保险", institution=ins, rate=None,
                            max_amount=float(300 * 10_000), terms="保障专利维权与侵权损失"))
    fin_products = pd.DataFrame(fp_rows)
    fin_products.insert(0, "product_id", [f"FP{i + 1:03d}" for i in range(len(fp_rows))])
    return _World(ref, orgs, variants, n_inst, inventor_names, pool_start, pool_size,
                  agencies, agents, fis, fin_products)


def _name_variants(orgs: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Spellings of each organisation seen in exports (column 0 is the registry name)."""
    n = len(orgs)
    out = np.empty((n, 6), dtype=object)
    schools = V.UNIVERSITY_SCHOOLS
    for i, row in enumerate(orgs.itertuples(index=False)):
        name = row.name
        vs = [name]
        if row.org_type == "institute":
            if row.kind == "高校":
                vs += [name + schools[(i + k) % len(schools)] for k in range(3)]
            vs += [f" {name}", f"{name}　"]  # stray half-/full-width spaces
        elif row.in_registry:
            core, suf = row.core, ("有限公司", "股份有限公司", "有限责任公司")[int(row.suffix)]
            vs += [f"{core}(天津){suf}" if not row.style_b else f"天津{core}{suf}",
                   f"{core}（天津）{suf}" if not row.style_b else f"{core}(天津){suf}"]
            if int(row.suffix) == 0:
                vs.append(name.replace("有限公司", "有限责任公司"))
            vs += [f"{name}河东分公司", f" {name} "]
        vs = (vs + [name] * 6)[:6]
        out[i] = vs
    return out


# ----------------------------------------------------------------------------- patents
@dataclass
class _Patents:
    n: int
    org1: np.ndarray
    org2: np.ndarray  # -1 = no co-applicant
    domain: np.ndarray
    ptype: np.ndarray
    app_day: np.ndarray
    pub_day: np.ndarray
    grant_day: np.ndarray
    status: np.ndarray
    app_no: np.ndarray  # canonical CN202210001234.5
    app_digits: np.ndarray  # digits without CN and check (for dirty spellings)
    check: np.ndarray
    pub_no: np.ndarray
    ipc: np.ndarray  # [n, 4] object, None = empty
    inventors: np.ndarray  # [n, 6] inventor ids, -1 = empty
    claims: np.ndarray
    agency: np.ndarray  # -1 = none
    agents: np.ndarray  # [n, 2]
    family: list[list[str]]
    cites_src: np.ndarray
    cites_dst: np.ndarray
    cited_extra: np.ndarray
    title_idx: np.ndarray  # [n, 5] vocabulary indices
    variant: np.ndarray  # [n, 2] name-variant column for each applicant
    source: np.ndarray  # which export tool carries the patent
    owner: np.ndarray  # current owner org (after transfers); object name overrides below
    owner_name: dict[int, str] = field(default_factory=dict)
    transfers: np.ndarray | None = None
    licences: np.ndarray | None = None
    pledges: np.ndarray | None = None

    @property
    def valid(self) -> np.ndarray:
        return self.status == ST_VALID


def _year_weights(years: np.ndarray) -> np.ndarray:
    w = np.exp(0.13 * (years - years[0]))
    return w / w.sum()


def _build_patents(rng: np.random.Generator, w: _World, n: int) -> _Patents:
    orgs = w.orgs
    n_orgs = len(orgs)
    org1 = rng.choice(n_orgs, size=n, p=orgs["weight"].to_numpy())
    is_inst = org1 < w.n_inst
    org_dom = orgs["domain"].to_numpy()
    shares = np.array([d.share for d in V.DOMAINS])
    random_dom = rng.choice(len(V.DOMAINS), size=n, p=shares / shares.sum())
    dom = np.where((org_dom[org1] < 0) | (rng.random(n) < 0.1), random_dom, org_dom[org1])
    # Co-applications: institute + enterprise (产学研) and a few enterprise pairs.
    org2 = np.full(n, -1, dtype=np.int64)
    ent_w = orgs["weight"].to_numpy()[w.n_inst:]
    ent_w = ent_w / ent_w.sum()
    inst_w = orgs["weight"].to_numpy()[:w.n_inst]
    inst_w = inst_w / inst_w.sum()
    u = rng.random(n)
    partner_ent = w.n_inst + rng.choice(n_orgs - w.n_inst, size=n, p=ent_w)
    partner_inst = rng.choice(w.n_inst, size=n, p=inst_w)
    org2 = np.where(is_inst & (u < 0.12), partner_ent, org2)
    org2 = np.where(~is_inst & (u < 0.09), partner_inst, org2)
    org2 = np.where(~is_inst & (u >= 0.09) & (u < 0.12), partner_ent, org2)
    org2 = np.where(org2 == org1, -1, org2)
    # Type: software, materials and finance rarely get utility models.
    soft = np.isin(dom, (5, 6, 7))
    ptype = np.where(is_inst, _choice(rng, n, {0: 0.8, 1: 0.18, 2: 0.02}),
                     _choice(rng, n, {0: 0.5, 1: 0.4, 2: 0.1}))
    ptype = np.where(soft & (ptype == 1) & (rng.random(n) < 0.8), 0, ptype)
    # Filing dates: growth over time, 1999 .. late 2024.
    years = np.arange(1999, 2025)
    year = rng.choice(years, size=n, p=_year_weights(years))
    start = np.array([_days(dt.date(int(y), 1, 1)) for y in years])
    span = np.where(years == 2024, 320, 365)
    yi = year - 1999
    app_day = start[yi] + (rng.random(n) * span[yi]).astype(np.int64)
    # Status, publication and grant consistent with type and age.
    age = REF_DAY - app_day
    grant_lag = np.select([ptype == 0, ptype == 1], [rng.integers(540, 1650, n),
                                                     rng.integers(120, 400, n)],
                          rng.integers(90, 300, n))
    outcome = np.where(ptype == 0, _choice(rng, n, {0: 0.62, 1: 0.14, 2: 0.24}),
                       _choice(rng, n, {0: 0.97, 1: 0.03, 2: 0.0}))
    outcome = np.where(is_inst & (ptype == 0) & (rng.random(n) < 0.3), 0, outcome)
    decided = grant_lag <= age
    status = np.full(n, ST_PENDING)
    status = np.where(decided & (outcome == 1), ST_REJECTED, status)
    status = np.where(decided & (outcome == 2), ST_WITHDRAWN, status)
    granted = decided & (outcome == 0)
    grant_day = np.where(granted, app_day + grant_lag, -1)
    new_design_law = app_day >= _days(dt.date(2021, 6, 1))
    term = np.select([ptype == 0, (ptype == 2) & new_design_law], [20, 15], 10)
    expired = granted & (app_day + (term * 365.25).astype(np.int64) < REF_DAY)
    yrs_granted = np.where(granted, (REF_DAY - grant_day) / 365.25, 0)
    lapse_rate = np.where(ptype == 0, 0.05, 0.11) * np.where(is_inst, 1.3, 1.0)
    lapsed = granted & ~expired & (rng.random(n) < 1 - np.exp(-lapse_rate * yrs_granted))
    status = np.where(granted, ST_VALID, status)
    status = np.where(lapsed, ST_LAPSED, status)
    status = np.where(expired, ST_EXPIRED, status)
    pub_lag = rng.integers(180, 548, n)
    pub_day = np.where(ptype == 0, app_day + pub_lag, grant_day)
    pub_day = np.where(pub_day > REF_DAY, -1, pub_day)
    # Application numbers: per (year, type) serials ascending with filing date.
    old = year < 2003
    order = np.lexsort((app_day, ptype, year))
    step = np.where(old[order], rng.integers(1, 20, n), rng.integers(1, 60, n))
    csum = np.cumsum(step)
    grp = (year[order] * 10 + ptype[order])
    first = np.r_[True, grp[1:] != grp[:-1]]
    grp_start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    base = np.where(old[order], 100, 10_000)
    serial_sorted = base + csum - csum[grp_start] + step[grp_start]
    serial = np.empty(n, dtype=np.int64)
    serial[order] = serial_sorted
    digits12 = year.astype(np.int64) * 10**8 + (ptype + 1) * 10**7 + serial
    digits8 = (year.astype(np.int64) % 100) * 10**6 + (ptype + 1) * 10**5 + serial
    num = np.where(old, digits8, digits12)
    check = np.empty(n, dtype=object)
    check[old] = _check_digits_vec(digits8[old], 8)
    check[~old] = _check_digits_vec(digits12[~old], 12)
    digits_s = np.where(old, np.char.zfill(num.astype(str), 8),
                        num.astype(str)).astype(object)
    app_no = "CN" + digits_s + "." + check
    # Publication numbers: one sequence per type in publication order.
    pub_no = np.full(n, None, dtype=object)
    kinds = ("A", "U", "S")
    for t in range(3):
        sel = np.flatnonzero((ptype == t) & (pub_day >= 0))
        sel = sel[np.argsort(pub_day[sel], kind="stable")]
        seq = (t + 1) * 10**8 + 1_000_000 + np.cumsum(rng.integers(1, 25, len(sel)))
        pub_no[sel] = "CN" + seq.astype(str).astype(object) + kinds[t]
    # IPC: main group from the domain's subclasses, plus up to three more.
    ipc = np.full((n, 4), None, dtype=object)
    n_extra = _choice(rng, n, {0: 0.3, 1: 0.35, 2: 0.25, 3: 0.1})
    for d_i, d in enumerate(V.DOMAINS):
        sel = np.flatnonzero(dom == d_i)
        subs = [s for s, _ in d.ipc]
        sw = np.array([x for _, x in d.ipc])
        for col in range(4):
            sc = rng.choice(len(subs), len(sel), p=sw / sw.sum())
            codes = np.empty(len(sel), dtype=object)
            for s_i, sub in enumerate(subs):
                groups = w.ref.main_groups[sub]
                m = sc == s_i
                gw = 1.0 / np.arange(1, len(groups) + 1) ** 0.6  # a few groups dominate
                codes[m] = np.array(groups, dtype=object)[
                    rng.choice(len(groups), int(m.sum()), p=gw / gw.sum())]
            keep = col <= n_extra[sel]
            ipc[sel[keep], col] = codes[keep]
    for col in range(1, 4):  # drop repeats of earlier columns
        for prev in range(col):
            ipc[ipc[:, col] == ipc[:, prev], col] = None
    # Inventors: consecutive members of the org's pool (a team), skewed to the prolific.
    k = np.where(ptype == 2, rng.integers(1, 3, n), rng.integers(1, 7, n))
    size1 = w.pool_size[org1]
    k = np.minimum(k, size1)
    base_off = np.floor(size1 * rng.random(n) ** 2.5).astype(np.int64)
    inventors = np.full((n, 6), -1, dtype=np.int64)
    for j in range(6):
        inventors[:, j] = np.where(j < k, w.pool_start[org1] + (base_off + j) % size1, -1)
    co = org2 >= 0
    size2 = w.pool_size[np.maximum(org2, 0)]
    off2 = np.floor(size2 * rng.random(n) ** 2.5).astype(np.int64)
    last = np.maximum(k - 1, 0)
    swap = co & (k >= 2)
    inventors[np.flatnonzero(swap), last[swap]] = (w.pool_start[org2[swap]] + off2[swap])
    add = co & (k < 6) & (k < 2)
    inventors[np.flatnonzero(add), k[add]] = w.pool_start[org2[add]] + off2[add]
    claims = np.select([ptype == 0, ptype == 1], [rng.integers(4, 21, n), rng.integers(2, 11, n)],
                       1)
    # Agencies: most filings use one; a few agencies handle most.
    n_ag = len(w.agencies)
    aw = 1.0 / np.arange(1, n_ag + 1) ** 0.8
    agency = np.where(rng.random(n) < 0.75, rng.choice(n_ag, n, p=aw / aw.sum()), -1)
    agents = np.stack([rng.integers(0, 4, n), np.where(rng.random(n) < 0.5,
                                                       rng.integers(0, 4, n), -1)], axis=1)
    agents[:, 1] = np.where(agents[:, 1] == agents[:, 0], -1, agents[:, 1])
    # Families abroad: mostly granted inventions of institutes and big applicants.
    fam_p = np.where(ptype == 0, np.where(is_inst, 0.18, 0.08), 0.0)
    has_fam = (rng.random(n) < fam_p) & (pub_day >= 0)
    fam_sizes = rng.integers(1, 5, n)
    family: list[list[str]] = [[] for _ in range(n)]
    offices = ("US", "EP", "JP", "WO", "KR", "DE")
    for i in np.flatnonzero(has_fam):
        y = int(year[i]) + 1
        members = [pub_no[i]]
        for j in range(int(fam_sizes[i])):
            o = offices[(i + j) % len(offices)]
            s = int(rng.integers(100_000, 999_999))
            members.append({"US": f"US{y}0{s}A1", "EP": f"EP{3000000 + s}A1",
                            "JP": f"JP{y}{s}A", "WO": f"WO{y}{s}A1", "KR": f"KR10{y}00{s}A",
                            "DE": f"DE10{y}0{s}A1"}[o])
        family[i] = members
    # Citations: later filings cite earlier ones with preferential "fitness".
    chrono = np.argsort(app_day, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[chrono] = np.arange(n)
    fitness = np.minimum(rng.pareto(1.8, n) + 0.05, 25.0)  # heavy tail, no monopolist
    cum = np.cumsum(fitness[chrono])
    n_cites = np.where(rng.random(n) < 0.45, rng.integers(1, 6, n), 0)
    n_cites = np.where(rank < 20, 0, n_cites)
    src = np.repeat(np.arange(n), n_cites)
    # only cite filings at least ~half a year older (they must be published)
    limit = np.searchsorted(app_day[chrono], app_day[src] - 200)
    src, limit = src[limit > 0], limit[limit > 0]
    target_rank = np.searchsorted(cum, rng.random(len(src)) * cum[limit - 1])
    target_rank = np.minimum(target_rank, limit - 1)
    dst = chrono[target_rank]
    pairs = np.unique(src * n + dst)  # one citation per pair, sorted by citing patent
    cites_src, cites_dst = pairs // n, pairs % n
    cited_extra = rng.poisson(np.minimum(fitness, 20) * 0.3)
    # Title vocabulary indices: scene?, technique, object, suffix, abstract parts/effect.
    title_idx = np.stack([
        np.where(rng.random(n) < 0.6, rng.integers(0, 10, n), -1),
        rng.integers(0, 10, n), rng.integers(0, 10, n), rng.integers(0, 4, n),
        rng.integers(0, 10, n), rng.integers(0, 10, n), rng.integers(0, 6, n)], axis=1)
    # the two components named in an abstract are different parts
    title_idx[:, 5] = (title_idx[:, 4] + 1 + title_idx[:, 5] % 9) % 10
    # Which spelling of each applicant the export shows (0 = registry spelling).
    variant = np.where(rng.random((n, 2)) < 0.82, 0, rng.integers(1, 6, (n, 2)))
    renamed = w.orgs["renamed"].to_numpy()
    old_name = (renamed[org1] > 0) & (year < renamed[org1])
    variant[old_name, 0] = -1  # -1 = the former name, resolved by the registry alias
    source = _choice(rng, n, {0: 0.4, 1: 0.35, 2: 0.25})
    return _Patents(n, org1, org2, dom, ptype, app_day, pub_day, grant_day, status, app_no,
                    digits_s, check, pub_no, ipc, inventors, claims, agency, agents, family,
                    cites_src, cites_dst, cited_extra, title_idx, variant, source,
                    owner=org1.copy())


def _titles(p: _Patents, idx: np.ndarray) -> np.ndarray:
    """Plausible Chinese titles built from each patent's domain vocabulary."""
    out = np.empty(len(idx), dtype=object)
    ti = p.title_idx[idx]
    for d_i, d in enumerate(V.DOMAINS):
        m = p.domain[idx] == d_i
        if not m.any():
            continue
        t = ti[m]
        scenes = np.array(d.scenes, dtype=object)
        tech = np.array(d.techniques, dtype=object)[t[:, 1]]
        obj = np.array(d.objects, dtype=object)[t[:, 2]]
        scene = np.where(t[:, 0] >= 0, "用于" + scenes[np.maximum(t[:, 0], 0)] + "的", "")
        is_method = obj == "方法"
        suffix = np.array(["", "及方法", "及系统", ""], dtype=object)[t[:, 3]]
        suffix = np.where(is_method | (obj == "系统"), "", suffix)
        title = "一种" + scene + tech + obj + suffix
        design = p.ptype[idx][m] == 2
        title = np.where(design, np.array(d.products, dtype=object)[t[:, 1]], title)
        out[m] = title
    return out


def _abstracts(p: _Patents, idx: np.ndarray, titles: np.ndarray) -> np.ndarray:
    out = np.empty(len(idx), dtype=object)
    ti = p.title_idx[idx]
    lead = np.array(["本发明公开了", "本实用新型公开了", "本外观设计产品为"], dtype=object)
    for d_i, d in enumerate(V.DOMAINS):
        m = p.domain[idx] == d_i
        if not m.any():
            continue
        t = ti[m]
        parts = np.array(d.parts, dtype=object)
        eff = np.array(d.effects, dtype=object)[t[:, 6]]
        body = (lead[p.ptype[idx][m]] + titles[m] + "，包括" + parts[t[:, 4]] + "和"
                + parts[t[:, 5]] + "，所述" + parts[t[:, 4]] + "与" + parts[t[:, 5]]
                + "连接。" + "该方案" + eff + "，适用于" + d.name + "领域。")
        design = (lead[2] + titles[m] + "，用于" + d.name + "领域；设计要点在于产品的形状；"
                  "最能表明设计要点的图片为立体图。")
        out[m] = np.where(p.ptype[idx][m] == 2, design, body)
    return out


# ----------------------------------------------------------------------------- registries
def _pick(rng: np.random.Generator, pool: np.ndarray, prob: np.ndarray | float,
          minimum: int) -> np.ndarray:
    """Each of `pool` with its probability, topped up to `minimum` for small demos."""
    prob = np.broadcast_to(np.asarray(prob, dtype=float), pool.shape)
    hit = rng.random(len(pool)) < prob
    short = min(minimum, len(pool)) - int(hit.sum())
    if short > 0:
        rest = np.flatnonzero(~hit)
        w = prob[rest] / prob[rest].sum()
        hit[rng.choice(rest, short, replace=False, p=w)] = True
    return pool[hit]


def _org_name(w: _World, org: int) -> str:
    return str(w.names[org])


def _year(day: int) -> int:
    return (_EPOCH + dt.timedelta(days=int(day))).year


def _build_registries(rng: np.random.Generator, w: _World, p: _Patents) -> dict[str, list[dict]]:
    """Registry rows (canonical field names) consistent with the patents; updates counters."""
    n = p.n
    orgs = w.orgs
    n_inst = w.n_inst
    registry_ent = np.flatnonzero(orgs["in_registry"].to_numpy() & (np.arange(len(orgs))
                                                                    >= n_inst))
    ent_dom = orgs["domain"].to_numpy()
    ent_by_dom = {d: registry_ent[ent_dom[registry_ent] == d] for d in range(len(V.DOMAINS))}
    fp = w.fin_products
    banks = list(V.BANKS)
    cores = orgs["core"].to_numpy()
    out: dict[str, list[dict]] = {k: [] for k in (
        "transfers", "licences", "open_licences", "pledges", "trademarks", "copyrights",
        "insurance", "products", "contracts", "events", "awards")}
    transfer_count = np.zeros(n, dtype=np.int64)
    licence_count = np.zeros(n, dtype=np.int64)
    pledge_count = np.zeros(n, dtype=np.int64)
    valid = np.flatnonzero(p.valid)
    owner = p.org1.copy()  # current holder after transfers
    last_event = p.grant_day.copy()

    def pick_ent(d: int) -> int:
        pool = ent_by_dom[d] if len(ent_by_dom[d]) else registry_ent
        return int(pool[rng.integers(len(pool))])

    def later(day: int, lo: int = 30, hi: int = 900) -> int:
        return min(REF_DAY - 1, day + int(rng.integers(lo, hi)))

    # ---- transfers: mostly institutes' patents moving to enterprises (conversion)
    is_inst_owned = p.org1[valid] < n_inst
    t_p = np.where(is_inst_owned, 0.07, 0.025)
    chosen = _pick(rng, valid, t_p, minimum=12)
    for i in chosen:
        hops = 2 if rng.random() < 0.12 else 1
        for _ in range(hops):
            frm = int(owner[i])
            to = pick_ent(int(p.domain[i]))
            if to == frm:
                continue
            day = later(int(last_event[i]))
            out["transfers"].append(dict(
                transfer_id=f"ZR{_year(day)}{len(out['transfers']) + 1:07d}",
                patent=i, from_name=_org_name(w, frm), to_name=_org_name(w, to), date=day,
                amount=float(rng.integers(2, 300) * 10_000) if rng.random() < 0.7 else np.nan))
            owner[i] = to
            last_event[i] = day
            transfer_count[i] += 1
    p.owner = owner
    # ---- licences
    kinds = ("普通许可", "独占许可", "排他许可", "开放许可")
    fee_models = ("一次性总付", "入门费+提成", "先试用后付费")
    chosen = _pick(rng, valid, np.where(p.org1[valid] < n_inst, 0.06, 0.015), minimum=24)
    for n_lic, i in enumerate(chosen):
        # the first few cycle through every kind so that small demos show them all
        kind = kinds[n_lic] if n_lic < len(kinds) else kinds[
            int(_choice(rng, 1, {0: 0.5, 1: 0.15, 2: 0.15, 3: 0.2})[0])]
        model = fee_models[n_lic % 3] if n_lic < 6 else (
            fee_models[int(rng.integers(3))] if kind != "开放许可" else
            fee_models[int(rng.integers(1, 3))])
        licensee = pick_ent(int(p.domain[i]))
        if licensee == owner[i]:
            continue
        start = later(int(last_event[i]))
        fee = float(rng.integers(1, 80) * 10_000)
        out["licences"].append(dict(
            licence_id=f"X{_year(start)}12{len(out['licences']) + 1:07d}",
            patents=[i], licensor=_org_name(w, int(owner[i])),
            licensee=_org_name(w, licensee), kind=kind, fee_model=model,
            fee=fee if model != "先试用后付费" or rng.random() < 0.5 else np.nan,
            royalty_rate=(round(float(rng.uniform(0.01, 0.06)), 3)
                          if model == "入门费+提成" else np.nan),
            start_date=start, end_date=start + int(rng.integers(2, 6)) * 365))
        licence_count[i] += 1
    # ---- open-licence offers: institutes' valid patents, with field and industry
    chosen = _pick(rng, valid, np.where(owner[valid] < n_inst, 0.08, 0.01), minimum=12)
    for i in chosen:
        model = fee_models[int(rng.integers(3))]
        d = V.DOMAINS[int(p.domain[i])]
        day = later(int(last_event[i]))
        sub = str(p.ipc[i, 0])[:4]
        out["open_licences"].append(dict(
            offer_id=f"KF{_year(day)}{len(out['open_licences']) + 1:06d}",
            patent=i, licensor=_org_name(w, int(owner[i])), fee_model=model,
            fee=float(rng.integers(1, 30) * 10_000) if model != "先试用后付费" else 0.0,
            royalty_rate=(round(float(rng.uniform(0.01, 0.05)), 3)
                          if model == "入门费+提成" else np.nan),
            declared_date=day,
            platform=("天津市开放许可信息发布平台" if rng.random() < 0.6
                      else "国家知识产权局专利开放许可公告"),
            field=f"{d.field_zh}（{sub}）", industry=d.name))
    # ---- trademarks and copyrights of registry enterprises
    tm_by_org: dict[int, list[str]] = {}
    cr_by_org: dict[int, list[str]] = {}
    tm_owners = registry_ent[rng.random(len(registry_ent)) < 0.5]
    for o in tm_owners:
        for _ in range(int(rng.integers(1, 4))):
            reg = f"{20_000_000 + len(out['trademarks']) * 37 + int(rng.integers(37))}"
            day = _days(dt.date(2018, 1, 1)) + int(rng.integers(0, 2500))
            out["trademarks"].append(dict(
                reg_no=reg, name=V.TRADEMARK_WORDS[int(rng.integers(12))]
                + V.TM_SUFFIX[int(rng.integers(12))], owner=_org_name(w, int(o)),
                classes=[str(c) for c in sorted(set(rng.integers(1, 46, 2).tolist()))],
                valid_until=day + 3652))
            tm_by_org.setdefault(int(o), []).append(reg)
    cr_owners = registry_ent[rng.random(len(registry_ent)) < np.where(
        np.isin(ent_dom[registry_ent], (5, 7)), 0.8, 0.3)]
    for o in cr_owners:
        for _ in range(int(rng.integers(1, 4))):
            day = _days(dt.date(2016, 1, 1)) + int(rng.integers(0, 3200))
            reg = f"{_year(day)}SR{1_000_000 + len(out['copyrights']):07d}"
            core = str(cores[o])[:2]
            out["copyrights"].append(dict(
                reg_no=reg, name=f"{core}{V.SOFTWARE_SUFFIX[int(rng.integers(8))]}V"
                f"{int(rng.integers(1, 5))}.0", owner=_org_name(w, int(o)),
                kind="计算机软件", reg_date=day))
            cr_by_org.setdefault(int(o), []).append(reg)
    # ---- pledges: enterprises' valid patents, some bundled with trademarks/copyrights
    valid_by_owner: dict[int, list[int]] = {}
    in_registry = orgs["in_registry"].to_numpy()
    mine_mask = (owner[valid] >= n_inst) & in_registry[owner[valid]]
    for i, o in zip(valid[mine_mask].tolist(), owner[valid][mine_mask].tolist(), strict=True):
        valid_by_owner.setdefault(o, []).append(i)
    pledgors = list(valid_by_owner)
    n_pledges = max(15, n // 100)
    loan_products = fp[fp["kind"] == "质押贷款"].reset_index(drop=True)
    users: dict[str, list[str]] = {}
    for _ in range(n_pledges):
        o = pledgors[int(rng.integers(len(pledgors)))]
        mine = valid_by_owner[o]
        k = min(len(mine), int(rng.integers(1, 6)))
        pats = [mine[j] for j in sorted(rng.choice(len(mine), k, replace=False).tolist())]
        day = later(max(int(last_event[i]) for i in pats))
        prod = loan_products.iloc[int(rng.integers(len(loan_products)))]
        bundle = rng.random() < 0.3
        tms = tm_by_org.get(o, [])[:2] if bundle else []
        crs = cr_by_org.get(o, [])[:2] if bundle else []
        out["pledges"].append(dict(
            pledge_id=f"Y{_year(day)}98{len(out['pledges']) + 1:07d}",
            pledgor=_org_name(w, o), pledgee=prod["institution"], patents=pats,
            trademarks=tms, copyrights=crs,
            amount=float(rng.integers(50, 3000) * 10_000), start_date=day,
            end_date=day + 365 * int(rng.integers(1, 4)), product=prod["name"]))
        for i in pats:
            pledge_count[i] += 1
        users.setdefault(prod["name"], []).append(_org_name(w, o))
    # ---- insurance
    insurers = fp[fp["kind"] == "保险"].reset_index(drop=True)
    for _ in range(max(10, n // 200)):
        o = pledgors[int(rng.integers(len(pledgors)))]
        mine = valid_by_owner[o]
        k = min(len(mine), int(rng.integers(1, 4)))
        pats = [mine[j] for j in sorted(rng.choice(len(mine), k, replace=False).tolist())]
        prod = insurers.iloc[int(rng.integers(len(insurers)))]
        day = later(max(int(p.grant_day[i]) for i in pats))
        amount = float(rng.integers(10, 200) * 10_000)
        out["insurance"].append(dict(
            policy_id=f"PZ{_year(day)}12{len(out['insurance']) + 1:07d}",
            kind="专利执行险" if "执行" in prod["name"] else "专利被侵权损失险",
            insured=_org_name(w, o), insurer=prod["institution"], patents=pats, amount=amount,
            premium=round(amount * 0.02), start_date=day, end_date=day + 365))
        users.setdefault(prod["name"], []).append(_org_name(w, o))
    w.extra["product_users"] = users
    # ---- patent-intensive products
    for _ in range(max(10, n // 150)):
        o = pledgors[int(rng.integers(len(pledgors)))]
        mine = valid_by_owner[o]
        k = min(len(mine), int(rng.integers(1, 6)))
        pats = [mine[j] for j in sorted(rng.choice(len(mine), k, replace=False).tolist())]
        d = V.DOMAINS[int(p.domain[pats[0]])]
        year = int(rng.integers(2021, 2025))
        out["products"].append(dict(
            product_id=f"MJ{year}{len(out['products']) + 1:06d}",
            name=f"{str(cores[o])[:2]}牌{d.products[int(rng.integers(10))]}",
            maker=_org_name(w, o), patents=pats,
            filing_status="已备案" if rng.random() < 0.7 else "已认定", year=year,
            revenue=float(rng.integers(100, 20_000) * 10_000)))
    # ---- technology contracts: registered transfers/licences plus R&D contracts
    kinds_c = ("技术开发", "技术转让", "技术许可", "技术咨询", "技术服务")

    def contract(kind: str, seller: str, buyer: str, amount: float, day: int,
                 pats: list[int], name: str) -> None:
        y = _year(day)
        out["contracts"].append(dict(
            contract_id=f"{y}120102{len(out['contracts']) + 1:07d}", name=name, kind=kind,
            seller=seller, buyer=buyer, amount=amount, signed_date=day, patents=pats,
            registered=rng.random() < 0.9))

    for t in out["transfers"]:
        if not np.isnan(t["amount"]) and rng.random() < 0.6:
            contract("技术转让", t["from_name"], t["to_name"], t["amount"], t["date"] - 20,
                     [t["patent"]], "专利权转让合同")
    for lic in out["licences"]:
        if rng.random() < 0.5:
            contract("技术许可", lic["licensor"], lic["licensee"],
                     lic["fee"] if not np.isnan(lic["fee"]) else 50_000.0,
                     lic["start_date"] - 15, lic["patents"], f"专利实施{lic['kind']}合同")
    recent = p.app_day > _days(dt.date(2015, 1, 1))
    co = np.flatnonzero((p.org2 >= 0) & (p.org1 < n_inst) & recent)
    for i in co[: max(10, n // 100)]:
        contract("技术开发", _org_name(w, int(p.org1[i])), _org_name(w, int(p.org2[i])),
                 float(rng.integers(10, 500) * 10_000), int(p.app_day[i]) - 200, [int(i)],
                 "合作研发合同")
    for _ in range(max(10, n // 200)):
        seller = int(rng.integers(n_inst))
        buyer = int(registry_ent[rng.integers(len(registry_ent))])
        kind = kinds_c[int(rng.integers(3, 5))]
        contract(kind, _org_name(w, seller), _org_name(w, buyer),
                 float(rng.integers(2, 80) * 10_000),
                 _days(dt.date(2019, 1, 1)) + int(rng.integers(0, 2100)), [], f"{kind}合同")
    # ---- awards: winning patents are granted inventions, skewed to the much-cited
    cited = np.bincount(p.cites_dst, minlength=n)
    inv_granted = np.flatnonzero((p.ptype == 0) & (p.grant_day >= 0))
    # Awards go mostly to patents still in force, as real award lists do; this also lets the
    # CNIPA high-value criterion "national award / China Patent Award" show in the demo.
    aw_w = ((cited[inv_granted] + 1.0) ** 1.5 * np.where(p.org1[inv_granted] < n_inst, 3, 1)
            * np.where(p.valid[inv_granted], 6, 1))
    n_awards = max(30, n // 150)
    winners_idx = inv_granted[rng.choice(len(inv_granted), min(n_awards, len(inv_granted)),
                                         replace=False, p=aw_w / aw_w.sum())]
    award_kinds = (
        ("中国专利奖", "国家", ("金奖", "银奖", "优秀奖"), 0.08),
        ("国家科学技术进步奖", "国家", ("一等奖", "二等奖"), 0.04),
        ("国家技术发明奖", "国家", ("二等奖",), 0.03),
        ("天津市专利奖", "天津市", ("金奖", "银奖", "优秀奖"), 0.25),
        ("天津市科学技术进步奖", "天津市", ("一等奖", "二等奖", "三等奖"), 0.25),
        ("河东区科技创新奖（示例）", "河东区", ("一等奖", "二等奖", "三等奖"), 0.35))
    aw_p = np.array([a[3] for a in award_kinds])
    used_projects: dict[str, int] = {}
    # granted patents grouped by first applicant, to find an award's companion patent
    granted = np.flatnonzero(p.grant_day >= 0)
    granted_sorted = granted[np.argsort(p.org1[granted], kind="stable")]
    granted_orgs = p.org1[granted_sorted]
    titles = _titles(p, winners_idx)
    for j, i in enumerate(winners_idx):
        a_name, level, grades, _ = award_kinds[int(rng.choice(len(award_kinds), p=aw_p))]
        year = int(min(2024, max(_ymd(np.array([p.grant_day[i]]))[0][0] + 1,
                                 2010 + int(rng.integers(0, 15)))))
        project = str(titles[j]).removeprefix("一种") + "关键技术及产业化"
        used_projects[project] = used_projects.get(project, 0) + 1
        if used_projects[project] > 1:
            project += f"（{used_projects[project]}期）"
        pats = [int(i)]
        lo, hi = np.searchsorted(granted_orgs, [p.org1[i], p.org1[i] + 1])
        mates = granted_sorted[lo:min(hi, lo + 20)]
        mates = mates[p.domain[mates] == p.domain[i]][:2]
        pats += [int(m) for m in mates if m != i][:1]
        winners = [_org_name(w, int(owner[x])) for x in pats]
        if p.org2[i] >= 0:
            winners.append(_org_name(w, int(p.org2[i])))
        out["awards"].append(dict(
            award_name=a_name, level=level, grade=grades[int(rng.integers(len(grades)))],
            year=year, project=project, patents=pats, winners=list(dict.fromkeys(winners))))
    # ---- events: roadshows for 专精特新 firms and matchmaking with institutes
    tags = w.extra["tags"]
    zjtx = [int(o) for o in registry_ent if "专精特新" in tags.get(int(o), ())]
    inst_patents = np.flatnonzero(p.valid & (owner < n_inst))
    investors = list(V.INVESTORS) + banks
    places = [name for name, *_ in V.PARKS]
    all_ents = registry_ent.tolist()
    for e in range(max(12, min(3000, n // 400))):
        roadshow = e % 2 == 0
        day = _days(dt.date(2023, 1, 1)) + int(rng.integers(0, 700))
        park = places[int(rng.integers(len(places)))]
        pool = zjtx if roadshow and zjtx else all_ents
        k_ent = min(len(pool), int(rng.integers(3, 12)))
        ents = [_org_name(w, pool[j]) for j in sorted(rng.choice(len(pool), k_ent,
                                                                  replace=False).tolist())]
        k_inst = int(rng.integers(0 if roadshow else 2, 5))
        insts = [_org_name(w, j) for j in sorted(rng.choice(n_inst, k_inst,
                                                            replace=False).tolist())]
        k_inv = int(rng.integers(2, 7)) if roadshow else int(rng.integers(0, 3))
        invs = [investors[j] for j in sorted(rng.choice(len(investors), k_inv,
                                                        replace=False).tolist())]
        k_p = int(rng.integers(3, 10))
        shown = sorted(rng.choice(inst_patents, min(k_p, len(inst_patents)),
                                  replace=False).tolist()) if len(inst_patents) else []
        organiser = park if rng.random() < 0.6 else str(
            w.agencies.at[int(rng.integers(len(w.agencies))), "name"])
        out["events"].append(dict(
            event_id=f"HD-E{e + 1:04d}",
            name=(f"{park}专精特新企业投融资路演（第{e // 2 + 1}期）" if roadshow
                  else f"地电核院所专利技术供需对接会（第{e // 2 + 1}期）"),
            kind="路演" if roadshow else "对接会", date=day, place=park,
            organiser=organiser, enterprises=ents, institutes=insts, investors=invs,
            patents=shown))
    p.transfers, p.licences, p.pledges = transfer_count, licence_count, pledge_count
    return out


# ----------------------------------------------------------------------------- file specs
@dataclass(frozen=True)
class _ExportTool:
    key: str
    file_stem: str
    fmt: str  # csv / xlsx
    encoding: str
    headers: dict[str, str]  # canonical field -> header spelling
    date_styles: dict[int, float]
    seps: tuple[str, ...]
    appno_styles: dict[int, float]  # 0 CN...x.y, 1 no CN, 2 no dot, 3 neither
    ipc_styles: dict[int, float]  # 0 A61B5/00, 1 A61B 5/00, 2 A61B0005000000


_CNIPA = _ExportTool(
    "cnipa", "专利导出_CNIPA", "csv", "gb18030",
    {"app_no": "申请号", "app_date": "申请日", "pub_no": "公开(公告)号",
     "pub_date": "公开(公告)日", "grant_date": "授权公告日", "patent_type": "专利类型",
     "title": "专利名称", "abstract": "摘要", "applicants": "申请(专利权)人",
     "applicant_type": "申请人类型", "applicant_address": "申请人地址",
     "province_code": "国省代码", "inventors": "发明(设计)人", "ipc_main": "主分类号",
     "ipc_codes": "分类号", "agency": "代理机构", "agents": "代理人",
     "family_members": "简单同族", "family_size": "同族数量", "cites": "引证",
     "cited_by_count": "被引证次数", "claims_count": "权利要求数", "legal_status": "法律状态",
     "transfer_count": "转让次数", "licence_count": "许可次数", "pledge_count": "质押次数"},
    {DOTTED: 0.6, ISO: 0.2, COMPACT: 0.1, SLASH: 0.1}, (";", "；"),
    {0: 0.6, 1: 0.3, 2: 0.05, 3: 0.05}, {0: 0.7, 1: 0.3})
_INCOPAT = _ExportTool(
    "incopat", "专利导出_incoPat", "xlsx", "utf-8",
    {"app_no": "申请号码", "app_date": "申请日期", "pub_no": "公开（公告）号",
     "pub_date": "公开（公告）日", "grant_date": "授权日", "patent_type": "专利种类",
     "title": "标题", "abstract": "摘要(中文)", "applicants": "申请人",
     "current_owners": "当前权利人", "applicant_type": "第一申请人类型",
     "applicant_address": "第一申请人地址", "inventors": "发明人", "ipc_main": "IPC主分类",
     "ipc_codes": "IPC分类号", "agency": "专利代理机构", "agents": "专利代理人",
     "family_members": "简单同族成员", "family_size": "简单同族个数", "cites": "引证专利",
     "cited_by_count": "被引用次数", "claims_count": "权利要求数量",
     "legal_status": "当前法律状态", "transfer_count": "权利转移次数",
     "licence_count": "许可备案次数", "pledge_count": "质押保全次数"},
    {XL_DATE: 0.8, XL_SERIAL: 0.05, CHINESE: 0.1, SLASH: 0.05}, ("；", "\n", "、"),
    {0: 0.7, 2: 0.2, 3: 0.1}, {0: 0.85, 1: 0.15})
_PATSNAP = _ExportTool(
    "patsnap", "专利导出_PatSnap", "csv", "utf-8-sig",
    {"app_no": "专利申请号", "app_date": "申请日期(年月日)", "pub_no": "公开号",
     "pub_date": "公开日", "grant_date": "授权日期", "patent_type": "类型",
     "title": "标题(中文)", "abstract": "中文摘要", "first_claim": "独立权利要求",
     "applicants": "原始申请人", "current_owners": "当前专利权人",
     "applicant_address": "地址", "inventors": "发明（设计）人", "ipc_main": "主IPC",
     "ipc_codes": "全部IPC", "agency": "代理机构", "agents": "代理人",
     "family_members": "同族专利", "family_size": "简单同族数量", "cites": "引用专利",
     "cited_by_count": "被引次数", "claims_count": "权项数", "legal_status": "简单法律状态",
     "transfer_count": "转让次数", "licence_count": "许可次数", "pledge_count": "质押次数"},
    {ISO: 0.7, COMPACT: 0.2, CHINESE: 0.1}, (",", "，", ";"),
    {0: 0.4, 3: 0.4, 1: 0.2}, {0: 0.5, 2: 0.5})
_TOOLS = (_CNIPA, _INCOPAT, _PATSNAP)

# Registry files: kind -> (file stem, small-mode format, header per field, date styles).
_REGISTRY_FILES: dict[str, tuple[str, str, dict[str, str]]] = {
    "enterprises": ("企业名录", "xlsx", {
        "name": "企业名称", "credit_code": "统一社会信用代码", "address": "注册地址",
        "street": "所在街道", "park": "所在园区", "industry": "所属行业", "tags": "企业资质",
        "founded_year": "成立日期", "size": "企业规模", "overseas": "是否有海外业务"}),
    "institutes": ("科研机构名录", "csv", {
        "name": "机构名称", "credit_code": "统一社会信用代码", "kind": "机构类型",
        "field": "研究领域", "address": "地址", "street": "所在街道", "resident": "是否驻区",
        "aliases": "曾用名/别名"}),
    "parks": ("园区名录", "xlsx", {
        "name": "园区名称", "kind": "园区类型", "street": "所在街道",
        "focus_industries": "主导产业", "address": "园区地址"}),
    "industries": ("主导产业体系", "xlsx", {
        "industry_id": "产业编号", "name": "产业名称", "parent": "上级产业",
        "ipc_prefixes": "IPC范围", "sei_codes": "战略性新兴产业代码"}),
    "awards": ("获奖清单", "xlsx", {
        "award_name": "奖项名称", "level": "奖项级别", "grade": "获奖等级", "year": "获奖年度",
        "project": "项目名称", "patents": "获奖专利号", "winners": "完成单位"}),
    "financial_institutions": ("金融机构名录", "csv", {
        "name": "金融机构名称", "kind": "机构类别", "credit_code": "统一社会信用代码"}),
    "financing_products": ("知识产权金融产品", "xlsx", {
        "product_id": "产品编号", "name": "产品名称", "kind": "产品类型",
        "institution": "提供机构", "rate": "参考利率", "max_amount": "最高额度",
        "terms": "产品说明", "users": "使用企业"}),
    "pledges": ("知识产权质押登记", "csv", {
        "pledge_id": "质押登记号", "pledgor": "出质人", "pledgee": "质权人",
        "patents": "质押专利", "trademarks": "质押商标", "copyrights": "质押著作权",
        "amount": "质押金额", "start_date": "质押登记日", "end_date": "到期日",
        "product": "融资产品"}),
    "licences": ("专利实施许可备案", "xlsx", {
        "licence_id": "备案号", "patents": "专利号", "licensor": "许可人",
        "licensee": "被许可人", "kind": "许可类型", "fee_model": "计费方式", "fee": "许可费",
        "royalty_rate": "提成比例", "start_date": "生效日", "end_date": "终止日"}),
    "open_licences": ("开放许可声明", "csv", {
        "offer_id": "声明编号", "patent": "专利号", "licensor": "许可人",
        "fee_model": "付费方式", "fee": "许可使用费", "royalty_rate": "提成比例",
        "declared_date": "声明日", "platform": "发布平台", "field": "技术领域",
        "industry": "适用产业"}),
    "transfers": ("专利转让登记", "csv", {
        "transfer_id": "转让登记号", "patent": "专利号", "from_name": "转让人",
        "to_name": "受让人", "date": "转让日期", "amount": "转让金额"}),
    "insurance": ("知识产权保险保单", "xlsx", {
        "policy_id": "保单号", "kind": "险种", "insured": "投保人", "insurer": "保险公司",
        "patents": "保险专利", "amount": "保险金额", "premium": "保费",
        "start_date": "起保日", "end_date": "终保日"}),
    "trademarks": ("商标注册信息", "csv", {
        "reg_no": "注册号", "name": "商标名称", "owner": "注册人", "classes": "国际分类",
        "valid_until": "专用权期限"}),
    "copyrights": ("软件著作权登记", "csv", {
        "reg_no": "登记号", "name": "软件名称", "owner": "著作权人", "kind": "作品类别",
        "reg_date": "登记日期"}),
    "products": ("专利密集型产品备案", "xlsx", {
        "product_id": "产品编号", "name": "产品名称", "maker": "生产企业",
        "patents": "核心专利", "filing_status": "备案状态", "year": "备案年度",
        "revenue": "年销售收入"}),
    "contracts": ("技术合同登记", "xlsx", {
        "contract_id": "合同登记号", "name": "合同名称", "kind": "合同类型", "seller": "卖方",
        "buyer": "买方", "amount": "成交额", "signed_date": "签订日期", "patents": "涉及专利",
        "registered": "是否登记"}),
    "events": ("路演对接活动", "xlsx", {
        "event_id": "活动编号", "name": "活动名称", "kind": "活动类型", "date": "活动日期",
        "place": "活动地点", "organiser": "主办单位", "enterprises": "参会企业",
        "institutes": "参会科研机构", "investors": "参会投资机构", "patents": "展示专利"}),
    "agencies": ("知识产权服务机构", "csv", {
        "name": "服务机构名称", "kind": "机构类型", "credit_code": "统一社会信用代码",
        "address": "办公地址"}),
}
# Which canonical fields carry which type (read from formats.yaml once).
_DATE_FIELDS = {"date", "year"}


def _field_types() -> dict[str, dict[str, str]]:
    raw = yaml.safe_load(FORMATS_PATH.read_text(encoding="utf-8"))
    return {k: {f: spec["type"] for f, spec in v["fields"].items()}
            for k, v in raw["kinds"].items()}


# ----------------------------------------------------------------------------- rendering
def _app_no_cells(p: _Patents, idx: np.ndarray, styles: np.ndarray) -> np.ndarray:
    digits, check = p.app_digits[idx], p.check[idx]
    return np.select([styles == 0, styles == 1, styles == 2],
                     ["CN" + digits + "." + check, digits + "." + check,
                      "CN" + digits + check], digits + check).astype(object)


def _ipc_cells(codes: np.ndarray, styles: np.ndarray) -> np.ndarray:
    out = np.full(len(codes), None, dtype=object)
    for i, (c, s) in enumerate(zip(codes, styles, strict=True)):
        if c is None:
            continue
        if s == 0:
            out[i] = c
        elif s == 1:
            out[i] = c[:4] + " " + c[4:]
        else:
            grp, sub = c[4:].split("/")
            out[i] = f"{c[:4]}{int(grp):04d}{sub.ljust(6, '0')}"
    return out


def _render_patents(rng: np.random.Generator, w: _World, p: _Patents, idx: np.ndarray,
                    tool: _ExportTool, xlsx: bool) -> pd.DataFrame:
    """One export file's rows: the tool's headers, spellings and cell styles."""
    m = len(idx)
    date_styles = _choice(rng, m, tool.date_styles)
    if not xlsx:  # csv cannot hold real date cells
        date_styles = np.where(date_styles >= XL_DATE, ISO, date_styles)
    seps = np.array(tool.seps, dtype=object)[rng.integers(0, len(tool.seps), m)]
    titles = _titles(p, idx)
    cols: dict[str, Any] = {}  # column -> ndarray or list
    cols["app_no"] = _app_no_cells(p, idx, _choice(rng, m, tool.appno_styles))
    cols["app_date"] = _date_cells(p.app_day[idx], date_styles)
    cols["pub_no"] = p.pub_no[idx]
    cols["pub_date"] = _date_cells(p.pub_day[idx], date_styles)
    cols["grant_date"] = _date_cells(p.grant_day[idx], date_styles)
    cols["patent_type"] = np.array(TYPE_ZH, dtype=object)[p.ptype[idx]]
    pad = rng.random(m) < 0.03  # stray spaces around a few titles
    cols["title"] = np.where(pad, " " + titles + " ", titles)
    cols["abstract"] = _abstracts(p, idx, titles)
    # applicants: registry spelling or a variant; former names for the renamed institute
    o1, o2 = p.org1[idx], p.org2[idx]
    var = p.variant[idx]
    old = w.orgs["old_name"].to_numpy()
    a1 = np.where(var[:, 0] < 0, old[o1], w.variants[o1, np.maximum(var[:, 0], 0)])
    a2 = w.variants[np.maximum(o2, 0), var[:, 1]]
    cols["applicants"] = np.where(o2 >= 0, a1 + seps + a2, a1)
    own = p.owner[idx]
    names = w.orgs["name"].to_numpy()
    cols["current_owners"] = np.where(own != o1, names[own],
                                      np.where(o2 >= 0, names[o1] + seps + names[o2],
                                               names[o1]))
    kind = w.orgs["kind"].to_numpy()[o1]
    cols["applicant_type"] = np.select([kind == "高校", kind == "科研院所", kind == "医院"],
                                       ["大专院校", "科研单位", "机关团体"], "企业").astype(object)
    cols["applicant_address"] = (w.orgs["postcode"].to_numpy()[o1] + " "
                                 + w.orgs["address"].to_numpy()[o1])
    addr = w.orgs["address"].to_numpy()[o1].astype(str)
    cols["province_code"] = np.select([np.char.startswith(addr, "北京"),
                                       np.char.startswith(addr, "上海")], ["11", "31"],
                                      "12").astype(object)
    inv = p.inventors[idx]
    inv_names = w.inventor_names[np.maximum(inv, 0)]
    s = inv_names[:, 0].copy()
    for j in range(1, 6):
        s = np.where(inv[:, j] >= 0, s + seps + inv_names[:, j], s)
    cols["inventors"] = s
    ipc_styles = _choice(rng, m, tool.ipc_styles)
    ipc_cells = np.stack([_ipc_cells(p.ipc[idx, c], ipc_styles) for c in range(4)], axis=1)
    cols["ipc_main"] = ipc_cells[:, 0]
    s = ipc_cells[:, 0].copy()
    for c in range(1, 4):
        present = np.array([v is not None for v in ipc_cells[:, c]], dtype=bool)
        filled = np.where(present, ipc_cells[:, c], "")
        s = np.where(present, s + seps + filled, s)
    cols["ipc_codes"] = s
    ag = p.agency[idx]
    ag_names = w.agencies["name"].to_numpy(dtype=object)
    cols["agency"] = np.where(ag >= 0, ag_names[np.maximum(ag, 0)], None)
    agents: list[str | None] = []
    for a, (x, y) in zip(ag, p.agents[idx], strict=True):
        if a < 0:
            agents.append(None)
            continue
        pool = w.agents[a]
        agents.append(pool[x] + ("；" + pool[y] if y >= 0 else ""))
    cols["agents"] = agents
    fam = [p.family[i] for i in idx]
    cols["family_members"] = [";".join(f) if f else None for f in fam]
    cols["family_size"] = [len(f) if f else 1 for f in fam]
    # citations: earlier application numbers of this data set
    lo = np.searchsorted(p.cites_src, idx)
    hi = np.searchsorted(p.cites_src, idx, side="right")
    cites: list[str | None] = []
    for i_pos, (a, b) in enumerate(zip(lo, hi, strict=True)):
        if a == b:
            cites.append(None)
        else:
            cites.append(seps[i_pos].join(p.app_no[p.cites_dst[a:b]]))
    cols["cites"] = cites
    cited = np.bincount(p.cites_dst, minlength=p.n)
    cols["cited_by_count"] = cited[idx] + p.cited_extra[idx]
    cols["claims_count"] = p.claims[idx]
    cols["legal_status"] = np.array(STATUS_WORDS[tool.key], dtype=object)[p.status[idx]]
    if tool.key == "incopat":  # a pending utility model is not in substantive examination
        cols["legal_status"] = np.where((p.status[idx] == ST_PENDING) & (p.ptype[idx] != 0),
                                        "审中", cols["legal_status"])
    assert p.transfers is not None and p.licences is not None and p.pledges is not None
    cols["transfer_count"] = p.transfers[idx]
    cols["licence_count"] = p.licences[idx]
    cols["pledge_count"] = p.pledges[idx]
    if "first_claim" in tool.headers:
        d_parts = [np.array(d.parts, dtype=object) for d in V.DOMAINS]
        ti = p.title_idx[idx]
        part_a = np.array([d_parts[d][t] for d, t in zip(p.domain[idx], ti[:, 4],
                                                         strict=True)], dtype=object)
        part_b = np.array([d_parts[d][t] for d, t in zip(p.domain[idx], ti[:, 5],
                                                         strict=True)], dtype=object)
        cols["first_claim"] = ("1.一种" + np.array([str(t).removeprefix("一种") for t in titles],
                                                  dtype=object)
                               + "，其特征在于，包括" + part_a + "和" + part_b + "。")
    return pd.DataFrame({tool.headers[f]: cols[f] for f in tool.headers})


def _app_list(cells: np.ndarray, pats: Iterable[int], sep: str) -> str:
    return sep.join(cells[list(pats)])


def _registry_frames(rng: np.random.Generator, w: _World, p: _Patents,
                     regs: dict[str, list[dict]], small: bool) -> dict[str, pd.DataFrame]:
    """Registry rows rendered into cells (canonical field names as columns)."""

    def in_xlsx(kind: str) -> bool:  # real date and number cells only where Excel holds them
        return small and _REGISTRY_FILES[kind][1] == "xlsx"

    types = _field_types()
    n_inst = w.n_inst
    orgs = w.orgs
    tags = w.extra["tags"]
    frames: dict[str, pd.DataFrame] = {}
    ref = w.ref
    streets = dict(ref.streets)
    dom_names = [d.name for d in V.DOMAINS]
    # how registries spell each patent number (mostly CN...x.y, some without CN or dot)
    ref_cells = _app_no_cells(p, np.arange(p.n), _choice(rng, p.n, {0: 0.7, 1: 0.15, 2: 0.1,
                                                                     3: 0.05}))
    # enterprises
    ents = orgs[(orgs.index >= n_inst) & orgs["in_registry"]]
    first_year = pd.Series(_ymd(p.app_day)[0]).groupby(p.org1).min()
    founded = []
    for o in ents.index:
        y = int(2000 + (o * 7919) % 22)
        if o in first_year.index:
            y = min(y, int(first_year[o]) - int(o % 3))
        founded.append(y)
    f_days = np.array([_days(dt.date(y, 1 + o % 12, 1 + o % 27)) for y, o in zip(
        founded, ents.index, strict=True)])
    f_styles = _choice(rng, len(ents), {XL_DATE: 0.6, ISO: 0.2, CHINESE: 0.2}
                       if in_xlsx("enterprises")
                       else {ISO: 0.6, SLASH: 0.2, CHINESE: 0.2})
    year_cells = _date_cells(f_days, f_styles)
    year_cells = np.where(rng.random(len(ents)) < 0.3, np.array(founded, dtype=object),
                          year_cells)
    sizes = np.array(["大型", "中型", "小型", "微型"], dtype=object)
    tag_seps = np.array(["、", "；", ","], dtype=object)
    frames["enterprises"] = pd.DataFrame({
        "name": ents["name"].to_numpy(),
        "credit_code": ents["credit_code"].replace("", None).to_numpy(),
        "address": ents["address"].to_numpy(),
        "street": [streets.get(s) for s in ents["street_code"]],
        "park": ents["park"].replace("", None).to_numpy(),
        "industry": [dom_names[d] for d in ents["domain"]],
        "tags": [tag_seps[o % 3].join(tags.get(o, ())) or None for o in ents.index],
        "founded_year": year_cells,
        "size": sizes[_choice(rng, len(ents), {0: 0.05, 1: 0.2, 2: 0.5, 3: 0.25})],
        "overseas": np.where(rng.random(len(ents)) < 0.15, "是", "否"),
    })
    # institutes (with former names as aliases)
    inst = orgs.iloc[:n_inst]
    frames["institutes"] = pd.DataFrame({
        "name": inst["name"].to_numpy(),
        "credit_code": inst["credit_code"].replace("", None).to_numpy(),
        "kind": inst["kind"].to_numpy(),
        "field": [V.DOMAINS[d].field_zh if d >= 0 else "综合" for d in inst["domain"]],
        "address": inst["address"].to_numpy(),
        "street": [streets.get(s) for s in inst["street_code"]],
        "resident": np.where(inst["resident"], "是", "否"),
        "aliases": [o or None for o in inst["old_name"]],
    })
    frames["parks"] = pd.DataFrame({
        "name": [x[0] for x in V.PARKS], "kind": [x[1] for x in V.PARKS],
        "street": [streets[x[2]] for x in V.PARKS],
        "focus_industries": ["、".join(x[3]) for x in V.PARKS],
        "address": [f"天津市河东区{streets[x[2]]}{V.ROADS[i % len(V.ROADS)]}{10 + i * 7}号"
                    for i, x in enumerate(V.PARKS)],
    })
    frames["industries"] = pd.DataFrame({
        "industry_id": [d.industry_id for d in V.DOMAINS], "name": dom_names,
        "parent": [d.parent for d in V.DOMAINS],
        "ipc_prefixes": [";".join(d.ipc_prefixes) for d in V.DOMAINS],
        "sei_codes": [";".join(d.sei_codes) or None for d in V.DOMAINS],
    })
    frames["financial_institutions"] = w.fis.assign(
        credit_code=w.fis["credit_code"].replace("", None))
    users = w.extra["product_users"]
    fp = w.fin_products.copy()
    fp["users"] = ["、".join(dict.fromkeys(users.get(nm, []))) or None for nm in fp["name"]]
    frames["financing_products"] = fp
    frames["agencies"] = w.agencies
    for kind, rows in regs.items():
        df = pd.DataFrame(rows)
        xlsx = in_xlsx(kind)
        for f, t in types[kind].items():
            if f not in df:
                continue
            if t in ("app_no", "app_no_list"):
                sep = "；" if kind in ("awards", "events") else ";"
                df[f] = [(_app_list(ref_cells, v if isinstance(v, list) else [v], sep) or None)
                         if (isinstance(v, list) and v) or not isinstance(v, list) else None
                         for v in df[f]]
            elif t == "list":
                df[f] = [("、".join(v) if kind == "events" else ";".join(v)) or None
                         for v in df[f]]
            elif t == "date":
                styles = _choice(rng, len(df), {XL_DATE: 0.7, COMPACT: 0.1, XL_SERIAL: 0.1,
                                                CHINESE: 0.1} if xlsx
                                 else {ISO: 0.5, SLASH: 0.2, COMPACT: 0.15, CHINESE: 0.15})
                days = np.array([-1 if v is None or np.isnan(v) else int(v)
                                 for v in df[f].astype(float)], dtype=np.int64)
                df[f] = _date_cells(days, styles)
            elif t == "money":
                df[f] = _money_cells(rng, df[f].astype(float).to_numpy(), 0.4, xlsx)
            elif t == "bool":
                df[f] = np.where(df[f].astype(bool), "是", "否")
            elif t == "float":
                df[f] = [None if v is None or np.isnan(v) else float(v) for v in df[f]]
        frames[kind] = df
    return frames


# ----------------------------------------------------------------------------- writers
def _write_xlsx(path: Path, sheets: list[tuple[str, pd.DataFrame]]) -> None:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False,
                                         "strings_to_urls": False})
    wb.set_properties(_XLSX_PROPS)
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    head_fmt = wb.add_format({"bold": True})
    for sheet_name, df in sheets:
        ws = wb.add_worksheet(sheet_name)
        for c, h in enumerate(df.columns):
            ws.write_string(0, c, str(h), head_fmt)
            ws.set_column(c, c, max(10, min(40, len(str(h)) * 2 + 4)))
        for c, col in enumerate(df.columns):
            for r, v in enumerate(df[col].tolist(), start=1):
                if v is None or (isinstance(v, float) and np.isnan(v)):
                    continue
                if isinstance(v, dt.datetime):
                    ws.write_datetime(r, c, v, date_fmt)
                elif isinstance(v, bool | np.bool_):
                    ws.write_string(r, c, "是" if v else "否")
                elif isinstance(v, int | float | np.integer | np.floating):
                    ws.write_number(r, c, float(v) if isinstance(v, np.floating) else int(v)
                                    if isinstance(v, int | np.integer) else v)
                else:
                    ws.write_string(r, c, str(v))
        ws.freeze_panes(1, 0)
    wb.close()


def _write_csv(path: Path, df: pd.DataFrame, encoding: str, append: bool = False) -> None:
    df.to_csv(path, index=False, encoding=encoding, lineterminator="\n",
              mode="a" if append else "w", header=not append)


def _readme(n: int, seed: int, files: list[Path]) -> str:
    lines = [
        "河东区专利转化知识图谱 —— 示例数据说明",
        "",
        "本目录中的全部数据均为程序自动生成的虚构示例数据（patentkg generate），仅用于功能演示、",
        "培训与测试，不代表任何真实单位、个人、专利或交易。",
        "",
        "· 企业、科研院所、高校、医院、银行、保险、投资、担保、服务机构等名称均为虚构，如与真实",
        "  单位重名纯属巧合；发明人、代理人姓名均为随机组合。",
        "· 申请号、公开号、统一社会信用代码按真实规则计算校验位，但并不对应真实记录。",
        "· 园区名称（棉三创意街区、帅达/帅超/帅越/先之/信华/鑫帅领/一机床创新产业园、医疗器械",
        "  产业园、金贸产业集聚区、鑫创产业集聚区）与街道名称取自《河东区专利转化运用举措》和",
        "  国家统计局区划代码，是真实地名；园区所在街道及地址为示意。",
        "· IPC 分类号取自国家知识产权局中文版 IPC（大组级），战略性新兴产业代码取自《战略性新兴",
        "  产业分类与国际专利分类参照关系表（2021）》。",
        "· 文件故意模仿不同检索工具的导出格式（表头写法、编码、日期与金额写法、分隔符各不相同），",
        "  用于检验导入程序的规范化能力；所有单元格均为有效数据。",
        "",
        f"生成参数：专利数 {n}，随机种子 {seed}；数据基准日 {REF_DATE.isoformat()}。",
        "",
        "文件清单：",
    ]
    lines += [f"  {f.name}" for f in files]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- public API
def generate_demo(out_dir: Path, *, patents: int = 5000, seed: int = 20241) -> list[Path]:
    """Write the full fictional demo data set for Hedong District and return the files."""
    if patents < 100:
        raise ValueError("patents must be at least 100")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    world = _build_world(rng, patents)
    p = _build_patents(rng, world, patents)
    world.extra["tags"] = _enterprise_tags(rng, world, p)
    regs = _build_registries(rng, world, p)
    small = patents <= SMALL_LIMIT
    written: list[Path] = []
    # patent exports
    if small:
        for t_i, tool in enumerate(_TOOLS):
            idx = np.flatnonzero(p.source == t_i)
            idx = idx[np.argsort(p.app_no[idx].astype(str), kind="stable")]
            df = _render_patents(rng, world, p, idx, tool, xlsx=tool.fmt == "xlsx")
            path = out_dir / f"{tool.file_stem}.{tool.fmt}"
            if tool.fmt == "xlsx":
                _write_xlsx(path, [("专利列表", df)])
            else:
                _write_csv(path, df, tool.encoding)
            written.append(path)
    else:
        order = np.argsort(p.app_no.astype(str), kind="stable")
        # a few files, one per imitated tool at least, none above CHUNK_ROWS rows
        n_chunks = max(len(_TOOLS), -(-patents // CHUNK_ROWS))
        rows = -(-patents // n_chunks)
        for c in range(n_chunks):
            idx = order[c * rows:(c + 1) * rows]
            tool = _TOOLS[c % len(_TOOLS)]
            df = _render_patents(rng, world, p, idx, tool, xlsx=False)
            path = out_dir / f"{tool.file_stem}_{c + 1}.csv"
            _write_csv(path, df, "utf-8")
            written.append(path)
            del df
    frames = _registry_frames(rng, world, p, regs, small)
    for kind, (stem, fmt, headers) in _REGISTRY_FILES.items():
        df = frames[kind]
        df = pd.DataFrame({headers[f]: df[f] if f in df else None for f in headers})
        if small and fmt == "xlsx":
            path = out_dir / f"{stem}.xlsx"
            _write_xlsx(path, [(stem[:31], df)])
        else:
            path = out_dir / f"{stem}.csv"
            encoding = ("gb18030" if small and kind == "pledges"
                        else "utf-8-sig" if small else "utf-8")
            _write_csv(path, df, encoding)
        written.append(path)
    readme = out_dir / README_NAME
    readme.write_text(_readme(patents, seed, written), encoding="utf-8")
    written.append(readme)
    return written


def _enterprise_tags(rng: np.random.Generator, w: _World, p: _Patents) -> dict[int, tuple]:
    """Qualification tags, likelier for enterprises with more (valid) patents."""
    n_inst = w.n_inst
    counts = np.bincount(p.org1, weights=p.valid.astype(float), minlength=len(w.orgs))
    tags: dict[int, tuple] = {}
    in_registry = w.orgs["in_registry"].to_numpy()
    for o in range(n_inst, len(w.orgs)):
        if not in_registry[o]:
            continue
        c = counts[o]
        t = []
        if rng.random() < min(0.9, 0.25 + 0.05 * c):
            t.append("高新技术企业")
        if rng.random() < 0.4:
            t.append("科技型中小企业")
        if rng.random() < min(0.6, 0.05 + 0.02 * c):
            t.append("专精特新")
        if rng.random() < min(0.3, 0.01 + 0.01 * c):
            t.append("知识产权优势示范企业")
        tags[o] = tuple(t)
    return tags


def write_templates(out_dir: Path) -> list[Path]:
    """Write one empty .xlsx template per input kind (headers + a "说明" sheet of fields)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    raw = yaml.safe_load(FORMATS_PATH.read_text(encoding="utf-8"))
    type_zh = {"str": "文本", "int": "整数", "float": "数字", "money": "金额（元，可写“万元”）",
               "date": "日期", "year": "年份", "bool": "是/否", "list": "多值（用；或、分隔）",
               "app_no": "申请号", "app_no_list": "申请号（多个用；分隔）", "ipc": "IPC分类号",
               "ipc_list": "IPC分类号（多个用；分隔）", "credit_code": "统一社会信用代码（18位）"}
    written = []
    for kind, spec in raw["kinds"].items():
        fields = spec["fields"]
        data = pd.DataFrame({f["header"]: pd.Series(dtype=object) for f in fields.values()})
        notes = pd.DataFrame({
            "表头": [f["header"] for f in fields.values()],
            "可接受的其他写法": ["、".join(f.get("aliases") or []) for f in fields.values()],
            "类型": [type_zh.get(f["type"], f["type"]) for f in fields.values()],
            "必填": ["是" if f.get("required") else "否" for f in fields.values()],
            "字段": list(fields),
        })
        title = spec["title_zh"].split("（")[0].replace("/", "、")
        path = out_dir / f"模板_{title}_{kind}.xlsx"
        _write_xlsx(path, [("数据", data), ("说明", notes)])
        written.append(path)
    return written
