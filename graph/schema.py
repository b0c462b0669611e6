"""The one source of truth for the graph model: labels, keys, properties, relationships.

Every node label has a stable business key with a uniqueness constraint, so every load is an
idempotent ``MERGE``. Dates are ISO strings (``YYYY-MM-DD``) so that the same Cypher compares
them on FalkorDB and Neo4j alike; lists are lists of strings, except the ``joined`` ones
(stored as one text, see ``JOIN_SEP``), and ``computed`` properties are not stored at all:
readers get both back in their list form from ``readable``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class NodeType:
    label: str
    key: str
    name_zh: str
    properties: tuple[str, ...] = ()
    indexed: tuple[str, ...] = ()  # range indexes besides the key
    fulltext: tuple[str, ...] = ()  # properties searched by the Chinese full-text search
    display: str = "name"  # property shown as the node's caption
    # list properties stored as one text, the items joined by JOIN_SEP (a string costs the
    # graph one allocation, a list one per item plus the array: ~100 MB a property at 1M)
    joined: tuple[str, ...] = ()
    # properties computed when read (name, source), shown right after the stored source (the
    # compute may read the node's other properties too, e.g. its key)
    computed: tuple[tuple[str, str], ...] = ()
    # properties an older load stored and this schema does not: the MERGE path removes them
    # from the nodes it writes, so a reload converts a graph loaded by the old code
    retired: tuple[str, ...] = ()


@dataclass(frozen=True)
class RelType:
    type: str
    sources: tuple[str, ...]
    targets: tuple[str, ...]
    name_zh: str
    properties: tuple[str, ...] = ()
    derived: bool = False  # written by the post-load analytics, not by loaders


_ORG_PROPS = ("name", "aliases", "credit_code", "address", "street_code", "in_registry",
              "departments", "resident_in_district")

NODES: tuple[NodeType, ...] = (
    NodeType("Patent", "app_no", "专利", (
        "pub_no", "grant_no", "title", "abstract", "patent_type", "app_date", "pub_date",
        "grant_date", "expiry_date", "legal_status", "is_valid", "ipc_main", "ipc_codes",
        "claims_count", "family_size", "has_family_abroad", "cited_by_count",
        "transfer_count", "licence_count", "pledge_count", "years_maintained",
        "remaining_years", "applicants", "inventors", "agency", "value_score",
        "value_components", "tier", "tier_basis", "in_sei",
        "source_file", "extra",
        # derived by queries.derive (besides the value/tier properties above)
        # (the cluster's and subsectors' names are read from their nodes, not stored here)
        "value_missing_share", "cluster_id", "subsector_ids", "fit_enterprises",
        "prospect_level", "prospect_counts",
        # the tier reasons and the prospect note are built at read time from tier_basis
        # (scoring.tier_reasons) and prospect_counts (scoring.prospect_note); the tier
        # rules version is the DataVersion node's (one per refresh)
        # value_components is compact (scoring.compact: 14 scores/evidence states); the
        # strongest components' Chinese notes are value_strengths
        "value_strengths",
        # precomputed by queries.derive so the push and inventory questions read pages by
        # an index range instead of sorting the whole set at query time
        "match_keys", "match_scores", "match_best", "match_pos", "stock_institutes",
        "stock_pos", "stock_valid_pos", "stock_tier_pos", "stock_tier_valid_pos",
        # page positions of the insurance question (§21) at its default thresholds
        "insure_enforce_pos", "insure_loss_pos", "insure_loss_all_pos",
        # its threshold-independent signals (licensed 1, in products 2, family abroad 4; only
        # where any), for its other thresholds
        "insure_signals",
        # page position of the award list (§22) in its default order
        "award_pos",
        # position in the §4 park push order (tier, value desc, app_no) of the valid A/B/C
        # patents: a park's deep pages name their patents by it (Park.push_chunks)
        "push_rank"),
        indexed=("tier", "ipc_main", "patent_type", "is_valid", "app_date", "cluster_id",
                 "match_pos", "stock_pos", "stock_valid_pos", "stock_tier_pos",
                 "stock_tier_valid_pos", "insure_enforce_pos", "insure_loss_pos",
                 "insure_loss_all_pos", "insure_signals", "award_pos", "overseas_pos",
                 "overseas_valid_pos", "value_score", "push_rank"),
        fulltext=("title", "abstract"), display="title",
        joined=("applicants", "inventors"), computed=(("ipc_subclasses", "ipc_codes"),),
        retired=("ipc_subclasses",)),
    # organisation_key (the first applicant's org_key) is part of inventor_id: computed when read
    NodeType("Inventor", "inventor_id", "发明人", ("name",), indexed=("name",),
             computed=(("organisation_key", "name"),), retired=("organisation_key",)),
    NodeType("Institute", "org_key", "科研机构", _ORG_PROPS + (
        "kind", "field",
        # ranked (institute, enterprise) pairs of §11, the ranked stock lists of §1/§3 per
        # filter and the patents per cluster/subsector of §13 (queries.derive)
        "coop_pos", "coop_first", "coop_partners", "coop_linked", "coop_applied",
        "coop_invented", "coop_shared", "coop_detail", "stock_all", "stock_all_valid",
        "stock_a", "stock_a_valid", "stock_b", "stock_b_valid", "stock_c", "stock_c_valid",
        "stock_x", "stock_x_valid", "target_counts", "target_patents"),
             indexed=("name", "coop_first", "aliases", "conv_pos"), fulltext=("name",)),
    NodeType("Enterprise", "org_key", "企业", _ORG_PROPS + (
        "founded_year", "size", "industry_code", "tags", "park_name", "overseas",
        # derived by queries.derive
        "ipc_groups", "ipc_subclasses", "patent_count", "valid_patents",
        # counts and page positions of the roadshow and pledge questions (queries.derive)
        "owned_valid", "owned_tier_ab", "award_count", "trademarks", "copyrights",
        "ranks_date", "owned_tiers", "owned_top", "award_names", "roadshow_pos",
        "roadshow_valid_pos", "pledge_pos", "pledge_valid_pos",
        # counts and page positions of the overseas (§23) and product-filing (§9) questions
        "abroad_count", "abroad_valid_count", "abroad_family", "abroad_valid_family",
        "abroad_top", "abroad_valid_top", "overseas_pos", "overseas_valid_pos",
        "valid_inventions", "invention_top", "filed_product", "product_cand_pos",
        # patents per cluster/subsector of §13 (queries.derive)
        "target_counts", "target_patents"),
        indexed=("name", "roadshow_pos", "roadshow_valid_pos", "pledge_pos",
                 "pledge_valid_pos", "overseas_pos", "overseas_valid_pos", "product_cand_pos",
                 "aliases", "conv_pos", "tc_pos"),
        fulltext=("name",)),
    NodeType("Park", "park_id", "园区", ("name", "kind", "street_code", "street_name",
                                           "focus_industries", "address",
                                           # aggregates written by queries.derive
                                           "enterprises", "valid_patents", "tier_a", "tier_b",
                                           "products", "awards", "top_clusters",
                                           "top_cluster_ids",
                                           # the ranked §4 push list (queries.derive)
                                           "push_apps", "push_fits", "push_starts",
                                           "push_totals", "push_fit_ents",
                                           # the whole list, compactly (push_rank)
                                           "push_deep", "push_chunks"),
             indexed=("name", "conv_pos"),
             fulltext=("name",)),
    NodeType("Industry", "industry_id", "产业", ("name", "level", "source", "code",
                                                  "ipc_prefixes", "sei_codes", "parent_id",
                                                  # aggregates written by queries.derive
                                                  "valid_patents", "tier_a", "tier_b",
                                                  "avg_score", "top_holders", "top_patents",
                                                  "local_valid_patents", "fit_enterprises"),
             indexed=("name", "source")),
    NodeType("IPC", "code", "IPC分类", ("level", "title_zh", "section"), display="code"),
    NodeType("TechField", "field_id", "WIPO技术领域", ("name", "sector", "number")),
    NodeType("Division", "code", "行政区划", ("name", "level", "parent_code")),
    NodeType("TechCluster", "cluster_id", "技术集群", ("name", "top_ipc", "size", "method",
                                                       "version", "members",
                                                       # aggregates written by queries.derive
                                                       "valid_patents", "tier_a", "tier_b",
                                                       "avg_score", "top_holders", "top_patents",
                                                       "local_valid_patents", "fit_enterprises")),
    NodeType("Award", "award_id", "奖项", ("name", "level", "grade", "year", "kind", "project")),
    NodeType("FinancialInstitution", "org_key", "金融机构", ("name", "kind", "aliases",
                                                            "credit_code", "in_registry")),
    NodeType("FinancingProduct", "product_id", "金融产品", ("name", "kind", "terms", "rate",
                                                          "max_amount")),
    NodeType("Pledge", "pledge_id", "质押登记", ("amount", "start_date", "end_date",
                                                 "registered_no", "pledgor"),
             display="pledge_id"),
    NodeType("Licence", "licence_id", "许可", ("kind", "fee_model", "fee", "royalty_rate",
                                               "start_date", "end_date", "licensor"),
             display="licence_id"),
    NodeType("OpenLicenceOffer", "offer_id", "开放许可声明", ("fee_model", "fee",
                                                              "royalty_rate", "declared_date",
                                                              "platform", "field", "industry"),
             indexed=("licence_pos", "licence_valid_pos"), display="offer_id"),
    NodeType("Transfer", "transfer_id", "转让", ("date", "from_name", "to_name", "amount"),
             display="transfer_id"),
    NodeType("InsurancePolicy", "policy_id", "保险保单", ("kind", "amount", "premium",
                                                          "start_date", "end_date"),
             display="policy_id"),
    NodeType("Trademark", "reg_no", "商标", ("name", "classes", "valid_until")),
    NodeType("Copyright", "reg_no", "著作权", ("name", "kind", "reg_date")),
    NodeType("Product", "product_id", "专利密集型产品", ("name", "filing_status", "year",
                                                       "revenue",
                                                       # valid patents used (queries.derive)
                                                       "valid_uses", "valid_use_inventions",
                                                       "use_top"), fulltext=("name",)),
    NodeType("TechContract", "contract_id", "技术合同", ("kind", "amount", "signed_date",
                                                         "year", "registered", "name",
                                                         # flags of 保障二 (queries.derive)
                                                         "covers_patent", "covers_transferred",
                                                         "covers_licensed"),
             display="contract_id"),
    NodeType("Event", "event_id", "活动", ("name", "kind", "date", "place")),
    NodeType("ServiceAgency", "org_key", "服务机构", ("name", "kind", "aliases", "credit_code",
                                                     "address", "in_registry")),
)

# Bookkeeping, not business data (so not in NODES/LABELS): one node whose token changes with
# every load and every derive.refresh, read by each API process to key its response cache.
DATA_VERSION = NodeType("DataVersion", "name", "数据版本",
                        ("serial", "token", "updated_at", "loaded_at", "source",
                         "tier_rules_version"),
                        display="serial")
META_NODES: tuple[NodeType, ...] = (DATA_VERSION,)

_ORGS = ("Institute", "Enterprise")

RELATIONSHIPS: tuple[RelType, ...] = (
    RelType("INVENTED", ("Inventor",), ("Patent",), "发明"),
    RelType("AFFILIATED_WITH", ("Inventor",), _ORGS, "任职于"),
    RelType("APPLIED_BY", ("Patent",), _ORGS, "申请人", ("order",)),
    RelType("OWNED_BY", ("Patent",), _ORGS, "权利人"),
    RelType("CLASSIFIED_AS", ("Patent",), ("IPC",), "分类", ("main",)),
    RelType("PART_OF", ("IPC",), ("IPC",), "上级分类"),
    RelType("MAPS_TO", ("IPC",), ("Industry",), "对应产业"),
    RelType("IN_FIELD", ("IPC",), ("TechField",), "技术领域"),
    RelType("SUBSECTOR_OF", ("Industry",), ("Industry",), "细分于"),
    RelType("IN_CLUSTER", ("Patent",), ("TechCluster",), "属于集群", derived=True),
    RelType("IN_INDUSTRY_OF", ("Patent",), ("Industry",), "属于产业", derived=True),
    RelType("CITES", ("Patent",), ("Patent",), "引用"),
    RelType("LOCATED_IN", ("Enterprise", "Institute"), ("Park", "Division"), "位于"),
    RelType("IN_DIVISION", ("Park",), ("Division",), "所在街道"),
    RelType("PART_OF_DIVISION", ("Division",), ("Division",), "隶属"),
    RelType("FOCUSES_ON", ("Park",), ("Industry",), "主导产业"),
    RelType("IN_INDUSTRY", ("Enterprise",), ("Industry",), "所属产业"),
    RelType("WON", ("Patent",) + _ORGS, ("Award",), "获奖"),
    RelType("PLEDGED_IN", ("Patent", "Trademark", "Copyright"), ("Pledge",), "质押"),
    RelType("PLEDGED_BY", ("Pledge",), _ORGS, "出质人"),
    RelType("PLEDGED_TO", ("Pledge",), ("FinancialInstitution",), "质权人"),
    RelType("UNDER", ("Pledge",), ("FinancingProduct",), "融资产品"),
    RelType("OFFERED_BY", ("FinancingProduct",), ("FinancialInstitution",), "提供方"),
    RelType("USED", ("Enterprise",), ("FinancingProduct",), "使用"),
    RelType("OWNS_TM", _ORGS, ("Trademark",), "拥有商标"),
    RelType("OWNS_CR", _ORGS, ("Copyright",), "拥有著作权"),
    RelType("LICENSED_UNDER", ("Patent",), ("Licence",), "许可"),
    RelType("LICENSOR", ("Licence",), _ORGS, "许可方"),
    RelType("LICENSEE", ("Licence",), _ORGS, "被许可方"),
    RelType("OFFERED_AS", ("Patent",), ("OpenLicenceOffer",), "开放许可"),
    RelType("OFFERED_BY_ORG", ("OpenLicenceOffer",), _ORGS, "许可人"),
    RelType("TRANSFERRED_IN", ("Patent",), ("Transfer",), "转让"),
    RelType("FROM", ("Transfer",), _ORGS, "转让方"),
    RelType("TO", ("Transfer",), _ORGS, "受让方"),
    RelType("INSURED_BY", ("Patent", "Enterprise"), ("InsurancePolicy",), "投保"),
    RelType("ISSUED_BY", ("InsurancePolicy",), ("FinancialInstitution",), "承保"),
    RelType("MAKES", ("Enterprise",), ("Product",), "生产"),
    RelType("USES", ("Product",), ("Patent",), "使用专利"),
    RelType("COVERS", ("TechContract",), ("Patent",), "涉及专利"),
    RelType("SELLER", ("TechContract",), _ORGS, "卖方"),
    RelType("BUYER", ("TechContract",), _ORGS, "买方"),
    RelType("ATTENDED", _ORGS + ("FinancialInstitution",), ("Event",), "参加", ("role",)),
    RelType("SHOWCASED_AT", ("Patent",), ("Event",), "路演展示"),
    RelType("ORGANISED_BY", ("Event",), ("Park", "ServiceAgency"), "主办"),
    RelType("HANDLED_BY", ("Patent",), ("ServiceAgency",), "代理"),
    RelType("CO_APPLIED_WITH", ("Institute",), ("Enterprise",), "产学研合作",
            ("patents", "app_nos"),
            derived=True),
    RelType("FITS", ("Enterprise", "Park"), ("TechCluster", "Industry"), "匹配",
            # the reasons text is built at read time (queries.fit.fit_reasons) from these:
            # patents in the target / total, the first declared industries and partner
            # institutes that hit it (ids; absent when none), a park's members with patents
            ("score", "patents", "share", "total", "declared", "partners", "members"),
            derived=True),
)

NODE_BY_LABEL: dict[str, NodeType] = {n.label: n for n in NODES}
REL_BY_TYPE: dict[str, RelType] = {r.type: r for r in RELATIONSHIPS}
LABELS: tuple[str, ...] = tuple(NODE_BY_LABEL)
REL_TYPES: tuple[str, ...] = tuple(REL_BY_TYPE)

# Organisations share the `org_key` namespace: the same key is one legal entity.
ORG_LABELS: tuple[str, ...] = ("Institute", "Enterprise", "FinancialInstitution", "ServiceAgency")


@dataclass(frozen=True)
class IndexSpec:
    label: str
    property: str
    unique: bool = False


def key_of(label: str) -> str:
    """The business key property of a label (raises KeyError for unknown labels)."""
    return NODE_BY_LABEL[label].key


def index_specs() -> list[IndexSpec]:
    """Uniqueness constraints on every key plus the range indexes the queries rely on."""
    specs: list[IndexSpec] = []
    for node in NODES:
        specs.append(IndexSpec(node.label, node.key, unique=True))
        specs.extend(IndexSpec(node.label, p) for p in node.indexed)
    return specs


def fulltext_specs() -> dict[str, tuple[str, ...]]:
    return {n.label: n.fulltext for n in NODES if n.fulltext}


def label_zh(label: str) -> str:
    return NODE_BY_LABEL[label].name_zh


def rel_zh(rel_type: str) -> str:
    return REL_BY_TYPE[rel_type].name_zh


def check_label(label: str) -> str:
    """Allow-list a label before it is placed into Cypher text."""
    if label not in NODE_BY_LABEL:
        raise ValueError(f"unknown label {label!r}; expected one of {', '.join(LABELS)}")
    return label


def check_rel_type(rel_type: str) -> str:
    if rel_type not in REL_BY_TYPE:
        raise ValueError(f"unknown relationship type {rel_type!r}")
    return rel_type


# The separator of a joined property's items. The loader splits name lists on ; and ；
# (loaders.normalise._LIST_SPLIT), so no item it stores holds one.
JOIN_SEP = "；"


# The separator of keys joined into one text (the industry ids and institute org_keys of a
# FITS edge): an ideographic space. Every loaded text cell has it folded to a space
# (loaders.normalise.norm_text), an org_key is a credit code or "name:" + a name with its
# white space removed (loaders.resolve), SEI industry ids are "SEI:<code>": no key holds one.
KEY_SEP = "\u3000"


def join_items(items: list[str] | tuple[str, ...] | None, sep: str = JOIN_SEP) -> str | None:
    """A joined property's stored text (None, not stored, for no items)."""
    if not items:
        return None
    if any(sep in item for item in items):  # never silently read back as other items
        raise ValueError(f"an item holds the separator {sep!r}: {list(items)!r}")
    return sep.join(items)


