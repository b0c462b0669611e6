"""The generated demo files as pandas DataFrames with canonical column names (test helper).

Tests compute their expected answers from the input FILES, independently of the loader: this
module only reads each file (CSV in UTF-8 or GB18030, or Excel), recognises its kind from its
headers with the alias table `loaders/formats.yaml` (data, not loader code), and renames the
columns to the canonical field names. Cells stay the raw strings of the file; the `cell`
helpers turn the few kinds of cells tests need into values (application numbers and IPC codes
through the loader's pure cell parsers, which are trivial normalisation, not the answers).

    frames = read_demo(demo_dir)            # {"patents": DataFrame, "enterprises": ..., ...}
    patents = frames["patents"]             # all three patent exports, one row per file row
    patents["_file"]                        # the file each row came from

Shared: other question tests may use it (tests/test_questions_core_demo.py does).
"""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

FORMATS = Path(__file__).resolve().parent.parent / "loaders" / "formats.yaml"
_LIST_SPLIT = re.compile(r"[;；,，、\n\r]+")


@lru_cache(maxsize=1)
def header_table() -> dict[str, dict[str, str]]:
    """{kind: {any header spelling (folded): canonical field}} from formats.yaml."""
    spec = yaml.safe_load(FORMATS.read_text(encoding="utf-8"))
    out: dict[str, dict[str, str]] = {}
    for kind, body in spec["kinds"].items():
        names: dict[str, str] = {}
        for name, field in body["fields"].items():
            for header in [field["header"], name, *field.get("aliases", [])]:
                names[fold_header(header)] = name
        out[kind] = names
    return out


@lru_cache(maxsize=1)
def required_fields() -> dict[str, set[str]]:
    spec = yaml.safe_load(FORMATS.read_text(encoding="utf-8"))
    return {kind: {n for n, f in body["fields"].items() if f.get("required")}
            for kind, body in spec["kinds"].items()}


def fold_header(text: str) -> str:
    """Header spelling folded: width (（）→()), spaces and case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower()


def read_raw(path: Path) -> pd.DataFrame:
    """One file as strings (empty cells = None)."""
    if path.suffix.lower() == ".csv":
        data = path.read_bytes()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    else:
        frame = pd.read_excel(path, dtype=str, keep_default_na=False)
    return frame.map(lambda v: None if v is None or str(v).strip() == "" else str(v).strip())


def kind_of(headers: list[str]) -> tuple[str, dict[str, str]] | None:
    """The kind whose required fields are all present and which names most headers, with the
    header -> field renaming; None for files of no known kind."""
    best: tuple[int, str, dict[str, str]] | None = None
    for kind, names in header_table().items():
        mapping = {h: names[fold_header(h)] for h in headers if fold_header(h) in names}
        if not required_fields()[kind] <= set(mapping.values()):
            continue
        if best is None or len(mapping) > best[0]:
            best = (len(mapping), kind, mapping)
    return (best[1], best[2]) if best else None


def read_demo(directory: Path) -> dict[str, pd.DataFrame]:
    """Every data file of a directory, by kind, with canonical column names."""
    parts: dict[str, list[pd.DataFrame]] = {}
    for path in sorted(directory.iterdir()):
        if path.suffix.lower() not in (".csv", ".xlsx"):
            continue
        raw = read_raw(path)
        found = kind_of(list(raw.columns))
        if found is None:
            continue
        kind, mapping = found
        frame = raw[list(mapping)].rename(columns=mapping)
        frame["_file"] = path.name
        parts.setdefault(kind, []).append(frame)
    return {kind: pd.concat(frames, ignore_index=True) for kind, frames in parts.items()}


# -- cells -----------------------------------------------------------------------------------
def cell_list(value: Any) -> list[str]:
    """A multi-valued cell (; ； , ， 、 or newlines) as a list of trimmed strings."""
    if value is None or (isinstance(value, float) and value != value):  # None or NaN
        return []
    return [v.strip() for v in _LIST_SPLIT.split(str(value)) if v.strip()]


def cell_app_no(value: Any) -> str | None:
    from loaders.normalise import norm_app_no

    return norm_app_no(value)


def cell_app_nos(value: Any) -> list[str]:
    return [a for a in (cell_app_no(v) for v in cell_list(value)) if a]


def cell_ipcs(value: Any) -> list[str]:
    """IPC codes in main-group form (``A61B5/00``); the loader's cell parser does the folding
    of the tools' spellings (``A61B 5/00``, ``A61B0005000000``)."""
    from loaders.normalise import norm_ipc_list

    return norm_ipc_list(value) if value else []


def cell_date(value: Any) -> date | None:
    """2022-12-02, 2022/12/2, 2022.12.2, 20221202, Excel date-times and serials."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    if re.fullmatch(r"\d{8}", text):
        return datetime.strptime(text, "%Y%m%d").date()
    if re.fullmatch(r"\d{4,5}(\.0+)?", text):  # Excel serial day number
        return date(1899, 12, 30) + timedelta(days=int(float(text)))
    m = re.match(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})", text)
    if not m:
        raise ValueError(f"not a date: {text!r}")
    return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def cell_money(value: Any, header_unit_wan: bool = False) -> float | None:
    """A money cell in yuan ('12.5万元' -> 125000.0)."""
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", str(value)).replace(",", "").strip()
    factor = 10_000.0 if ("万" in text or header_unit_wan) else 1.0
    number = re.search(r"-?\d+(\.\d+)?", text)
    return float(number.group(0)) * factor if number else None


def org_key_name(name: str) -> str:
    """An organisation name folded for matching: width, brackets and spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)).lower()
