"""Normalised rows -> graph tables, one builder per input kind (the graph contract in
docs/DATA_NOTES.md). Pure python: lookups come from the Context, never from the store."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from graph.schema import inventor_id as make_inventor_id
from graph.schema import join_items
from loaders.normalise import patent_type_from_app_no, patent_type_from_text, term_facts
from loaders.reference import Reference, add_ipc, sei_id
from loaders.resolve import OrgRef, OrgResolver, guess_fi_kind, is_person
from loaders.tables import NO_PROPS, Tables

ORGS = ("Institute", "Enterprise")
FI = ("FinancialInstitution",)
AGENCY = ("ServiceAgency",)

# Kinds in dependency order: what a kind refers to is built before it.
KIND_ORDER = ("industries", "parks", "institutes", "enterprises", "financial_institutions",
              "agencies", "patents", "financing_products", "trademarks", "copyrights", "awards",
              "pledges", "licences", "open_licences", "transfers", "insurance", "products",
              "contracts", "events")

LICENCE_KINDS = (("开放", "开放许可"), ("独占", "独占许可"), ("排他", "排他许可"),
                 ("普通", "普通许可"), ("分许可", "普通许可"))
# Known patent-export fields the graph has no property for: kept in `extra` under their header.
_PATENT_EXTRA = ("first_claim", "applicant_type", "applicant_address", "province_code",
                 "cpc_codes", "agents", "priority", "family_members")


# Filing dates, types and statuses repeat: the facts of each combination are computed once
# (the dict is only read, props.update copies it).
_term_facts = lru_cache(maxsize=1 << 16)(term_facts)


def norm_key_name(name: str) -> str:
    """Key form of a park/industry name: width, spaces and bracket styles folded."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)).lower()


@dataclass
class Context:
    """Everything the builders share during one load."""

    tables: Tables
    resolver: OrgResolver
    ref: Reference
    patents: set[str] = field(default_factory=set)  # app_nos in the graph or this load
    trademarks: set[str] = field(default_factory=set)
    copyrights: set[str] = field(default_factory=set)
    industries: dict[str, str] = field(default_factory=dict)  # id / name key -> industry_id
    parks: dict[str, str] = field(default_factory=dict)  # name key -> park_id
    products: dict[str, str] = field(default_factory=dict)  # id / name key -> product_id
    missing_refs: int = 0  # references to patents/IP not in the graph (reported, not fatal)
    today: date = field(default_factory=date.today)

    # -- lookups -------------------------------------------------------------------------
    def industry(self, text: str) -> str | None:
        text = text.strip()
        key = norm_key_name(text)
        return (self.industries.get(key) or self.industries.get(norm_key_name(sei_id(text)))
                or self.industries.get(norm_key_name(text.removeprefix("SEI:"))))

    def park(self, text: str) -> str | None:
        key = norm_key_name(text)
        if key in self.parks:
            return self.parks[key]
        # '帅达创新产业园' vs '帅达': accept a containment match only when it is unique.
        hits = {pid for name, pid in self.parks.items() if name in key or key in name}
        return hits.pop() if len(hits) == 1 else None

    def patent_refs(self, app_nos: list[str]) -> list[str]:
        found = [a for a in app_nos if a in self.patents]
        self.missing_refs += len(app_nos) - len(found)
        return found

    def org(self, name: str, labels: tuple[str, ...] = ORGS, **kw: Any) -> OrgRef:
        return self.resolver.resolve(name, labels, **kw)

    def fi(self, name: str) -> OrgRef:
        return self.resolver.resolve(name, FI, new_props={"kind": guess_fi_kind(name)})


Builder = Callable[[list[dict[str, Any]], Context], None]


def _located(ctx: Context, label: str, key: str, street: str | None) -> str | None:
    code = ctx.ref.street_code(street)
    if code:
        ctx.tables.rel("LOCATED_IN", label, key, "Division", code)
    return code


def _org_node(ctx: Context, label: str, row: dict[str, Any], props: dict[str, Any]) -> str:
    name = row["name"]
    key = row.get("credit_code") or f"name:{_norm(name)}"
    ctx.resolver.add(label, key, name, aliases=row.get("aliases"),
                     credit_code=row.get("credit_code"))
    ctx.tables.node(label, key, {"name": name, "credit_code": row.get("credit_code"),
                                 "in_registry": True, **props})
    return key


