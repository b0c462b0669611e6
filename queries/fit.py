"""Fit of enterprises and parks to technology clusters and district subsectors.

Pure computation: the share of an organisation's patents in the target, its declared industry
(enterprise IN_INDUSTRY / park FOCUSES_ON) matching, and co-applications with institutes that
hold patents in the target. The same function scores a draft invention (pre-application
assessment) so that the two can never disagree.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

Target = tuple[str, str]  # ("TechCluster", cluster_id) | ("Industry", industry_id)


@dataclass
class FitInputs:
    """Everything the fit looks at, as plain maps keyed by business keys."""

    patent_targets: dict[str, set[Target]] = field(default_factory=dict)
    enterprise_patents: dict[str, set[str]] = field(default_factory=dict)
    enterprise_industries: dict[str, set[str]] = field(default_factory=dict)
    institute_patents: dict[str, set[str]] = field(default_factory=dict)
    # enterprise -> institute -> patents applied for together
    co_applications: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    park_enterprises: dict[str, list[str]] = field(default_factory=dict)
    park_industries: dict[str, set[str]] = field(default_factory=dict)
    related_industries: dict[str, set[str]] = field(default_factory=dict)  # self+parent+children
    cluster_industries: dict[str, set[str]] = field(default_factory=dict)
    names: dict[Target, str] = field(default_factory=dict)  # also ("Institute", key)


@dataclass
class Fit:
    source_label: str
    source_key: str
    target_label: str
    target_key: str
    score: float
    patents: int
    share: float
    reasons: list[str]

    def row(self) -> dict[str, object]:
        return {"src": self.source_key, "tgt": self.target_key, "score": self.score,
                "patents": self.patents, "share": self.share, "reasons": self.reasons}


def _target_industries(target: Target, inputs: FitInputs) -> set[str]:
    """The district industries a target stands for (a subsector and its relatives, or the
    subsectors prominent in a cluster)."""
    label, key = target
    base = {key} if label == "Industry" else inputs.cluster_industries.get(key, set())
    out: set[str] = set()
    for ind in base:
        out |= inputs.related_industries.get(ind, {ind})
    return out


def _target_counts(patents: Iterable[str], inputs: FitInputs) -> Counter[Target]:
    counts: Counter[Target] = Counter()
    for app_no in patents:
        counts.update(inputs.patent_targets.get(app_no, ()))
    return counts


def _name(target: Target, inputs: FitInputs) -> str:
    return inputs.names.get(target, target[1])


def score_fit(*, patents: set[str], declared: set[str], partners: Mapping[str, set[str]],
              inputs: FitInputs, weights: Mapping[str, float], subject_zh: str,
              candidate_targets: Iterable[Target] | None = None,
              partner_target_counts: Mapping[str, Counter[Target]] | None = None,
              ) -> list[tuple[Target, float, int, float, list[str]]]:
    """Score one subject (enterprise, park or draft) against every target it touches.

    Returns (target, score 0-100, patents in target, share, reasons)."""
    counts = _target_counts(patents, inputs)
    n = len(patents)
    partner_counts = partner_target_counts or {
        inst: _target_counts(inputs.institute_patents.get(inst, ()), inputs) for inst in partners}
    targets: set[Target] = set(counts)
    if candidate_targets is not None:
        targets |= set(candidate_targets)
    for inst in partners:
        targets |= set(partner_counts.get(inst, ()))
    if declared:
        targets |= {("Industry", i) for i in declared}
        targets |= {("TechCluster", c) for c, inds in inputs.cluster_industries.items()
                    if any(inputs.related_industries.get(i, {i}) & declared for i in inds)}
    out = []
    for target in sorted(targets):
        hits = counts.get(target, 0)
        share = hits / n if n else 0.0
        reasons: list[str] = []
        if hits:
            reasons.append(f"{subject_zh}专利中 {hits}/{n} 件属于{_name(target, inputs)}")
        declared_hit = sorted(declared & _target_industries(target, inputs))
        if declared_hit:
            reasons.append("所属产业匹配：" + "、".join(
                _name(("Industry", i), inputs) for i in declared_hit[:3]))
        partner_hit = sorted(inst for inst in partners
                             if (their := partner_counts.get(inst)) and their.get(target))
        if partner_hit:
            reasons.append("与" + "、".join(_name(("Institute", i), inputs)
                                           for i in partner_hit[:2])
                           + "联合申请过专利，其在该领域有专利")
        score = 100.0 * (weights["patent_share"] * share
                         + weights["declared_industry"] * (1.0 if declared_hit else 0.0)
                         + weights["co_application"] * (1.0 if partner_hit else 0.0))
        if reasons:
            out.append((target, round(score, 2), hits, round(share, 4), reasons))
    return out


def compute_fits(inputs: FitInputs, weights: Mapping[str, float], min_score: float) -> list[Fit]:
    """FITS of every enterprise and park to the clusters and subsectors they touch."""
    partner_counts = {inst: _target_counts(pats, inputs)
                      for inst, pats in sorted(inputs.institute_patents.items())}
    fits: list[Fit] = []
    enterprises = sorted(set(inputs.enterprise_patents) | set(inputs.enterprise_industries))
    for ent in enterprises:
        for target, score, hits, share, reasons in score_fit(
                patents=inputs.enterprise_patents.get(ent, set()),
                declared=inputs.enterprise_industries.get(ent, set()),
                partners=inputs.co_applications.get(ent, {}), inputs=inputs, weights=weights,
                subject_zh="企业", partner_target_counts=partner_counts):
            if score >= min_score:
                fits.append(Fit("Enterprise", ent, target[0], target[1], score, hits, share,
                                reasons))
    for park, members in sorted(inputs.park_enterprises.items()):
        patents: set[str] = set()
        partners: dict[str, set[str]] = defaultdict(set)
        for ent in members:
            patents |= inputs.enterprise_patents.get(ent, set())
            for inst, pats in inputs.co_applications.get(ent, {}).items():
                partners[inst] |= pats
        per_target_members: Counter[Target] = Counter()
        for ent in members:
            per_target_members.update(set(_target_counts(inputs.enterprise_patents.get(ent, ()),
                                                         inputs)))
        for target, score, hits, share, reasons in score_fit(
                patents=patents, declared=inputs.park_industries.get(park, set()),
                partners=partners, inputs=inputs, weights=weights, subject_zh="园区企业",
                partner_target_counts=partner_counts):
            if per_target_members.get(target):
                reasons = reasons + [f"园区内 {per_target_members[target]} 家企业拥有该领域专利"]
            if score >= min_score:
                fits.append(Fit("Park", park, target[0], target[1], score, hits, share, reasons))
    return fits
