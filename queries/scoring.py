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


@dataclass(slots=True)  # a million of them during a refresh
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


Part = tuple[float | None, str, str]  # (score in [0, 1] or None, evidence state, note)


def _validity(rules: dict[str, Any], is_valid: Any, has_grant: bool, status: str | None
              ) -> Part:
    if is_valid is True:
        return 1.0, PRESENT, status or "有效"
    if not has_grant and any(w in (status or "") for w in rules["tiers"]["pending_status_words"]):
        return 0.5, PRESENT, status or "审中"
    if is_valid is False:
        return 0.0, PRESENT, status or "无效"
    return None, MISSING, "法律状态未知"


def _patent_type(rules: dict[str, Any], ptype: str | None) -> Part:
    if ptype is not None and ptype in rules["type_scores"]:
        return rules["type_scores"][ptype], PRESENT, TYPE_ZH.get(ptype, ptype)
    return None, MISSING, "类型未知"


def _remaining_term(rules: dict[str, Any], ptype: str | None, is_valid: Any,
                    remaining: Any) -> Part:
    term = rules["statutory_term_years"].get(ptype or "")
    rem = _num(remaining)
    if is_valid is False:
        return None, NOT_APPLICABLE, "已不在保护期"
    if rem is None or not term:
        return None, MISSING, "剩余期限未知"
    return _sat(rem, term), PRESENT, f"剩余 {rem:.1f} 年"


def _family_abroad(rules: dict[str, Any], abroad: Any, family_size: Any) -> Part:
    size = _num(family_size)
    if abroad is True:
        return 1.0, PRESENT, f"有海外同族（同族 {int(size or 0)} 件）"
    if abroad is False or size is not None:
        return (0.5 * _sat((size or 1) - 1, rules["saturation"]["family_size"] - 1), PRESENT,
                f"无海外同族（同族 {int(size or 1)} 件）")
    return None, MISSING, "同族信息缺失"


def _invalidation(rules: dict[str, Any], invalidation: str | None) -> Part:
    inval = (invalidation or "").strip()
    if not inval:
        return None, NOT_APPLICABLE, "无无效宣告请求"
    if "全部无效" in inval or ("宣告" in inval and "无效" in inval and "维持" not in inval):
        return 0.0, PRESENT, inval
    if "部分" in inval:
        return 0.6, PRESENT, inval
    return 1.0, PRESENT, inval


def _ipc_scope(rules: dict[str, Any], n: int) -> Part:
    if n:
        return _sat(n, rules["saturation"]["ipc_scope"]), PRESENT, f"{n} 个小类"
    return None, MISSING, "无IPC分类"


def _forward_citations(rules: dict[str, Any], cited: Any) -> Part:
    cites = _num(cited)
    if cites is None:
        return None, MISSING, "被引证次数缺失"
    at = rules["saturation"]["forward_citations"]
    return min(1.0, math.log1p(cites) / math.log1p(at)), PRESENT, f"被引 {int(cites)} 次"


def _claims(rules: dict[str, Any], ptype: str | None, count: Any) -> Part:
    claims = _num(count)
    if ptype == "design":
        return None, NOT_APPLICABLE, "外观设计无权利要求"
    if claims is None:
        return None, MISSING, "权利要求数缺失"
    return _sat(claims, rules["saturation"]["claims"]), PRESENT, f"{int(claims)} 项"


def _counted(rules: dict[str, Any], name: str, export_count: Any, edges: int) -> Part:
    return _count_component(export_count, edges, rules["saturation"][name])


def _products(rules: dict[str, Any], products: int, has_registry: bool) -> Part:
    if products:
        return _sat(products, rules["saturation"]["products"]), PRESENT, f"{products} 个产品"
    if has_registry:
        return 0.0, PRESENT, "未见产品应用"
    return None, MISSING, "未导入产品备案"


def _awards(rules: dict[str, Any], awards: tuple[tuple[Any, Any], ...], has_registry: bool
            ) -> Part:
    if awards:  # (name, level) per award
        levels = rules["award_level_scores"]
        best = max(levels.get(level or "", 0.3) for _, level in awards)
        return best, PRESENT, "、".join(sorted({str(name) for name, _ in awards}))
    if has_registry:
        return 0.0, PRESENT, "未获奖"
    return None, MISSING, "未导入获奖清单"