def _norm(name: str) -> str:
    from loaders.resolve import norm_org_name

    return norm_org_name(name)


# -- registries --------------------------------------------------------------------------------
def build_industries(rows: list[dict[str, Any]], ctx: Context) -> None:
    """District leading-industry subsectors with their parents."""
    for row in rows:
        ctx.industries[norm_key_name(row["industry_id"])] = row["industry_id"]
        ctx.industries.setdefault(norm_key_name(row["name"]), row["industry_id"])
    for row in rows:
        parent = row.get("parent")
        parent_id = ctx.industry(parent) if parent else None
        if parent_id == row["industry_id"]:
            parent_id = None  # a chain named like its only subsector ('新材料' -> '新材料')
        if parent and not parent_id:
            # A chain named only as a parent still becomes a node, so subsectors group.
            parent_id = parent.strip()
            ctx.industries.setdefault(norm_key_name(parent_id), parent_id)
            ctx.tables.node("Industry", parent_id, {"name": parent_id, "level": 1,
                                                    "source": "district"})
        ctx.tables.node("Industry", row["industry_id"], {
            "name": row["name"], "source": "district", "level": 2 if parent_id else 1,
            "ipc_prefixes": [p.replace(" ", "").upper() for p in row.get("ipc_prefixes", [])],
            "sei_codes": [c.removeprefix("SEI:") for c in row.get("sei_codes", [])],
            "parent_id": parent_id})
        if parent_id:
            ctx.tables.rel("SUBSECTOR_OF", "Industry", row["industry_id"], "Industry", parent_id)


def build_parks(rows: list[dict[str, Any]], ctx: Context) -> None:
    """Parks, their street and focus industries."""
    for row in rows:
        park_id = norm_key_name(row["name"])
        ctx.parks[park_id] = park_id
        code = ctx.ref.street_code(row.get("street"))
        ctx.tables.node("Park", park_id, {
            "name": row["name"], "kind": row.get("kind"), "street_code": code,
            "street_name": row.get("street"), "focus_industries": row.get("focus_industries"),
            "address": row.get("address")})
        if code:
            ctx.tables.rel("IN_DIVISION", "Park", park_id, "Division", code)
        for text in row.get("focus_industries", []):
            industry = ctx.industry(text)
            if industry:
                ctx.tables.rel("FOCUSES_ON", "Park", park_id, "Industry", industry)


def build_institutes(rows: list[dict[str, Any]], ctx: Context) -> None:
    """The research-institute registry."""
    for row in rows:
        code = ctx.ref.street_code(row.get("street"))
        key = _org_node(ctx, "Institute", row, {
            "kind": row.get("kind"), "field": row.get("field"), "address": row.get("address"),
            "street_code": code, "resident_in_district": row.get("resident"),
            "aliases": row.get("aliases")})
        _located(ctx, "Institute", key, row.get("street"))


def build_enterprises(rows: list[dict[str, Any]], ctx: Context) -> None:
    """The enterprise registry with park, street and industry."""
    for row in rows:
        industry = ctx.industry(row["industry"]) if row.get("industry") else None
        park = ctx.park(row["park"]) if row.get("park") else None
        key = _org_node(ctx, "Enterprise", row, {
            "address": row.get("address"), "street_code": ctx.ref.street_code(row.get("street")),
            "tags": row.get("tags"), "founded_year": row.get("founded_year"),
            "size": row.get("size"), "industry_code": industry or row.get("industry"),
            "park_name": row.get("park"), "overseas": row.get("overseas")})
        _located(ctx, "Enterprise", key, row.get("street"))
        if park:
            ctx.tables.rel("LOCATED_IN", "Enterprise", key, "Park", park)
        if industry:
            ctx.tables.rel("IN_INDUSTRY", "Enterprise", key, "Industry", industry)


def build_financial_institutions(rows: list[dict[str, Any]], ctx: Context) -> None:
    """Banks, insurers, investors, guarantors."""
    for row in rows:
        _org_node(ctx, "FinancialInstitution", row, {"kind": row.get("kind")})


def build_agencies(rows: list[dict[str, Any]], ctx: Context) -> None:
    """IP service agencies and patent agencies."""
    for row in rows:
        _org_node(ctx, "ServiceAgency", row, {"kind": row.get("kind"),
                                              "address": row.get("address")})


