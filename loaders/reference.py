"""Reference data (IPC, strategic emerging industries, WIPO fields, Tianjin divisions) as
graph tables, and the lookups the other loaders need from it."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from loaders.normalise import CellError, norm_ipc
from loaders.tables import Tables

REFERENCE_DIR = Path(__file__).with_name("reference_data")

# Level-1 names of the SEI classification (国家统计局《战略性新兴产业分类（2018）》); the
# reference table only carries the level-2 names.
SEI_LEVEL1 = {"1": "新一代信息技术产业", "2": "高端装备制造产业", "3": "新材料产业",
              "4": "生物产业", "5": "新能源汽车产业", "6": "新能源产业", "7": "节能环保产业",
              "8": "数字创意产业", "9": "相关服务业"}
HEDONG_CODE = "120102"


def sei_id(code: str) -> str:
    """'1.1' -> 'SEI:1.1'."""
    return f"SEI:{code}"


@dataclass
class Reference:
    """The reference tables in memory plus lookups."""

    ipc: dict[str, dict] = field(default_factory=dict)  # code -> {level, parent_code, title_zh}
    sei_names: dict[str, str] = field(default_factory=dict)  # '1.1' -> name
    ipc_sei: dict[str, set[str]] = field(default_factory=dict)  # main group/subclass -> codes
    wipo_fields: dict[int, dict] = field(default_factory=dict)
    ipc_fields: dict[str, set[int]] = field(default_factory=dict)  # subclass -> field numbers
    divisions: dict[str, dict] = field(default_factory=dict)  # code -> {name, level, parent}
    # street name -> code: street_code scans all divisions and is called once per registry row
    _streets: dict[str, str | None] = field(default_factory=dict, repr=False, compare=False)

    def street_code(self, name: str | None) -> str | None:
        """The division code of a street name ('大王庄街道' or '大王庄'), Hedong first."""
        if not name:
            return None
        name = name.strip()
        if name not in self._streets:
            self._streets[name] = self._street_code(name)
        return self._streets[name]

    def _street_code(self, name: str) -> str | None:
        candidates = [c for c, d in self.divisions.items() if d["level"] == "street" and
                      (d["name"] == name or d["name"] == name + "街道" or
                       d["name"].removesuffix("街道") == name.removesuffix("街道"))]
        candidates.sort(key=lambda c: (not c.startswith(HEDONG_CODE), c))
        return candidates[0] if candidates else None

    def sei_codes_of(self, main_groups: list[str]) -> set[str]:
        """SEI codes any of these IPC main groups maps to, directly or through its subclass.

        The concordance lists some subclasses whole (G16H -> 1.5) with no main groups."""
        codes: set[str] = set()
        for group in main_groups:
            codes |= self.ipc_sei.get(group, set())
            codes |= self.ipc_sei.get(group.split("/")[0][:4], set())
        return codes


def ipc_level(code: str) -> str:
    """section / class / subclass / main_group of a normalised IPC code."""
    if "/" in code:
        return "main_group"
    return {1: "section", 3: "class", 4: "subclass"}[len(code)]


def ipc_parent(code: str) -> str | None:
    """The IPC code one level up ('A61B5/00' -> 'A61B' -> 'A61' -> 'A')."""
    if "/" in code:
        return code[:4]
    return {4: code[:3], 3: code[:1]}.get(len(code))


@lru_cache(maxsize=1)
def load_reference(directory: Path = REFERENCE_DIR) -> Reference:
    """Read the reference files once per process."""
    ref = Reference()
    with (directory / "ipc_zh_to_main_group.csv").open(encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            ref.ipc[row["code"]] = {"level": row["level"], "title_zh": row["title_zh"] or None}
    sei_rules: dict[int, str] = {}
    with (directory / "sei_industries.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            item = json.loads(line)
            sei_rules[item["id"]] = item["seiCode"]
            ref.sei_names[item["seiCode"]] = item["seiName"]
    with (directory / "ipc_sei_map.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            item = json.loads(line)
            code = item["ipcCode"]
            try:
                main, subclass = norm_ipc(code)
            except CellError:
                continue
            # Subgroup rules map up to their main group, where the graph classifies patents.
            ref.ipc_sei.setdefault(main or subclass, set()).add(sei_rules[item["seiId"]])
    with (directory / "ipc_technology_wipo.csv").open(encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            number = int(row["Field_number"])
            ref.wipo_fields[number] = {"name": row["Field_en"], "sector": row["Sector_en"]}
            subclass = row["IPC_code"].replace("%", "").strip()[:4]
            ref.ipc_fields.setdefault(subclass, set()).add(number)
    with (directory / "tianjin_divisions.csv").open(encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            ref.divisions[row["code"].strip()] = {
                "name": row["name"].strip(), "level": row["level"].strip(),
                "parent_code": (row["parent_code"] or "").strip() or None}
    return ref


def add_ipc(tables: Tables, ref: Reference, code: str) -> None:
    """Add an IPC node and its chain of parents (codes missing from the table get bare nodes)."""
    while code and not tables.has_node("IPC", code):
        info = ref.ipc.get(code, {})
        tables.node("IPC", code, {"level": ipc_level(code), "section": code[0],
                                  "title_zh": info.get("title_zh")})
        parent = ipc_parent(code)
        if parent:
            tables.rel("PART_OF", "IPC", code, "IPC", parent)
        code = parent or ""


def reference_tables(ref: Reference) -> Tables:
    """All reference nodes and relationships as one set of tables."""
    tables = Tables()
    for code in ref.ipc:
        add_ipc(tables, ref, code)
    for sei_code, name in SEI_LEVEL1.items():
        tables.node("Industry", sei_id(sei_code), {"name": name, "level": 1, "source": "SEI",
                                                   "code": sei_code})
    for code, name in ref.sei_names.items():
        parent = code.split(".")[0]
        tables.node("Industry", sei_id(code), {"name": name, "level": 2, "source": "SEI",
                                               "code": code, "parent_id": sei_id(parent)})
        tables.rel("SUBSECTOR_OF", "Industry", sei_id(code), "Industry", sei_id(parent))
    for ipc_code, codes in ref.ipc_sei.items():
        add_ipc(tables, ref, ipc_code)
        for code in codes:
            tables.rel("MAPS_TO", "IPC", ipc_code, "Industry", sei_id(code))
    for number, info in ref.wipo_fields.items():
        tables.node("TechField", f"WIPO:{number}", {**info, "number": number})
    for subclass, numbers in ref.ipc_fields.items():
        add_ipc(tables, ref, subclass)
        for number in numbers:
            tables.rel("IN_FIELD", "IPC", subclass, "TechField", f"WIPO:{number}")
    for code, info in ref.divisions.items():
        tables.node("Division", code, info)
        if info["parent_code"]:
            tables.rel("PART_OF_DIVISION", "Division", code, "Division", info["parent_code"])
    return tables
