"""Chinese search over the graph: patents by title/abstract, entities by name, exact numbers.

``search(store, q, types=None, limit=20)`` returns hits, best first::

    {"label": "Patent", "label_zh": "专利", "key": "CN202210001234.5",
     "id": "Patent:CN202210001234.5", "caption": "风力发电机组控制方法",
     "score": 2.0, "matched": ["风力", "控制"], "snippet": "…一种风力发电机组的控制方法…"}

How it finds things (each step bounded, no unbounded scans):

1. Exact keys: the query as an application number in any spelling (``CN202210001234.5``,
   ``202210001234.5``, ``2022100012345``, ``ZL…``), a unified social credit code, an IPC code
   (``A61B 5/00``, ``a61b``) or any business key, looked up through the key indexes.
2. Full-text: the query is cut with jieba (``cut_for_search``: words and their sub-words), stop
   words and punctuation dropped, and the terms OR-ed as prefix terms through the store's
   full-text hook (FalkorDB's Chinese index holds whole words such as 风力发电, so the prefix
   term 风力* still finds it).
3. Names by substring: small entity sets without a full-text index (industries, awards,
   banks, agencies...) always; the full-text labels (institutes, enterprises, parks, products)
   only when full-text found none of them, so "天津" or part of a company name still work.

Ranking: exact key hits first; then by how many of the query's words (``jieba.lcut`` minus
stop words) the hit's searched text contains (all words first), then the engine's score, then
label and key (stable).
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graph import schema
from graph.store import Store
from graph.version import read_version
from patentkg.errors import IndexBuilding, InputError

# -- Cypher (labels and properties come from graph.schema only) --------------------------------
# Written for Patent/app_no (so the linter parses them); `_for_label` swaps in a schema label.
KEY_LOOKUP = "MATCH (n:Patent) WHERE n.app_no IN $keys RETURN n LIMIT $limit"
NAME_CONTAINS = "MATCH (n:Park) WHERE toLower(n.name) CONTAINS $q RETURN n LIMIT $limit"
NAME_EQUALS = "MATCH (n:Park) WHERE n.name = $q RETURN n LIMIT $limit"
ALL_NAMES = ("MATCH (n:Park) WHERE n.app_no IS NOT NULL WITH n LIMIT $limit "
             "RETURN collect(n.app_no) AS keys, collect(coalesce(n.name, '')) AS names")
COUNT_NODES = "MATCH (n:Park) RETURN count(n) AS n"


def _shown(label: str) -> tuple[str, ...]:
    """The properties a hit shows or is ranked by: key, caption, searched text, aliases."""
    spec = schema.NODE_BY_LABEL[label]
    return tuple(dict.fromkeys((spec.key, spec.display, "name", "aliases",
                                *FULLTEXT_LABELS.get(label, ()))))


def _for_label(template: str, label: str, tag: bool = False) -> str:
    """The template with the allow-listed ``label`` (and its key) in place of Patent/Park,
    returning only the properties a hit needs (a whole Patent or Institute node carries long
    derived lists that cost more to decode than the query costs to run); ``tag`` adds the
    label as a column."""
    key = schema.key_of(schema.check_label(label))
    props = ", ".join(f".{p}" for p in _shown(label))
    extra = f", '{label}' AS label" if tag else ""
    return (template.replace("(n:Patent)", f"(n:{label})").replace("(n:Park)", f"(n:{label})")
            .replace("n.app_no", f"n.{key}")
            .replace("RETURN n ", f"RETURN n {{{props}}} AS n{extra} "))


def _union(template: str, labels: Sequence[str]) -> str:
    """One statement for several labels (fewer round trips): the template per allow-listed
    label, its ``$keys`` numbered per branch, each branch naming its label."""
    return "\nUNION ALL\n".join(
        _for_label(template, label, tag=True).replace("$keys", f"$keys{i}")
        for i, label in enumerate(labels))


MAX_LIMIT = 200
# Full-text hits are ranked by score among the first RANK_WITHIN matches of a label (all of
# them when fewer match): a word in a large share of titles would otherwise have every match
# sorted (Store.fulltext).
RANK_WITHIN = 2_000
EXACT_SCORE = 1000.0

# Labels searched by full text (schema.fulltext) and the searched text properties.
FULLTEXT_LABELS: dict[str, tuple[str, ...]] = schema.fulltext_specs()
# Small entity sets searched by name substring every time (no full-text index).
SMALL_NAME_LABELS: tuple[str, ...] = (
    "Industry", "TechCluster", "TechField", "Award", "FinancialInstitution",
    "FinancingProduct", "Event", "ServiceAgency", "Division")
# Large sets only looked up by exact (indexed) name.
EXACT_NAME_LABELS: tuple[str, ...] = ("Inventor",)

STOP_WORDS: frozenset[str] = frozenset(
    "的 了 和 与 及 或 在 是 对 为 中 等 一种 一个 及其 以及 用于 基于 其 之 有关 相关 "
    "and or of the for a an in on with".split())
COMMON_TERMS: frozenset[str] = frozenset(
    "方法 装置 系统 设备 结构 组件 机构 模块 单元 及其 制备 应用 一种 "
    "天津 天津市 有限 公司 有限公司 股份 股份有限公司 有限责任 责任 集团 科技 技术 "
    "研究 研究所 研究院 大学 中心".split())
_PUNCT = re.compile(r"^[\W_]+$", re.UNICODE)
_CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
_IPC = re.compile(r"^([A-H])(\d{2})([A-Z])(?:\s*0*(\d{1,4})(?:\s*/\s*(\d{1,6}))?)?$")
_APP_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_SNIPPET_CHARS = 60


# -- query parsing ------------------------------------------------------------------------------
def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(60)  # silence "Building prefix dict" on stderr
    return jieba


def _clean(q: str) -> str:
    return unicodedata.normalize("NFKC", q).strip()


def _keep(token: str) -> bool:
    token = token.strip()
    return bool(token) and not _PUNCT.match(token) and token.lower() not in STOP_WORDS


def query_words(q: str) -> list[str]:
    """The words of a query that a hit should cover (jieba's precise cut minus stop words)."""
    seen: dict[str, None] = {}
    for token in _jieba().lcut(_clean(q)):
        if _keep(token):
            seen.setdefault(token.strip().lower(), None)
    return list(seen)


def query_terms(q: str) -> list[str]:
    """Full-text terms: words and their sub-words (jieba search mode), deduplicated; words
    found in a large share of titles or names (方法, 装置, 公司, 天津 ...) only when nothing else
    is left: each one makes the index score hundreds of thousands of documents at 1M patents
    (649 ms for 随钻测量方法), and the hits are ranked by the words they cover anyway."""
    seen: dict[str, None] = {}
    for token in _jieba().cut_for_search(_clean(q)):
        if _keep(token):
            seen.setdefault(token.strip().lower(), None)
    terms = list(seen)
    specific = [t for t in terms if t not in COMMON_TERMS]
    return specific or terms


def _check_digit(digits: str) -> str:
    total = sum(int(d) * w for d, w in zip(digits, _APP_WEIGHTS, strict=False))
    return "X" if total % 11 == 10 else str(total % 11)


def app_no_candidates(q: str) -> list[str]:
    """Normalised application numbers a query may mean (CN202210001234.5 form), or []."""
    text = re.sub(r"[\s\-]", "", _clean(q).upper())
    text = re.sub(r"^(CN|ZL)", "", text)
    match = (re.fullmatch(r"(\d{12}|\d{8})\.([0-9X])", text)
             or re.fullmatch(r"(\d{12}|\d{8})([0-9X])", text))
    if match:
        digits, check = match.groups()
        out = [f"CN{digits}.{check}"]
        expected = f"CN{digits}.{_check_digit(digits)}"
        return out if expected in out else out + [expected]
    match = re.fullmatch(r"(\d{12}|\d{8})", text)
    if match:  # without the check digit: compute it
        return [f"CN{text}.{_check_digit(text)}"]
    return []


def ipc_candidates(q: str) -> list[str]:
    """IPC codes a query may mean: 'a61b 5/00' -> A61B5/00, 'A61B5' -> A61B5/00, 'A61B'."""
    match = _IPC.match(_clean(q).upper())
    if not match:
        return []
    sec, cls, sub, group, subgroup = match.groups()
    subclass = f"{sec}{cls}{sub}"
    if group is None:
        return [subclass]
    return [f"{subclass}{int(group)}/{subgroup or '00'}", f"{subclass}{int(group)}/00"]


def resolve_types(types: Sequence[str] | str | None) -> tuple[str, ...]:
    """Labels from labels or Chinese names (专利, 企业...); InputError for unknown ones."""
    if types is None:
        return schema.LABELS
    if isinstance(types, str):
        types = [t for t in re.split(r"[,，;；\s]+", types) if t]
    by_name = {n.name_zh: n.label for n in schema.NODES}
    by_lower = {label.lower(): label for label in schema.LABELS}
    out: list[str] = []
    for raw in types:
        name = str(raw).strip()
        label = by_lower.get(name.lower()) or by_name.get(name)
        if label is None:
            raise InputError(
                f"未知的实体类型：{name}（可选：{'、'.join(n.name_zh for n in schema.NODES)}）",
                f"unknown entity type {name!r}; expected one of {', '.join(schema.LABELS)}",
                details={"parameter": "types", "value": name,
                         "expected": list(schema.LABELS)})
        if label not in out:
            out.append(label)
    if not out:
        return schema.LABELS
    return tuple(out)


# -- results ------------------------------------------------------------------------------------
def label_of(node: Mapping[str, Any]) -> str | None:
    """The schema label of a node dict returned by a store (``_labels``)."""
    for label in node.get("_labels") or ():
        if label in schema.NODE_BY_LABEL:
            return label
    return None


def caption_of(label: str, node: Mapping[str, Any], max_chars: int = 24) -> str:
    """A short caption: the label's display property, else its key (truncated with …)."""
    spec = schema.NODE_BY_LABEL[label]
    text = node.get(spec.display) or node.get("name") or node.get(spec.key) or ""
    text = str(text)
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


def _searched_text(label: str, node: Mapping[str, Any]) -> list[str]:
    props = FULLTEXT_LABELS.get(label) or ("name",)
    texts = [str(node.get(p) or "") for p in props]
    aliases = node.get("aliases")
    if isinstance(aliases, list):
        texts.extend(str(a) for a in aliases)
    return texts


def _snippet(texts: Iterable[str], words: Sequence[str], caption: str) -> str:
    """A short window around the first matched word, preferring text beyond the caption."""
    texts = [t for t in texts if t]
    for text in sorted(texts, key=lambda t: t == caption):
        lower = text.lower()
        for word in words:
            pos = lower.find(word)
            if pos >= 0:
                start = max(0, pos - _SNIPPET_CHARS // 3)
                piece = text[start:start + _SNIPPET_CHARS]
                return ("…" if start else "") + piece + (
                    "…" if start + _SNIPPET_CHARS < len(text) else "")
    for text in texts:
        if text != caption:
            return text[:_SNIPPET_CHARS] + ("…" if len(text) > _SNIPPET_CHARS else "")
    return texts[0][:_SNIPPET_CHARS] if texts else ""


@dataclass
class _Hit:
    label: str
    node: dict[str, Any]
    score: float
    exact: bool = False
    matched: list[str] = field(default_factory=list)  # query words the hit contains
    partial: list[str] = field(default_factory=list)  # sub-words, when no whole word matched

    @property
    def key(self) -> str:
        return str(self.node.get(schema.key_of(self.label)))

    def to_json(self, words: Sequence[str]) -> dict[str, Any]:
        caption = caption_of(self.label, self.node)
        texts = _searched_text(self.label, self.node)
        return {"label": self.label, "label_zh": schema.label_zh(self.label), "key": self.key,
                "id": f"{self.label}:{self.key}", "caption": caption,
                "score": round(self.score, 4), "matched": list(self.matched or self.partial),
                "snippet": _snippet(texts, list(self.matched or self.partial), caption)}


def _coverage(label: str, node: Mapping[str, Any], words: Sequence[str]) -> list[str]:
    haystack = "\n".join(_searched_text(label, node)).lower()
    return [w for w in words if w in haystack]


# -- the steps ----------------------------------------------------------------------------------
def _exact_hits(store: Store, q: str, labels: Sequence[str], limit: int) -> list[_Hit]:
    raw = _clean(q)
    keys = {raw, raw.upper()}
    apps = app_no_candidates(raw)
    ipcs = ipc_candidates(raw)
    params: dict[str, Any] = {"limit": limit}
    for i, label in enumerate(labels):
        wanted = set(keys)
        if label == "Patent":
            wanted.update(apps)
        elif label == "IPC":
            wanted.update(ipcs)
        elif label in schema.ORG_LABELS and _CREDIT_CODE.match(raw.upper()):
            wanted.add(raw.upper())
        params[f"keys{i}"] = sorted(wanted)
    return [_Hit(row["label"], row["n"], EXACT_SCORE, exact=True, matched=[raw])
            for row in store.read(_union(KEY_LOOKUP, labels), params)] if labels else []


def _fulltext_hits(store: Store, terms: Sequence[str], labels: Sequence[str], fetch: int,
                   building: dict[str, str]) -> dict[str, list[_Hit]]:
    """Full-text hits per label; a label whose index is being built is left out and named in
    ``building`` (label -> the store's progress)."""
    out: dict[str, list[_Hit]] = {}
    for label in labels:
        if label not in FULLTEXT_LABELS or not terms:
            continue
        try:
            found = store.fulltext(label, terms, match_all=False, limit=fetch, prefix=True,
                                   properties=_shown(label), rank_within=RANK_WITHIN)
        except IndexBuilding as exc:
            building[label] = str(exc.details.get("status") or "")
            continue
        out[label] = [_Hit(label, h.node, h.score) for h in found]
    return out


# Names of the substring-searched labels, per store and data version: a substring match has no
# index, and scanning even 14 Institute nodes cost ~120 ms at 1M patents (each carries long
# derived lists), 128,684 Enterprise nodes ~110 ms; the names are read once per data version
# and matched in Python, and only the matched nodes are read (by key).
# The names are kept as one string per label, not one object per name: 128,684 cached node
# dicts made every full garbage collection of the process walk them (~150 ms, at any later
# call: the 183 ms search outlier at 1M).
NAME_CACHE_MAX = 200_000  # names per label; a bigger label is scanned by the store each time
_SEP = "\0"  # between names (the stores refuse NUL in values, and a query with it matches none)


@dataclass(frozen=True)
class _NameIndex:
    """A label's lower-case names, ``_SEP``-joined in node order, and their keys."""

    text: str
    starts: array  # where each name starts in text, then len(text) + 1
    keys: list[Any]  # as stored (read back by key)

    @classmethod
    def build(cls, keys: Sequence[Any], names: Sequence[Any]) -> _NameIndex:
        lowered = [str(n or "").lower() for n in names]
        starts, at = array("q"), 0
        for name in lowered:
            starts.append(at)
            at += len(name) + 1
        starts.append(at)
        return cls(_SEP.join(lowered), starts, list(keys))

    def find(self, value: str, limit: int) -> list[Any]:
        """Keys of the first ``limit`` names (node order) that contain ``value``."""
        out: list[Any] = []
        if not value or _SEP in value:
            return out
        pos = self.text.find(value)
        while pos >= 0 and len(out) < limit:
            i = bisect_right(self.starts, pos) - 1
            out.append(self.keys[i])
            pos = self.text.find(value, self.starts[i + 1])
        return out


_names: dict[tuple[int, str], tuple[str, _NameIndex | None]] = {}


def _label_names(store: Store, label: str, token: str | None) -> _NameIndex | None:
    """The label's names, or None: no data version, or too many names."""
    if token is None:  # a graph without a data version (never loaded): nothing to key on
        return None
    cached = _names.get((id(store), label))
    if cached and cached[0] == token:
        return cached[1]
    size = store.read(_for_label(COUNT_NODES, label))[0]["n"]
    index = None
    if size <= NAME_CACHE_MAX:
        row = store.read(_for_label(ALL_NAMES, label), {"limit": NAME_CACHE_MAX})[0]
        index = _NameIndex.build(row["keys"], row["names"])
    if len(_names) > 256:
        _names.clear()
    _names[(id(store), label)] = (token, index)
    return index


def keys_named_like(store: Store, label: str, value: str) -> list[Any] | None:
    """The keys of every ``label`` node whose name contains ``value``, and of those whose name
    contains it in another letter case (the caller checks the name itself), from the names
    kept per data version; None when they are not kept (no data version, too many names) or
    for a value they cannot answer: empty, or with a capital sigma (the one letter whose lower
    case depends on the letters around it, so a name's lower case may not contain the
    value's)."""
    if not value or "\u03a3" in value:
        return None
    names = _label_names(store, label, read_version(store).token)
    return None if names is None else names.find(value.lower(), len(names.keys))


def read_names(store: Store, *, again: bool = False) -> None:
    """Read the names of every substring-searched label for the current data version, as the
    first search after a load or refresh would (a serving process can do it at start-up or
    when it sees a new version); ``again`` drops what this process kept first."""
    if again:
        _names.clear()
    token = read_version(store).token
    for label in (*SMALL_NAME_LABELS, *(label for label in FULLTEXT_LABELS if label != "Patent")):
        _label_names(store, label, token)


def warm(store: Store) -> None:
    """Pay the one-time costs of a first search before a user does: jieba's dictionary (~1 s,
    once per process) and the names of the substring-searched labels (~1 s at 1M patents,
    once per data version). A serving process calls it at start-up and after its own loads."""
    query_words("预热")
    read_names(store)


def _name_hits(store: Store, q: str, labels: Sequence[str], limit: int, *,
               exact: bool = False) -> list[_Hit]:
    """Name hits of several labels (substring, or exact name)."""
    if not labels:
        return []
    value = _clean(q) if exact else _clean(q).lower()
    hits: list[_Hit] = []
    if not exact:
        token = read_version(store).token
        scanned: list[str] = []
        found: dict[str, list[Any]] = {}
        for label in labels:
            names = _label_names(store, label, token)
            if names is None:
                scanned.append(label)
            elif keys := names.find(value, limit):
                found[label] = keys
        if found:  # the matched nodes' shown properties, one round trip
            params: dict[str, Any] = {f"keys{i}": keys for i, keys in enumerate(found.values())}
            hits.extend(_Hit(row["label"], row["n"], 0.5) for row in store.read(
                _union(KEY_LOOKUP, list(found)), {**params, "limit": limit}))
        labels = scanned
        if not labels:
            return hits
    cypher = _union(NAME_EQUALS if exact else NAME_CONTAINS, labels)
    return hits + [_Hit(row["label"], row["n"], 1.0 if exact else 0.5)
                   for row in store.read(cypher, {"q": value, "limit": limit})]


@dataclass
class SearchResult:
    """Hits, best first, and the labels whose full-text index was still being built (label ->
    progress): their text matches are missing, their names were matched by substring."""

    hits: list[dict[str, Any]]
    building: dict[str, str] = field(default_factory=dict)


def search(store: Store, q: str, *, types: Sequence[str] | None = None,
           limit: int = 20) -> list[dict[str, Any]]:
    """Which patents and entities match a Chinese query (words, names or numbers)?

    Refuses (``IndexBuilding``) while a searched full-text index is being built; a caller that
    can tell its user the answer is partial uses ``search_partial``."""
    result = search_partial(store, q, types=types, limit=limit)
    if result.building:
        label, state = next(iter(result.building.items()))
        raise IndexBuilding(
            "全文检索索引正在重建（数据更新或重启后），请稍后再试",
            f"the full-text index of {label} is being rebuilt ({state}); try again shortly",
            details={"label": label, "status": state})
    return result.hits


def search_partial(store: Store, q: str, *, types: Sequence[str] | None = None,
                   limit: int = 20) -> SearchResult:
    """``search``, answering while full-text indexes are being built (after a restart FalkorDB
    rebuilds them in the background: minutes at 1M patents): exact keys and names by
    substring still answer, and the result says which labels' text was not searched."""
    if q is None or not _clean(str(q)):
        raise InputError("请输入检索词", "the search query is empty",
                         details={"parameter": "q"})
    q = _clean(str(q))
    if len(q) > 200:
        raise InputError("检索词过长（最多 200 个字符）", "the search query is too long (max 200)",
                         details={"parameter": "q"})
    labels = resolve_types(types)
    limit = max(1, min(int(limit), MAX_LIMIT))
    words = query_words(q)
    terms = query_terms(q)
    fetch = max(limit * 3, 50)

    hits: list[_Hit] = _exact_hits(store, q, labels, limit)
    building: dict[str, str] = {}
    by_label = _fulltext_hits(store, terms, labels, fetch, building)
    for found in by_label.values():
        hits.extend(found)
    hits.extend(_name_hits(store, q, [
        label for label in labels if label in SMALL_NAME_LABELS or (
            label in FULLTEXT_LABELS and label != "Patent" and not by_label.get(label))],
        fetch))
    hits.extend(_name_hits(store, q, [label for label in labels if label in EXACT_NAME_LABELS],
                           fetch, exact=True))

    best: dict[str, _Hit] = {}
    for hit in hits:
        if not hit.exact:
            hit.matched = _coverage(hit.label, hit.node, words)
            # Hits found through sub-words only: say which sub-words, rank them after.
            hit.partial = [] if hit.matched else _coverage(hit.label, hit.node, terms)
        ident = f"{hit.label}:{hit.key}"
        kept = best.get(ident)
        if kept is None or (hit.exact, hit.score) > (kept.exact, kept.score):
            best[ident] = hit
    order = {label: i for i, label in enumerate(schema.LABELS)}
    ranked = sorted(best.values(), key=lambda h: (
        not h.exact, -len(h.matched), -len(h.partial), -h.score, order[h.label], h.key))
    return SearchResult([h.to_json(words) for h in ranked[:limit]], building)
