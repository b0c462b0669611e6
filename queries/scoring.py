"""Value score and tier of one patent: pure functions over a dict of facts and the rule set.

The rule set is data (`tiers.yaml`): weights, saturation points, thresholds and the tier-A
criteria. Nothing here touches the store, so the rules are testable on plain dicts and the
same facts always give the same score, tier and reasons.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

RULES_PATH = Path(__file__).with_name("tiers.yaml")

PRESENT, MISSING, NOT_APPLICABLE = "present", "missing", "not_applicable"

COMPONENT_ZH = {
    "validity": "法律状态", "patent_type": "专利类型", "remaining_term": "剩余保护期",
    "family_abroad": "海外同族",
    "invalidation": "无效宣告", "ipc_scope": "IPC覆盖面", "forward_citations": "被引证",
    "claims": "权利要求数", "licences": "许可", "transfers": "转让", "pledges": "质押",
    "products": "产品应用", "awards": "获奖", "industry_fit": "产业契合",
}
TYPE_ZH = {"invention": "发明", "utility_model": "实用新型", "design": "外观设计"}
TIER_ZH = {"A": "A级（高价值）", "B": "B级（较高价值）", "C": "C级（一般）",
           "X": "X级（无效/失效）"}


@lru_cache(maxsize=4)
def _load(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def load_rules(path: Path | None = None) -> dict[str, Any]:
    """The tier rule set (version, weights, thresholds, A criteria) from tiers.yaml."""
    return _load(str(path or RULES_PATH))


@dataclass
class Facts:
    """What the score looks at for one patent (graph properties plus counted edges)."""

    app_no: str
    patent_type: str | None = None
    is_valid: bool | None = None
    legal_status: str | None = None
    grant_date: str | None = None
    remaining_years: float | None = None
    years_maintained: int | None = None
    has_family_abroad: bool | None = None
    family_size: int | None = None
    invalidation: str | None = None
    ipc_subclasses: list[str] = field(default_factory=list)
    cited_by_count: int | None = None
    claims_count: int | None = None
    licence_count: int | None = None
    transfer_count: int | None = None
    pledge_count: int | None = None
    in_sei: bool | None = None
    # from edges
    licence_edges: int = 0
    transfer_edges: int = 0
    pledge_amounts: list[float | None] = field(default_factory=list)
    products: int = 0
    awards: list[dict[str, Any]] = field(default_factory=list)
    subsectors: list[str] = field(default_factory=list)  # district subsector names
    # whether the registries were loaded at all (absence in a loaded registry is evidence)
    has_product_registry: bool = False
    has_award_registry: bool = False


def _num(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def _sat(value: float, at: float) -> float:
    return max(0.0, min(1.0, value / at)) if at > 0 else 0.0


def _count_component(export_count: Any, edges: int, at: float) -> tuple[float | None, str, str]:
    # The export's count column and the registry's edges are two witnesses of the same
    # events: take the larger; only when both are silent is the evidence missing.
    n = _num(export_count)
    if n is None and edges == 0:
        return None, MISSING, "无记录"
    best = max(n or 0.0, float(edges))
    return _sat(best, at), PRESENT, f"{int(best)} 次"


def components(f: Facts, rules: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Score each component in [0, 1] with its evidence state and a Chinese evidence note."""
    sat = rules["saturation"]
    out: dict[str, tuple[float | None, str, str]] = {}

    if f.is_valid is True:
        out["validity"] = (1.0, PRESENT, f.legal_status or "有效")
    elif _is_pending(f, rules):
        out["validity"] = (0.5, PRESENT, f.legal_status or "审中")
    elif f.is_valid is False:
        out["validity"] = (0.0, PRESENT, f.legal_status or "无效")
    else:
        out["validity"] = (None, MISSING, "法律状态未知")

    ptype = f.patent_type
    if ptype in rules["type_scores"]:
        out["patent_type"] = (rules["type_scores"][ptype], PRESENT, TYPE_ZH.get(ptype, ptype))
    else:
        out["patent_type"] = (None, MISSING, "类型未知")

    term = rules["statutory_term_years"].get(ptype or "")
    rem = _num(f.remaining_years)
    if f.is_valid is False:
        out["remaining_term"] = (None, NOT_APPLICABLE, "已不在保护期")
    elif rem is None or not term:
        out["remaining_term"] = (None, MISSING, "剩余期限未知")
    else:
        out["remaining_term"] = (_sat(rem, term), PRESENT, f"剩余 {rem:.1f} 年")

    size = _num(f.family_size)
    if f.has_family_abroad is True:
        out["family_abroad"] = (1.0, PRESENT, f"有海外同族（同族 {int(size or 0)} 件）")
    elif f.has_family_abroad is False or size is not None:
        out["family_abroad"] = (0.5 * _sat((size or 1) - 1, sat["family_size"] - 1), PRESENT,
                                f"无海外同族（同族 {int(size or 1)} 件）")
    else:
        out["family_abroad"] = (None, MISSING, "同族信息缺失")

    inval = (f.invalidation or "").strip()
    if not inval:
        out["invalidation"] = (None, NOT_APPLICABLE, "无无效宣告请求")
    elif "全部无效" in inval or ("宣告" in inval and "无效" in inval and "维持" not in inval):
        out["invalidation"] = (0.0, PRESENT, inval)
    elif "部分" in inval:
        out["invalidation"] = (0.6, PRESENT, inval)
    else:
        out["invalidation"] = (1.0, PRESENT, inval)

    subclasses = sorted(set(f.ipc_subclasses or []))
    if subclasses:
        out["ipc_scope"] = (_sat(len(subclasses), sat["ipc_scope"]), PRESENT,
                            f"{len(subclasses)} 个小类")
    else:
        out["ipc_scope"] = (None, MISSING, "无IPC分类")

    cites = _num(f.cited_by_count)
    if cites is None:
        out["forward_citations"] = (None, MISSING, "被引证次数缺失")
    else:
        out["forward_citations"] = (
            min(1.0, math.log1p(cites) / math.log1p(sat["forward_citations"])), PRESENT,
            f"被引 {int(cites)} 次")

    claims = _num(f.claims_count)
    if ptype == "design":
        out["claims"] = (None, NOT_APPLICABLE, "外观设计无权利要求")
    elif claims is None:
        out["claims"] = (None, MISSING, "权利要求数缺失")
    else:
        out["claims"] = (_sat(claims, sat["claims"]), PRESENT, f"{int(claims)} 项")

    out["licences"] = _count_component(f.licence_count, f.licence_edges, sat["licences"])
    out["transfers"] = _count_component(f.transfer_count, f.transfer_edges, sat["transfers"])
    out["pledges"] = _count_component(f.pledge_count, len(f.pledge_amounts), sat["pledges"])

    if f.products:
        out["products"] = (_sat(f.products, sat["products"]), PRESENT, f"{f.products} 个产品")
    elif f.has_product_registry:
        out["products"] = (0.0, PRESENT, "未见产品应用")
    else:
        out["products"] = (None, MISSING, "未导入产品备案")

    if f.awards:
        levels = rules["award_level_scores"]
        best = max(levels.get(a.get("level") or "", 0.3) for a in f.awards)
        names = "、".join(sorted({str(a.get("name")) for a in f.awards}))
        out["awards"] = (best, PRESENT, names)
    elif f.has_award_registry:
        out["awards"] = (0.0, PRESENT, "未获奖")
    else:
        out["awards"] = (None, MISSING, "未导入获奖清单")

    if f.subsectors:
        out["industry_fit"] = (1.0, PRESENT, "主导产业：" + "、".join(f.subsectors))
    elif f.in_sei is True:
        out["industry_fit"] = (0.7, PRESENT, "属于战略性新兴产业")
    elif subclasses or f.in_sei is False:
        out["industry_fit"] = (0.0, PRESENT, "未匹配主导产业或战新产业")
    else:
        out["industry_fit"] = (None, MISSING, "无IPC分类")

    weights = rules["weights"]
    return {name: {"score": None if s is None else round(s, 4), "weight": weights[name],
                   "state": state, "evidence": note}
            for name, (s, state, note) in out.items()}