def _industry_fit(rules: dict[str, Any], subsectors: tuple[str, ...], in_sei: Any,
                  has_subclasses: bool) -> Part:
    if subsectors:
        return 1.0, PRESENT, "主导产业：" + "、".join(subsectors)
    if in_sei is True:
        return 0.7, PRESENT, "属于战略性新兴产业"
    if has_subclasses or in_sei is False:
        return 0.0, PRESENT, "未匹配主导产业或战新产业"
    return None, MISSING, "无IPC分类"


def _parts(f: Facts) -> list[tuple[str, Any, tuple[Any, ...]]]:
    """Each component's name, function and inputs, in the order of the components dict."""
    n_sub = len(set(f.ipc_subclasses or []))
    return [
        ("validity", _validity, (f.is_valid, bool(f.grant_date), f.legal_status)),
        ("patent_type", _patent_type, (f.patent_type,)),
        ("remaining_term", _remaining_term, (f.patent_type, f.is_valid, f.remaining_years)),
        ("family_abroad", _family_abroad, (f.has_family_abroad, f.family_size)),
        ("invalidation", _invalidation, (f.invalidation,)),
        ("ipc_scope", _ipc_scope, (n_sub,)),
        ("forward_citations", _forward_citations, (f.cited_by_count,)),
        ("claims", _claims, (f.patent_type, f.claims_count)),
        ("licences", _counted, ("licences", f.licence_count, f.licence_edges)),
        ("transfers", _counted, ("transfers", f.transfer_count, f.transfer_edges)),
        ("pledges", _counted, ("pledges", f.pledge_count, len(f.pledge_amounts))),
        ("products", _products, (f.products, f.has_product_registry)),
        ("awards", _awards, (tuple((a.get("name"), a.get("level")) for a in f.awards),
                             f.has_award_registry)),
        ("industry_fit", _industry_fit, (tuple(f.subsectors), f.in_sei, bool(n_sub))),
    ]


def _component(name: str, part: Part, weights: dict[str, Any]) -> dict[str, Any]:
    s, state, note = part
    return {"score": None if s is None else round(s, 4), "weight": weights[name],
            "state": state, "evidence": note}