# -- patents -----------------------------------------------------------------------------------
def patent_props(row: dict[str, Any], today: date, headers: dict[str, str]) -> dict[str, Any]:
    """The Patent node properties of one normalised export row (derived facts included)."""
    app_no = row["app_no"]
    ptype = patent_type_from_app_no(app_no) or patent_type_from_text(
        row.get("patent_type"), row.get("pub_no"))
    ipc_codes = list(row.get("ipc_codes", []))
    main = row.get("ipc_main") or (ipc_codes[0] if ipc_codes else None)
    if main:
        ipc_codes = [main] + [c for c in ipc_codes if c != main]
    family = row.get("family_members")
    extra = {headers.get(k, k): row[k] for k in _PATENT_EXTRA if k in row}
    extra.update(row.get("_extra", {}))
    props = {
        "title": row.get("title"), "abstract": row.get("abstract"), "pub_no": row.get("pub_no"),
        "app_date": row.get("app_date"), "pub_date": row.get("pub_date"),
        "grant_date": row.get("grant_date"), "patent_type": ptype,
        "legal_status": row.get("legal_status"),
        "ipc_main": main, "ipc_codes": ipc_codes,
        "claims_count": row.get("claims_count"),
        "family_size": row.get("family_size") if row.get("family_size") is not None
        else (len(family) if family else None),
        "has_family_abroad": (any(not m.upper().startswith("CN") for m in family or [])
                              if "family_members" in headers else None),
        "cited_by_count": row.get("cited_by_count"), "transfer_count": row.get("transfer_count"),
        "licence_count": row.get("licence_count"), "pledge_count": row.get("pledge_count"),
        # one text each (graph.schema: joined), the names in export order
        "applicants": join_items(row.get("applicants")),
        "inventors": join_items(row.get("inventors")),
        "agency": row.get("agency"), "invalidation": row.get("invalidation"),
        "extra": json.dumps(extra, ensure_ascii=False, sort_keys=True) if extra else None,
    }
    props.update(_term_facts(row.get("app_date"), ptype, row.get("legal_status"), today))
    return props