def value_score(comps: dict[str, dict[str, Any]]) -> tuple[float, float]:
    """(score 0-100 normalised over components with evidence, share of missing weight)."""
    present = [(c["weight"], c["score"]) for c in comps.values() if c["state"] == PRESENT]
    missing = sum(c["weight"] for c in comps.values() if c["state"] == MISSING)
    w_present = sum(w for w, _ in present)
    score = 100.0 * sum(w * s for w, s in present) / w_present if w_present else 0.0
    share = missing / (w_present + missing) if (w_present + missing) else 1.0
    return round(score, 2), round(share, 4)


def _is_pending(f: Facts, rules: dict[str, Any]) -> bool:
    status = f.legal_status or ""
    return not f.grant_date and any(w in status for w in rules["tiers"]["pending_status_words"])


def a_criteria_met(f: Facts, rules: dict[str, Any]) -> list[str]:
    """Names of the tier-A criteria this patent meets (ignoring validity and type)."""
    t = rules["tiers"]
    met: list[str] = []
    if f.in_sei is True:
        met.append("in_sei")
    if f.has_family_abroad is True:
        met.append("family_abroad")
    years = _num(f.years_maintained)
    if years is not None and years > t["maintained_years_over"]:
        met.append("maintained_over_years")
    if any((a or 0) >= t["pledge_min_amount"] for a in f.pledge_amounts):
        met.append("pledged")
    for a in f.awards:
        name = str(a.get("name") or "")
        if any(w in name for w in t["award_name_contains"]) or (
                a.get("level") in t["award_levels"] and a.get("kind") in (None, "科技奖")):
            met.append("award")
            break
    return met