def split_items(value: object, sep: str = JOIN_SEP) -> list[str] | None:
    """A joined property's items; a list is returned as it is (a graph loaded before the
    property was joined stores lists until its next load of the same files)."""
    if value is None or isinstance(value, list):
        return value
    return str(value).split(sep) if value != "" else []


def ipc_subclasses(codes: list[str] | None) -> list[str]:
    """The IPC subclasses (first 4 characters) of IPC codes, in order, each once."""
    return list(dict.fromkeys(c[:4] for c in codes or ()))


# The owner part of an inventor_id ("<name>@<owner>") of an inventor with no organisation.
# An org_key is a credit code or "name:<normalised name>" (loaders.resolve), never this.
NO_ORGANISATION = "individual"


def inventor_id(name: str, org_key: str | None) -> str:
    """An inventor's key: the name and the first applicant's org_key (an inventor of
    patents with no organisation applicant is "<name>@individual")."""
    return f"{name}@{org_key or NO_ORGANISATION}"


def inventor_organisation(name: object, props: dict[str, Any]) -> str | None:
    """An inventor's organisation_key, read back from its inventor_id (None: individual)."""
    key = props.get("inventor_id")
    if not isinstance(name, str) or not isinstance(key, str) or not key.startswith(name + "@"):
        return None
    owner = key[len(name) + 1:]
    return None if owner in ("", NO_ORGANISATION) else owner


_COMPUTE: dict[str, Callable[[Any, dict[str, Any]], Any]] = {
    "ipc_subclasses": lambda codes, _props: ipc_subclasses(codes),
    "organisation_key": inventor_organisation,
}


def readable(label: str, props: dict[str, Any]) -> dict[str, Any]:
    """A node's properties as readers see them: joined properties split back into lists and
    the computed ones added right after their source (when it is present)."""
    spec = NODE_BY_LABEL.get(label)
    if spec is None or not (spec.joined or spec.computed):
        return props
    for name in spec.joined:
        if name in props:
            props[name] = split_items(props[name])
    if not any(source in props for _, source in spec.computed):
        return props
    out: dict[str, Any] = {}
    for k, v in props.items():
        out[k] = v
        for name, source in spec.computed:
            if k == source and v is not None:
                value = _COMPUTE[name](v, props)
                if value is not None:  # as before: a null property is not stored, not shown
                    out[name] = value
    return out


@dataclass
class SchemaReport:
    """What ensure_schema did, for the CLI and tests."""
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