def build_patents(rows: list[dict[str, Any]], ctx: Context, headers: dict[str, str],
                  cites: list[tuple[str, str]] | None = None) -> None:
    """Patents with applicants, owners, inventors, IPC classes, agency and citations.

    ``cites``: collect (citing, cited) pairs there instead, for ``add_cites`` once every
    patent of the load is known (tables built while later files are still being parsed)."""
    # A million rows make ~10 relationships each: the buckets and lookups are fetched once,
    # and each organisation name is resolved through the resolver until its answer is stable.
    tables, patents, today = ctx.tables, ctx.patents, ctx.today
    for row in rows:
        patents.add(row["app_no"])
    sei_codes_of = ctx.ref.sei_codes_of
    applied = tables.bucket("APPLIED_BY", "Patent", "Institute"), \
        tables.bucket("APPLIED_BY", "Patent", "Enterprise")
    applied_by = {"Institute": applied[0], "Enterprise": applied[1]}
    owned_by = {"Institute": tables.bucket("OWNED_BY", "Patent", "Institute"),
                "Enterprise": tables.bucket("OWNED_BY", "Patent", "Enterprise")}
    affiliated = {"Institute": tables.bucket("AFFILIATED_WITH", "Inventor", "Institute"),
                  "Enterprise": tables.bucket("AFFILIATED_WITH", "Inventor", "Enterprise")}
    invented = tables.bucket("INVENTED", "Inventor", "Patent")
    classified = tables.bucket("CLASSIFIED_AS", "Patent", "IPC")
    handled = tables.bucket("HANDLED_BY", "Patent", "ServiceAgency")
    cites_bucket = tables.bucket("CITES", "Patent", "Patent")
    resolve = _StableResolve(ctx)
    ref_data = ctx.ref
    inventor_nodes = tables.nodes.get("Inventor")
    ipc_nodes = tables.nodes.get("IPC")
    # Relationships are added inline (add_rel's semantics: a new one takes its own props, a
    # repeated one is updated; NO_PROPS is shared and never mutated).
    for row in rows:
        app_no = row["app_no"]
        props = patent_props(row, today, headers)
        props["in_sei"] = bool(sei_codes_of(props["ipc_codes"]))
        props["source_file"] = row.get("_file")
        tables.node("Patent", app_no, props)
        applicant_type = row.get("applicant_type") or ""
        orgs: list[OrgRef] = []
        for i, name in enumerate(row.get("applicants", [])):
            first_is_person = i == 0 and any(t in applicant_type for t in ("个人", "自然人"))
            if first_is_person or is_person(name):
                continue
            default = "Institute" if i == 0 and any(
                t in applicant_type for t in ("院校", "科研", "高校", "医院")) else None
            ref = resolve.org(name, default)
            if all(o.key != ref.key for o in orgs):
                orgs.append(ref)
        for order, ref in enumerate(orgs, start=1):
            bucket = applied_by[ref.label]
            current = bucket.get((app_no, ref.key))
            if current is None or current is NO_PROPS:
                bucket[(app_no, ref.key)] = {"order": order}
            else:
                current["order"] = order
        owners = [resolve.org(n, None) for n in row.get("current_owners", [])
                  if not is_person(n)] if row.get("current_owners") else orgs
        for ref in owners:
            owned_by[ref.label].setdefault((app_no, ref.key), NO_PROPS)
        inventors = row.get("inventors")
        if inventors:
            first = orgs[0] if orgs else None
            org_key = first.key if first else None
            affiliated_first = affiliated[first.label] if first else None
            first_key = first.key if first else ""
            for name in inventors:
                inventor_id = make_inventor_id(name, org_key)
                # The id holds the name and the organisation (organisation_key is read back
                # from it, graph.schema.inventor_organisation): a known inventor is unchanged.
                if inventor_nodes is None or inventor_id not in inventor_nodes:
                    tables.node("Inventor", inventor_id, {"name": name})
                    inventor_nodes = tables.nodes["Inventor"]
                invented.setdefault((inventor_id, app_no), NO_PROPS)
                if affiliated_first is not None:
                    affiliated_first.setdefault((inventor_id, first_key), NO_PROPS)
        main = props["ipc_main"]
        for code in props["ipc_codes"]:
            if ipc_nodes is None or code not in ipc_nodes:
                add_ipc(tables, ref_data, code)
                ipc_nodes = tables.nodes.get("IPC")
            current = classified.get((app_no, code))
            if current is None or current is NO_PROPS:
                classified[(app_no, code)] = {"main": code == main}
            else:
                current["main"] = code == main
        if row.get("agency"):
            agency = resolve.agency(row["agency"])
            handled.setdefault((app_no, agency.key), NO_PROPS)
        if cites is not None:
            cites.extend((app_no, cited) for cited in row.get("cites", []) if cited != app_no)
        else:
            for cited in row.get("cites", []):
                # Citations of patents outside the data are normal: no warning for them.
                if cited in patents and cited != app_no:
                    cites_bucket.setdefault((app_no, cited), NO_PROPS)
    for bucket_key in list(tables.rels):  # buckets fetched above but left empty
        if not tables.rels[bucket_key]:
            del tables.rels[bucket_key]


def add_cites(ctx: Context, cites: list[tuple[str, str]]) -> None:
    """The citations build_patents collected: those of patents in the graph or this load."""
    patents = ctx.patents
    found = [ends for ends in cites if ends[1] in patents]
    if found:
        bucket = ctx.tables.bucket("CITES", "Patent", "Patent")
        for ends in found:
            bucket.setdefault(ends, NO_PROPS)