def components(f: Facts, rules: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Score each component in [0, 1] with its evidence state and a Chinese evidence note."""
    weights = rules["weights"]
    return {name: _component(name, fn(rules, *args), weights) for name, fn, args in _parts(f)}


def _typed(args: tuple[Any, ...]) -> tuple[Any, ...]:
    # True == 1 == 1.0 as dict keys, but the components tell them apart (`is True`, _num)
    return tuple((type(a), a) for a in args)


# The stored components (Patent.value_components): one token per component in COMPONENTS
# order, joined by ",": the score in [0, 1] (4 decimals) when there is evidence, "?" when
# it is missing, "-" when the component does not apply. About 50 bytes instead of the 1.4 KB
# JSON of `components` (which a million patents made the biggest item of the graph); the
# weights are those of the rule set named by tier_rules_version, and the strongest
# components' Chinese evidence notes are stored beside it (value_strengths).
COMPONENTS = tuple(sorted(COMPONENT_ZH))
_STATE_TOKEN = {MISSING: "?", NOT_APPLICABLE: "-"}
_TOKEN_STATE = {v: k for k, v in _STATE_TOKEN.items()}
STRENGTHS_TOP = 2  # the notes the inventory question shows per patent


def _token(score: float | None, state: str) -> str:
    if state == PRESENT and score is not None:
        return format(score, "g")
    return _STATE_TOKEN.get(state, "?")


def compact(comps: dict[str, dict[str, Any]]) -> str:
    """The stored form of `components`: scores and evidence states, COMPONENTS order."""
    return ",".join(_token(comps[name]["score"], comps[name]["state"]) for name in COMPONENTS)


def expand(text: str, rules: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`components` without the evidence notes, from the stored form and the rule set."""
    tokens = text.split(",")
    if len(tokens) != len(COMPONENTS):
        raise ValueError(f"value_components has {len(tokens)} parts, not {len(COMPONENTS)}")
    out = {}
    for name, tok in zip(COMPONENTS, tokens, strict=True):
        state = _TOKEN_STATE.get(tok, PRESENT)
        out[name] = {"score": float(tok) if state == PRESENT else None,
                     "weight": rules["weights"][name], "state": state}
    return out


def describe(text: str) -> str:
    """The stored form for people: each component's Chinese name and its score, or why it
    has none (缺少证据 = missing evidence, 不适用 = not applicable)."""
    tokens = text.split(",")
    if len(tokens) != len(COMPONENTS):
        return text  # not the stored form (an older graph): shown as it is
    words = {"?": "缺少证据", "-": "不适用"}
    return "；".join(f"{COMPONENT_ZH[name]} {words.get(tok, tok)}"
                    for name, tok in zip(COMPONENTS, tokens, strict=True))


class Scorer:
    """`components` + `value_score` for many patents with one rule set, in the stored form
    (`compact`) with the `strengths` notes.

    A component depends on one to three facts, which a million patents repeat: each is
    computed once per distinct input. Same values as `compact(components)`,
    `strengths(components, STRENGTHS_TOP)` and `value_score(components)`."""

    def __init__(self, rules: dict[str, Any], top: int = STRENGTHS_TOP) -> None:
        self.rules = rules
        self.top = top
        self._cache: dict[tuple[Any, ...], tuple[Any, str, str, float | None, str]] = {}

    def score(self, f: Facts) -> tuple[str, list[str], float, float]:
        """(stored components, strengths, value score, missing share) of one patent."""
        weights = self.rules["weights"]
        parts: dict[str, tuple[Any, str, str, float | None, str]] = {}
        key: tuple[Any, ...] | None
        for name, fn, args in _parts(f):
            try:
                key = (name, *_typed(args))
                hit = self._cache.get(key)
            except TypeError:  # an unhashable fact (not seen in loaded data): no cache
                key, hit = None, None
            if hit is None:
                comp = _component(name, fn(self.rules, *args), weights)
                s, state = comp["score"], comp["state"]
                hit = (s, state, _token(s, state),
                       s * comp["weight"] if state == PRESENT and s else None,
                       f"{COMPONENT_ZH[name]}：{comp['evidence']}")
                if key is not None:
                    self._cache[key] = hit
            parts[name] = hit
        # value_score's sums, in the order of `components` (float addition is not associative)
        present = [(weights[name], s) for name, (s, state, *_) in parts.items()
                   if state == PRESENT]
        missing = sum(weights[name] for name, (_, state, *_) in parts.items() if state == MISSING)
        w_present = sum(w for w, _ in present)
        score = 100.0 * sum(w * s for w, s in present) / w_present if w_present else 0.0
        share = missing / (w_present + missing) if (w_present + missing) else 1.0
        ranked = sorted(((p[3], name) for name, p in parts.items() if p[3] is not None),
                        key=lambda x: (-x[0], x[1]))
        return (",".join(parts[name][2] for name in COMPONENTS),
                [parts[name][4] for _, name in ranked[:self.top]], round(score, 2),
                round(share, 4))


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
    code, basis = tier_basis(f, score, rules)
    return code, tier_reasons(basis)


# The stored tier reasons (Patent.tier_basis): the tier-rule branch and the values its
# sentences need, as one short string instead of a list of Chinese sentences (a heap
# allocation per sentence on every patent). Fields are joined by "|"; the free text (a legal
# status, a patent type's name) comes last, so it may contain "|":
#   X|<status>                        not valid
#   P|<tier>|<status>                 pending application, listed in <tier>
#   A|<criterion name>|...            valid invention meeting these tier-A criteria
#   B|<score>|<threshold>|<type name> valid, not A, by value score (C: below the threshold);
#                                     an empty type name is the invention branch
# The numbers and names are those of the rule set the refresh used, so the sentences never
# depend on the rules file read later. `tier` itself builds its reasons from this form.
_SEP = "|"


def tier_basis(f: Facts, score: float, rules: dict[str, Any]) -> tuple[str, str]:
    """The tier (A/B/C/X) and the stored form of its reasons (see `tier_reasons`)."""
    t = rules["tiers"]
    if f.is_valid is not True:
        if _is_pending(f, rules):
            return t["pending_tier"], _SEP.join(("P", str(t["pending_tier"]),
                                                 str(f.legal_status)))
        return "X", "X" + _SEP + (f.legal_status or "未知")
    met = a_criteria_met(f, rules)
    if f.patent_type == "invention" and met:
        names = [str(t["a_criteria"][m]) for m in met]
        if any(_SEP in n for n in names):
            raise ValueError(f"tier-A criterion names must not contain {_SEP!r}: {names}")
        return "A", _SEP.join(("A", *names))
    kind = "" if f.patent_type == "invention" else TYPE_ZH.get(f.patent_type or "", "类型未知")
    code = "B" if score >= t["b_min_score"] else "C"
    return code, _SEP.join((code, f"{score:.1f}", str(t["b_min_score"]), kind))


def tier_reasons(basis: str | list[str]) -> list[str]:
    """The Chinese tier reasons from their stored form (`tier_basis`); a list (stored by a
    refresh older than the stored form) is returned as it is."""
    if not isinstance(basis, str):
        return list(basis)
    code, _, rest = basis.partition(_SEP)
    if code == "X":
        return [f"非有效专利（法律状态：{rest}）"]
    if code == "P":
        pending, _, status = rest.partition(_SEP)
        return [f"审中（法律状态：{status}），尚未授权，暂列{pending}级"]
    if code == "A":
        return ["有效发明专利", *rest.split(_SEP)]
    if code not in ("B", "C"):
        raise ValueError(f"not a stored tier basis: {basis!r}")
    score, threshold, kind = rest.split(_SEP, 2)
    first = (f"{kind}专利，不适用高价值发明专利认定" if kind
             else "有效发明专利，但未满足高价值发明专利认定条件")
    sign = "≥" if code == "B" else "<"
    return [first, f"价值分 {score} {sign} B级阈值 {threshold}"]


def prospect(tier: str | None, uses: int, products: int, subsector_names: list[str],
             fit_enterprises: int) -> tuple[str, str]:
    """A short Chinese industrialisation-prospect note and a level 高/中/低, from the
    licences + transfers of the patent (``uses``), the products using it, its district
    subsectors' names and the district enterprises fitting it. derive.refresh stores the
    level and the counts (Patent.prospect_counts); readers build the note (prospect_note)."""
    notes: list[str] = []
    if uses:
        notes.append(f"已有许可/转让 {uses} 次")
    if products:
        notes.append(f"{products} 个产品在用")
    if subsector_names:
        notes.append("契合主导产业：" + "、".join(subsector_names))
    if fit_enterprises:
        notes.append(f"区内适配企业 {fit_enterprises} 家")
    if tier == "X":
        return "低", "专利已失效，仅可作技术参考"
    if not notes:
        return "低", "暂无转化迹象，未匹配主导产业"
    level = "高" if (uses or products or (subsector_names and fit_enterprises >= 3)) else "中"
    return level, "；".join(notes)


def prospect_note(tier: str | None, stored: list[Any] | str | None,
                  subsector_names: list[str] | None) -> str | None:
    """The prospect note of a patent from what derive.refresh stored: ``stored`` is
    [prospect_counts ("<uses>,<products>", null = both 0), fit_enterprises], or a note stored
    by an older refresh (returned as it is); None for a patent not derived yet (no tier)."""
    if stored is None or isinstance(stored, str):
        return stored
    if tier is None:
        return None
    counts, fit = stored
    uses, products = (int(v) for v in counts.split(",")) if counts else (0, 0)
    return prospect(tier, uses, products, list(subsector_names or []), int(fit or 0))[1]


def strengths(comps: dict[str, dict[str, Any]], top: int = 3) -> list[str]:
    """The strongest present components as short Chinese notes (for reasons columns)."""
    ranked = sorted(((c["score"] * c["weight"], name) for name, c in comps.items()
                     if c["state"] == PRESENT and c["score"]), key=lambda x: (-x[0], x[1]))
    return [f"{COMPONENT_ZH[name]}：{comps[name]['evidence']}" for _, name in ranked[:top]]
