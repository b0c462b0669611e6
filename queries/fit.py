"""Fit of enterprises and parks to technology clusters and district subsectors.

Pure computation: the share of an organisation's patents in the target, its declared industry
(enterprise IN_INDUSTRY / park FOCUSES_ON) matching, and co-applications with institutes that
hold patents in the target. The same function scores a draft invention (pre-application
assessment) so that the two can never disagree.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from graph.schema import KEY_SEP, join_items, split_items

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


# The subject of a stored FITS edge, as its reasons name it.
SUBJECT_ZH = {"Enterprise": "企业", "Park": "园区企业"}


@dataclass(frozen=True)
class Evidence:
    """What a fit's reasons say, as keys and counts (a FITS edge stores these, not the text):
    patents in the target / all the subject's patents, the declared industries and partner
    institutes that hit the target (the first 3 and 2 shown), a park's member enterprises with
    patents in the target."""

    hits: int
    total: int
    declared: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()
    members: int = 0


def fit_reasons(subject_zh: str, target: Target, ev: Evidence,
                names: Mapping[Target, str]) -> list[str]:
    """The Chinese reasons of one fit: written once, for the scoring (``score_fit``, the
    pre-application assessment) and for the stored FITS edges read back by the questions."""
    def name(t: Target) -> str:
        return names.get(t, t[1])

    reasons: list[str] = []
    if ev.hits:
        reasons.append(f"{subject_zh}专利中 {ev.hits}/{ev.total} 件属于{name(target)}")
    if ev.declared:
        reasons.append("所属产业匹配：" + "、".join(name(("Industry", i)) for i in ev.declared))
    if ev.partners:
        reasons.append("与" + "、".join(name(("Institute", i)) for i in ev.partners)
                       + "联合申请过专利，其在该领域有专利")
    if ev.members:
        reasons.append(f"园区内 {ev.members} 家企业拥有该领域专利")
    return reasons


def fit_target_name(label: str, key: str, name: str | None, source: str | None) -> str:
    """The name a fit's reasons give its target, from the target node (as derive names it:
    a cluster "“name”集群", a district subsector its name, any other industry its id)."""
    if label == "TechCluster":
        return f"“{name}”集群"
    return (name or key) if source == "district" else key


def edge_evidence(edge: Mapping[str, Any]) -> Evidence:
    """The Evidence of a FITS edge read back (its patents, total, declared, partners, members)."""
    return Evidence(int(edge.get("patents") or 0), int(edge.get("total") or 0),
                    tuple(split_items(edge.get("declared"), KEY_SEP) or ()),
                    tuple(split_items(edge.get("partners"), KEY_SEP) or ()),
                    int(edge.get("members") or 0))


@dataclass
class Fit:
    source_label: str
    source_key: str
    target_label: str
    target_key: str
    score: float
    patents: int
    share: float
    evidence: Evidence

    def row(self) -> dict[str, object]:
        """The stored FITS edge: the counts and keys of the reasons, never their text; the
        keys as one text each (graph.schema.KEY_SEP: one allocation instead of one per key)
        and only when there are some (an absent property costs nothing)."""
        ev = self.evidence
        return {"src": self.source_key, "tgt": self.target_key, "score": self.score,
                "patents": self.patents, "share": self.share, "total": ev.total,
                "declared": join_items(ev.declared, KEY_SEP),
                "partners": join_items(ev.partners, KEY_SEP),
                "members": ev.members or None}


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


def score_fit(*, patents: set[str], declared: set[str], partners: Mapping[str, set[str]],
              inputs: FitInputs, weights: Mapping[str, float], subject_zh: str,
              candidate_targets: Iterable[Target] | None = None,
              partner_target_counts: Mapping[str, Counter[Target]] | None = None,
              ) -> list[tuple[Target, float, int, float, list[str], Evidence]]:
    """Score one subject (enterprise, park or draft) against every target it touches.

    Returns (target, score 0-100, patents in target, share, reasons, their evidence)."""
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
        declared_hit = sorted(declared & _target_industries(target, inputs))
        partner_hit = sorted(inst for inst in partners
                             if (their := partner_counts.get(inst)) and their.get(target))
        ev = Evidence(hits, n, tuple(declared_hit[:3]), tuple(partner_hit[:2]))
        reasons = fit_reasons(subject_zh, target, ev, inputs.names)
        score = 100.0 * (weights["patent_share"] * share
                         + weights["declared_industry"] * (1.0 if declared_hit else 0.0)
                         + weights["co_application"] * (1.0 if partner_hit else 0.0))
        if reasons:
            out.append((target, round(score, 2), hits, round(share, 4), reasons, ev))
    return out


def compute_fits(inputs: FitInputs, weights: Mapping[str, float], min_score: float) -> list[Fit]:
    """FITS of every enterprise and park to the clusters and subsectors they touch."""
    partner_counts = {inst: _target_counts(pats, inputs)
                      for inst, pats in sorted(inputs.institute_patents.items())}
    fits: list[Fit] = []
    enterprises = sorted(set(inputs.enterprise_patents) | set(inputs.enterprise_industries))
    for ent in enterprises:
        for target, score, hits, share, _, ev in score_fit(
                patents=inputs.enterprise_patents.get(ent, set()),
                declared=inputs.enterprise_industries.get(ent, set()),
                partners=inputs.co_applications.get(ent, {}), inputs=inputs, weights=weights,
                subject_zh="企业", partner_target_counts=partner_counts):
            if score >= min_score:
                fits.append(Fit("Enterprise", ent, target[0], target[1], score, hits, share, ev))
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
        for target, score, hits, share, _, ev in score_fit(
                patents=patents, declared=inputs.park_industries.get(park, set()),
                partners=partners, inputs=inputs, weights=weights, subject_zh="园区企业",
                partner_target_counts=partner_counts):
            ev = replace(ev, members=per_target_members.get(target, 0))
            if score >= min_score:
                fits.append(Fit("Park", park, target[0], target[1], score, hits, share, ev))
    return fits