class _StableResolve:
    """ctx.org / the agency lookup of build_patents, answered from memory once stable.

    A name's resolution has side effects (a new node, an alias, a department) that the next
    resolution of the same name may still add to (a new parent's alias); from the second
    resolution on, the answer and the state are fixed (no registry is read meanwhile), so
    later ones are skipped. Labels other than Institute/Enterprise are never returned by
    ORGS resolution, and the buckets above cover both."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.seen: dict[tuple[str, str | None], OrgRef | None] = {}

    def org(self, name: str, default: str | None) -> OrgRef:
        key = (name, default)
        ref = self.seen.get(key)
        if ref is None:
            ref = self.ctx.org(name, default_label=default)
            # None marks "resolved once": the next call resolves again and is remembered.
            self.seen[key] = ref if key in self.seen else None
        return ref

    def agency(self, name: str) -> OrgRef:
        key = (name, "\0agency")
        ref = self.seen.get(key)
        if ref is None:
            ref = self.ctx.resolver.resolve(name, AGENCY, new_props={"kind": "代理机构"})
            self.seen[key] = ref if key in self.seen else None
        return ref


# -- events, money and rights ------------------------------------------------------------------
def build_financing_products(rows: list[dict[str, Any]], ctx: Context) -> None:
    """Financing products, who offers them and which enterprises used them."""
    for row in rows:
        pid = row["product_id"]
        ctx.products[norm_key_name(pid)] = pid
        ctx.products.setdefault(norm_key_name(row["name"]), pid)
        ctx.tables.node("FinancingProduct", pid, {
            "name": row["name"], "kind": row.get("kind"), "terms": row.get("terms"),
            "rate": row.get("rate"), "max_amount": row.get("max_amount")})
        fi = ctx.fi(row["institution"])
        ctx.tables.rel("OFFERED_BY", "FinancingProduct", pid, "FinancialInstitution", fi.key)
        for name in row.get("users", []):
            ref = ctx.org(name, default_label="Enterprise")
            if ref.label == "Enterprise":
                ctx.tables.rel("USED", "Enterprise", ref.key, "FinancingProduct", pid)


def build_trademarks(rows: list[dict[str, Any]], ctx: Context) -> None:
    """Trademarks and their owners."""
    for row in rows:
        ctx.trademarks.add(row["reg_no"])
        ctx.tables.node("Trademark", row["reg_no"], {
            "name": row["name"], "classes": row.get("classes"),
            "valid_until": row.get("valid_until")})
        owner = ctx.org(row["owner"])
        ctx.tables.rel("OWNS_TM", owner.label, owner.key, "Trademark", row["reg_no"])


def build_copyrights(rows: list[dict[str, Any]], ctx: Context) -> None:
    """Copyrights (software and works) and their owners."""
    for row in rows:
        ctx.copyrights.add(row["reg_no"])
        ctx.tables.node("Copyright", row["reg_no"], {
            "name": row["name"], "kind": row.get("kind"), "reg_date": row.get("reg_date")})
        owner = ctx.org(row["owner"])
        ctx.tables.rel("OWNS_CR", owner.label, owner.key, "Copyright", row["reg_no"])


def award_id(row: dict[str, Any]) -> str:
    """A stable award key: year, award and project (or what identifies the winner)."""
    what = row.get("project") or "/".join(row.get("patents") or row.get("winners") or [])
    return f"{row['year']}|{row['award_name']}|{what}"


def build_awards(rows: list[dict[str, Any]], ctx: Context) -> None:
    """Science/technology and patent awards with the patents and organisations that won."""
    for row in rows:
        aid = award_id(row)
        kind = "专利奖" if "专利" in row["award_name"] else "科技奖"
        ctx.tables.node("Award", aid, {
            "name": row["award_name"], "level": row.get("level"), "grade": row.get("grade"),
            "year": row["year"], "kind": kind, "project": row.get("project")})
        for app_no in ctx.patent_refs(row.get("patents", [])):
            ctx.tables.rel("WON", "Patent", app_no, "Award", aid)
        for name in row.get("winners", []):
            ref = ctx.org(name)
            ctx.tables.rel("WON", ref.label, ref.key, "Award", aid)


def build_pledges(rows: list[dict[str, Any]], ctx: Context) -> None:
    """Pledge registrations: the pledged IP bundle, pledgor, pledgee and product."""
    for row in rows:
        pid = row["pledge_id"]
        ctx.tables.node("Pledge", pid, {
            "amount": row["amount"], "start_date": row["start_date"],
            "end_date": row.get("end_date"), "pledgor": row["pledgor"]})
        for app_no in ctx.patent_refs(row.get("patents", [])):
            ctx.tables.rel("PLEDGED_IN", "Patent", app_no, "Pledge", pid)
        for label, known, field_name in (("Trademark", ctx.trademarks, "trademarks"),
                                         ("Copyright", ctx.copyrights, "copyrights")):
            for reg_no in row.get(field_name, []):
                if reg_no in known:
                    ctx.tables.rel("PLEDGED_IN", label, reg_no, "Pledge", pid)
                else:
                    ctx.missing_refs += 1
        pledgor = ctx.org(row["pledgor"])
        ctx.tables.rel("PLEDGED_BY", "Pledge", pid, pledgor.label, pledgor.key)
        pledgee = ctx.fi(row["pledgee"])
        ctx.tables.rel("PLEDGED_TO", "Pledge", pid, "FinancialInstitution", pledgee.key)
        if row.get("product"):
            product = ctx.products.get(norm_key_name(row["product"]))
            if product:
                ctx.tables.rel("UNDER", "Pledge", pid, "FinancingProduct", product)
            else:
                ctx.missing_refs += 1


def licence_kind(text: str) -> str:
    """普通许可 / 独占许可 / 排他许可 / 开放许可 from the registry's wording."""
    for word, kind in LICENCE_KINDS:
        if word in text:
            return kind
    return text


