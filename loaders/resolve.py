"""Organisation names -> one graph node: name normalisation, registry matching, folding of
branches and departments. Pure python; the store is only read to seed known organisations."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

# Name functions are pure and see the same few thousand organisations again and again.
_NAME_CACHE = 1 << 18

# Longest first so that '股份有限公司' is folded before '有限公司' could match inside it.
_COMPANY_FORMS = (("股份有限公司", "有限公司"), ("有限责任公司", "有限公司"))
_BRANCH = (re.compile(r"^(.+?公司).+?分公司$"), re.compile(r"^(.+?银行).+?(分行|支行)$"),
           re.compile(r"^(.+?公司).+?(分行|支行|营业部|办事处)$"))
# A department is what follows the legal entity's own suffix: '天津某大学化工学院'.
_DEPT = re.compile(r"^(.+?(?:大学|学院|研究院|科学院))(.+?(?:学院|系|研究所|研究院|研究中心|中心|"
                   r"实验室|研究室|教研室|医院|所|部|处))$")
_INSTITUTE_WORDS = re.compile(r"大学|学院|研究院|研究所|研究中心|医院|设计院|科学院|实验室|学校|"
                              r"university|institute|college|hospital|academy", re.IGNORECASE)
_ORG_WORDS = re.compile(r"公司|大学|学院|研究|医院|中心|厂|集团|局|所|院|站|协会|委员会|部|社|银行|"
                        r"学校|合作|实验室|事务|基地|联合|企业|工作室|店|场|馆|队|处|办|科技|有限|"
                        r"ltd|inc\b|corp|gmbh|univ|co\.|llc|company|institute|hospital|limited|"
                        r"\bag\b|s\.a\.|\bplc\b|\bbv\b", re.IGNORECASE)
_PERSON_TYPES = ("个人", "自然人")
_INSTITUTE_TYPES = ("院校", "科研", "大学", "高校", "研究", "医院", "机关", "事业")


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


@lru_cache(maxsize=_NAME_CACHE)
def _compact(name: str) -> str:
    return re.sub(r"\s+", "", _nfkc(name))


@lru_cache(maxsize=_NAME_CACHE)
def norm_org_name(name: str) -> str:
    """The matching form of an organisation name: width, brackets, spaces, company-form
    variants and '(天津)' placement folded.

    '某某(天津)科技股份有限公司' -> '天津某某科技有限公司'."""
    text = _nfkc(name).strip()
    text = text.replace("〔", "(").replace("〕", ")").replace("[", "(").replace("]", ")")
    text = re.sub(r"\s+", "", text)
    for long_form, short_form in _COMPANY_FORMS:
        text = text.replace(long_form, short_form)
    if "(天津)" in text:
        text = text.replace("(天津)", "")
        if not text.startswith("天津"):
            text = "天津" + text
    if text.startswith("天津市") and not text.startswith("天津市场"):
        text = "天津" + text[3:]
    return text.lower()


@lru_cache(maxsize=_NAME_CACHE)
def fold_branch(name: str) -> str:
    """A branch's parent: 'X有限公司天津分公司' -> 'X有限公司', 'Y银行河东支行' -> 'Y银行'."""
    text = _nfkc(name).strip()
    for pattern in _BRANCH:
        match = pattern.match(text)
        if match:
            return match.group(1)
    return text


@lru_cache(maxsize=_NAME_CACHE)
def split_department(name: str) -> tuple[str, str | None]:
    """('天津某大学', '化工学院') for '天津某大学化工学院'; (name, None) when there is none."""
    text = _nfkc(name).strip()
    match = _DEPT.match(text)
    if not match:
        return text, None
    return match.group(1), match.group(2)


@lru_cache(maxsize=_NAME_CACHE)
@lru_cache(maxsize=_NAME_CACHE)
def is_person(name: str) -> bool:
    """Whether an applicant name is an individual (kept only in the patent's applicants)."""
    text = _nfkc(name).strip()
    if re.fullmatch(r"[\u4e00-\u9fff·]{2,3}", text):
        return True
    if _ORG_WORDS.search(text):
        return False
    if re.fullmatch(r"[\u4e00-\u9fff·]{4}", text):
        return True
    return bool(re.fullmatch(r"[A-Za-z.\-' ]{3,40}", text)) and len(text.split()) <= 4