def tier(f: Facts, score: float, rules: dict[str, Any]) -> tuple[str, list[str]]:
    """The tier (A/B/C/X) and the Chinese reasons for it."""
    t = rules["tiers"]
    if f.is_valid is not True:
        if _is_pending(f, rules):
            return t["pending_tier"], [
                f"审中（法律状态：{f.legal_status}），尚未授权，暂列{t['pending_tier']}级"]
        status = f.legal_status or "未知"
        return "X", [f"非有效专利（法律状态：{status}）"]
    met = a_criteria_met(f, rules)
    if f.patent_type == "invention" and met:
        names = t["a_criteria"]
        return "A", ["有效发明专利"] + [names[m] for m in met]
    reasons: list[str] = []
    if f.patent_type != "invention":
        kind = TYPE_ZH.get(f.patent_type or "", "类型未知")
        reasons.append(f"{kind}专利，不适用高价值发明专利认定")
    else:
        reasons.append("有效发明专利，但未满足高价值发明专利认定条件")
    if score >= t["b_min_score"]:
        reasons.append(f"价值分 {score:.1f} ≥ B级阈值 {t['b_min_score']}")
        return "B", reasons
    reasons.append(f"价值分 {score:.1f} < B级阈值 {t['b_min_score']}")
    return "C", reasons


def strengths(comps: dict[str, dict[str, Any]], top: int = 3) -> list[str]:
    """The strongest present components as short Chinese notes (for reasons columns)."""
    ranked = sorted(((c["score"] * c["weight"], name) for name, c in comps.items()
                     if c["state"] == PRESENT and c["score"]), key=lambda x: (-x[0], x[1]))
    return [f"{COMPONENT_ZH[name]}：{comps[name]['evidence']}" for _, name in ranked[:top]]