def build_licences(rows: list[dict[str, Any]], ctx: Context) -> None:
    """Licence registrations with licensor, licensee and the licensed patents."""
    for row in rows:
        lid = row["licence_id"]
        ctx.tables.node("Licence", lid, {
            "kind": licence_kind(row["kind"]), "fee_model": row.get("fee_model"),
            "fee": row.get("fee"), "royalty_rate": row.get("royalty_rate"),
            "start_date": row["start_date"], "end_date": row.get("end_date"),
            "licensor": row["licensor"]})
        for app_no in ctx.patent_refs(row["patents"]):
            ctx.tables.rel("LICENSED_UNDER", "Patent", app_no, "Licence", lid)
        licensor, licensee = ctx.org(row["licensor"]), ctx.org(row["licensee"])
        ctx.tables.rel("LICENSOR", "Licence", lid, licensor.label, licensor.key)
        ctx.tables.rel("LICENSEE", "Licence", lid, licensee.label, licensee.key)


def build_open_licences(rows: list[dict[str, Any]], ctx: Context) -> None:
    """Open-licence offers with their fee terms, field and industry."""
    for row in rows:
        oid = row["offer_id"]
        ctx.tables.node("OpenLicenceOffer", oid, {
            "fee_model": row["fee_model"], "fee": row.get("fee"),
            "royalty_rate": row.get("royalty_rate"), "declared_date": row["declared_date"],
            "platform": row.get("platform"), "field": row.get("field"),
            "industry": row.get("industry")})
        for app_no in ctx.patent_refs([row["patent"]]):
            ctx.tables.rel("OFFERED_AS", "Patent", app_no, "OpenLicenceOffer", oid)
        licensor = ctx.org(row["licensor"])
        ctx.tables.rel("OFFERED_BY_ORG", "OpenLicenceOffer", oid, licensor.label, licensor.key)


def build_transfers(rows: list[dict[str, Any]], ctx: Context) -> None:
    """Assignments of patents from one holder to another."""
    for row in rows:
        tid = row["transfer_id"]
        ctx.tables.node("Transfer", tid, {"date": row["date"], "from_name": row["from_name"],
                                          "to_name": row["to_name"], "amount": row.get("amount")})
        for app_no in ctx.patent_refs([row["patent"]]):
            ctx.tables.rel("TRANSFERRED_IN", "Patent", app_no, "Transfer", tid)
        _link_parties(ctx, "Transfer", tid, (("FROM", row["from_name"]), ("TO", row["to_name"])))


def _link_parties(ctx: Context, label: str, key: str,
                  parties: tuple[tuple[str, str], ...]) -> None:
    """Link a transaction to its organisation parties; a person party stays only a name."""
    for rel_type, name in parties:
        if not is_person(name):
            ref = ctx.org(name)
            ctx.tables.rel(rel_type, label, key, ref.label, ref.key)


def build_insurance(rows: list[dict[str, Any]], ctx: Context) -> None:
    """IP insurance policies, the insured enterprise and patents, and the insurer."""
    for row in rows:
        pid = row["policy_id"]
        ctx.tables.node("InsurancePolicy", pid, {
            "kind": row["kind"], "amount": row.get("amount"), "premium": row.get("premium"),
            "start_date": row["start_date"], "end_date": row.get("end_date")})
        insured = ctx.org(row["insured"], default_label="Enterprise")
        if insured.label == "Enterprise":
            ctx.tables.rel("INSURED_BY", "Enterprise", insured.key, "InsurancePolicy", pid)
        for app_no in ctx.patent_refs(row.get("patents", [])):
            ctx.tables.rel("INSURED_BY", "Patent", app_no, "InsurancePolicy", pid)
        insurer = ctx.fi(row["insurer"])
        ctx.tables.rel("ISSUED_BY", "InsurancePolicy", pid, "FinancialInstitution", insurer.key)