@lru_cache(maxsize=_NAME_CACHE)
def org_label_for(name: str, default: str = "Enterprise") -> str:
    """Institute when the name says so (大学/学院/研究所/医院...), else the default label."""
    return "Institute" if _INSTITUTE_WORDS.search(name) else default


def guess_fi_kind(name: str) -> str:
    """The kind of an unregistered financial institution from its name."""
    for word, kind in (("保险", "保险"), ("担保", "担保"), ("证券", "证券"), ("银行", "银行"),
                       ("信用社", "银行")):
        if word in name:
            return kind
    return "投资机构"


@dataclass
class OrgRef:
    """The node an organisation name resolved to."""

    label: str
    key: str
    name: str
    in_registry: bool


@dataclass
class OrgResolver:
    """Resolves names to registry nodes; remembers unmatched names as new nodes."""

    by_code: dict[str, OrgRef] = field(default_factory=dict)
    by_name: dict[str, list[OrgRef]] = field(default_factory=dict)
    # Per org key: departments and observed name variants to merge into the node.
    departments: dict[str, set[str]] = field(default_factory=dict)
    aliases: dict[str, set[str]] = field(default_factory=dict)
    new_orgs: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    touched: set[tuple[str, str]] = field(default_factory=set)

    # -- registry ------------------------------------------------------------------------
    def add(self, label: str, key: str, name: str, *, aliases: list[str] | None = None,
            credit_code: str | None = None, in_registry: bool = True,
            departments: list[str] | None = None) -> OrgRef:
        """Register a known organisation (a registry row or a node already in the graph)."""
        ref = OrgRef(label, key, name, in_registry)
        if credit_code:
            self.by_code[credit_code] = ref
        for variant in [name, *(aliases or [])]:
            refs = self.by_name.setdefault(norm_org_name(variant), [])
            if not any(r.key == key and r.label == label for r in refs):
                # Registry entries take precedence over earlier unmatched nodes of that name.
                refs.insert(0 if in_registry else len(refs), ref)
        self.aliases.setdefault(key, set()).update(aliases or [])
        self.departments.setdefault(key, set()).update(departments or [])
        return ref

    def _lookup(self, name: str, labels: tuple[str, ...]) -> OrgRef | None:
        for ref in self.by_name.get(norm_org_name(name), []):
            if ref.label in labels:
                return ref
        return None

    # -- resolution ----------------------------------------------------------------------
    def resolve(self, name: str, labels: tuple[str, ...] = ("Institute", "Enterprise"), *,
                credit_code: str | None = None, default_label: str | None = None,
                new_props: dict[str, Any] | None = None) -> OrgRef:
        """The node for an organisation name: credit code, then the normalised name, then
        the parent of a branch or department, else a new node with in_registry=false."""
        raw = _nfkc(name).strip()
        if credit_code and credit_code in self.by_code and \
                self.by_code[credit_code].label in labels:
            return self._touch(self.by_code[credit_code], raw)
        ref = self._lookup(raw, labels)
        if ref:
            return self._touch(ref, raw)
        branch_parent = fold_branch(raw)
        if branch_parent != raw:
            ref = self._lookup(branch_parent, labels)
            if ref:
                return self._touch(ref, raw)
        parent, dept = split_department(branch_parent)
        if dept:
            ref = self._lookup(parent, labels)
            if ref:
                self.departments.setdefault(ref.key, set()).add(dept)
                return self._touch(ref, None)
        # Unmatched: a university's department is never a legal entity of its own.
        base = parent if dept and parent.endswith("大学") and not dept.endswith("医院") \
            else branch_parent
        label = default_label if default_label in labels else None
        label = label or (org_label_for(base) if "Institute" in labels else labels[0])
        if label not in labels:
            label = labels[0]
        key = credit_code or f"name:{norm_org_name(base)}"
        ref = OrgRef(label, key, base, False)
        self.new_orgs.setdefault((label, key), {"name": base, **(new_props or {})})
        self.add(label, key, base, credit_code=credit_code, in_registry=False)
        if base != raw and dept and base == parent:
            self.departments.setdefault(key, set()).add(dept)
        return self._touch(ref, None)

    def _touch(self, ref: OrgRef, variant: str | None) -> OrgRef:
        self.touched.add((ref.label, ref.key))
        if variant and _compact(variant) != _compact(ref.name):
            self.aliases.setdefault(ref.key, set()).add(variant)
        return ref