def build_products(rows: list[dict[str, Any]], ctx: Context) -> None:
    """Patent-intensive products, their maker and the patents they use."""
    for row in rows:
        pid = row["product_id"]
        ctx.tables.node("Product", pid, {
            "name": row["name"], "filing_status": row.get("filing_status"),
            "year": row.get("year"), "revenue": row.get("revenue")})
        maker = ctx.org(row["maker"], default_label="Enterprise")
        if maker.label == "Enterprise":
            ctx.tables.rel("MAKES", "Enterprise", maker.key, "Product", pid)
        for app_no in ctx.patent_refs(row.get("patents", [])):
            ctx.tables.rel("USES", "Product", pid, "Patent", app_no)


def build_contracts(rows: list[dict[str, Any]], ctx: Context) -> None:
    """Registered technology contracts, their parties and covered patents."""
    for row in rows:
        cid = row["contract_id"]
        ctx.tables.node("TechContract", cid, {
            "kind": row["kind"], "amount": row["amount"], "signed_date": row["signed_date"],
            "year": int(row["signed_date"][:4]), "registered": row.get("registered"),
            "name": row.get("name")})
        for app_no in ctx.patent_refs(row.get("patents", [])):
            ctx.tables.rel("COVERS", "TechContract", cid, "Patent", app_no)
        _link_parties(ctx, "TechContract", cid,
                      (("SELLER", row["seller"]), ("BUYER", row["buyer"])))


def build_events(rows: list[dict[str, Any]], ctx: Context) -> None:
    """Roadshows and matchmaking events: attendees, showcased patents, organiser."""
    for row in rows:
        eid = row["event_id"]
        ctx.tables.node("Event", eid, {"name": row["name"], "kind": row.get("kind"),
                                       "date": row["date"], "place": row.get("place")})
        for name in row.get("enterprises", []):
            ref = ctx.org(name, default_label="Enterprise")
            ctx.tables.rel("ATTENDED", ref.label, ref.key, "Event", eid, {"role": "路演企业"})
        for name in row.get("institutes", []):
            ref = ctx.org(name, default_label="Institute")
            ctx.tables.rel("ATTENDED", ref.label, ref.key, "Event", eid, {"role": "科研机构"})
        for name in row.get("investors", []):
            ref = ctx.fi(name)
            ctx.tables.rel("ATTENDED", "FinancialInstitution", ref.key, "Event", eid,
                           {"role": "投资机构"})
        for app_no in ctx.patent_refs(row.get("patents", [])):
            ctx.tables.rel("SHOWCASED_AT", "Patent", app_no, "Event", eid)
        organiser = row.get("organiser")
        if organiser:
            park = ctx.park(organiser)
            if park:
                ctx.tables.rel("ORGANISED_BY", "Event", eid, "Park", park)
            else:
                agency = ctx.resolver.resolve(organiser, AGENCY,
                                              new_props={"kind": "服务机构"})
                ctx.tables.rel("ORGANISED_BY", "Event", eid, "ServiceAgency", agency.key)


BUILDERS: dict[str, Builder] = {
    "industries": build_industries, "parks": build_parks, "institutes": build_institutes,
    "enterprises": build_enterprises, "financial_institutions": build_financial_institutions,
    "agencies": build_agencies, "financing_products": build_financing_products,
    "trademarks": build_trademarks, "copyrights": build_copyrights, "awards": build_awards,
    "pledges": build_pledges, "licences": build_licences, "open_licences": build_open_licences,
    "transfers": build_transfers, "insurance": build_insurance, "products": build_products,
    "contracts": build_contracts, "events": build_events,
}


def finish_orgs(ctx: Context) -> None:
    """Write unmatched organisations and the merged aliases/departments of touched ones."""
    for (label, key), props in ctx.resolver.new_orgs.items():
        ctx.tables.node(label, key, {**props, "in_registry": False})
    for label, key in ctx.resolver.touched | {
            (lbl, k) for lbl in ("Institute", "Enterprise", "FinancialInstitution",
                                 "ServiceAgency") for k in ctx.tables.nodes.get(lbl, {})}:
        extra: dict[str, Any] = {}
        aliases = sorted(ctx.resolver.aliases.get(key, set()))
        if aliases:
            extra["aliases"] = aliases
        departments = sorted(ctx.resolver.departments.get(key, set()))
        if departments and label == "Institute":
            extra["departments"] = departments
        if extra:
            ctx.tables.node(label, key, extra)
