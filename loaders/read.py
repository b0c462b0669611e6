"""Read input files (CSV in UTF-8/GB18030, Excel) into raw tables and detect their kind."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from loaders.formats import KindSpec, header_map, header_token, load_formats
from loaders.normalise import is_blank
from patentkg.errors import InputError

SUFFIXES = (".csv", ".xlsx", ".xls", ".xlsm")
MANIFEST_NAMES = ("manifest.yaml", "manifest.yml")
_HEADER_SCAN_ROWS = 10  # exports often put a title line or two above the header


@dataclass
class RawTable:
    """One sheet or CSV file: headers as the user wrote them, cells untouched."""

    path: Path
    sheet: str | None
    frame: pd.DataFrame
    first_row: int  # Excel row number of the first data row (header row + 1)

    @property
    def label(self) -> str:
        return f"{self.path.name}[{self.sheet}]" if self.sheet else self.path.name


@dataclass
class Detection:
    """Which kind a table is, how its headers map, and what required columns are missing."""

    kind: KindSpec | None
    mapping: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)  # main headers of missing required fields


def discover(paths: Sequence[Path]) -> list[Path]:
    """The data files under the given files/directories (other files ignored), sorted."""
    found: list[Path] = []
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise InputError(f"文件不存在：{path}", f"no such file or directory: {path}")
        if path.is_dir():
            found.extend(sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
                and not p.name.startswith(("~$", "."))))  # '~$' = Excel's lock files
        elif path.suffix.lower() in SUFFIXES:
            found.append(path)
        else:
            raise InputError(f"不支持的文件类型：{path.name}（请用 .csv 或 .xlsx）",
                             f"unsupported file type: {path.name} (use .csv or .xlsx)")
    unique: list[Path] = []
    for p in found:
        if p.resolve() not in {u.resolve() for u in unique}:
            unique.append(p)
    return unique


def read_manifest(directory: Path) -> dict[str, str]:
    """file name -> kind from a manifest.yaml beside the files (empty when there is none)."""
    for name in MANIFEST_NAMES:
        path = directory / name
        if path.is_file():
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            if isinstance(data, dict) and isinstance(data.get("files"), dict):
                data = data["files"]
            return {str(k): str(v) for k, v in data.items() if isinstance(v, str)}
    return {}


def decode_csv(path: Path) -> str:
    """The text of a CSV file in UTF-8 (with or without BOM) or GB18030/GBK."""
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    first_bad: int | None = None
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            first_bad = exc.start if first_bad is None else first_bad
            continue
        if "\x00" not in text:
            return text
    # Say where: one stray byte (a truncated character) should not need a hunt through the file.
    line = data[:first_bad].count(b"\n") + 1 if first_bad is not None else None
    where_zh = f"第 {line} 行附近有无法解码的字节，" if line else ""
    where_en = f" (undecodable bytes near line {line})" if line else ""
    utf16 = data[:2] in (b"\xff\xfe", b"\xfe\xff") or (b"\x00" in data[:200])
    raise InputError(f"无法识别文件编码：{path.name}（{where_zh}请另存为 UTF-8 或 GBK 编码的 CSV）",
                     f"cannot decode {path.name}: neither UTF-8 nor GB18030/GBK{where_en}"
                     + (", it looks like UTF-16" if utf16 else "") +
                     " (save it as UTF-8 or GBK CSV)",
                     details={"file": path.name, "row": line,
                              "reason": "encoding"})


def read_tables(path: Path) -> list[RawTable]:
    """All non-empty tables in a file (each sheet of a workbook is a table)."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            grids = {None: pd.read_csv(io.StringIO(decode_csv(path)), header=None, dtype=str,
                                       keep_default_na=False, skip_blank_lines=False)}
        else:
            grids = pd.read_excel(path, sheet_name=None, header=None, dtype=object)
    except InputError:
        raise
    except ImportError:
        raise InputError(f"无法读取旧版 Excel 文件：{path.name}（请另存为 .xlsx）",
                         f"cannot read legacy Excel file {path.name}: save it as .xlsx") from None
    except pd.errors.EmptyDataError:
        return []
    except Exception as exc:  # any parser failure is the same thing to the user: unreadable
        raise InputError(f"无法读取文件：{path.name}", f"cannot read {path.name}: {exc}") from None
    tables: list[RawTable] = []
    for sheet, grid in grids.items():
        table = _to_table(path, sheet if len(grids) > 1 else None, grid)
        if table is not None:
            tables.append(table)
    return tables


def _known_tokens() -> set[str]:
    return {header_token(h) for kind in load_formats().values() for f in kind.fields
            for h in f.headers}


def _to_table(path: Path, sheet: str | None, grid: pd.DataFrame) -> RawTable | None:
    grid = grid.dropna(how="all")
    if grid.empty:
        return None
    tokens = _known_tokens()
    # The header row is the early row naming the most known fields.
    best, best_score = grid.index[0], -1
    for idx in grid.index[:_HEADER_SCAN_ROWS]:
        score = sum(header_token(v) in tokens for v in grid.loc[idx] if not is_blank(v))
        if score > best_score:
            best, best_score = idx, score
    headers: list[str] = []
    for i, value in enumerate(grid.loc[best]):
        name = "" if is_blank(value) else str(value).strip()
        name = name or f"Unnamed: {i}"
        while name in headers:
            name += "_"
        headers.append(name)
    body = grid.loc[grid.index > best]
    body.columns = headers
    body = body.drop(columns=[h for h in headers if h.startswith("Unnamed:") and
                              all(is_blank(v) for v in body[h])])
    # grid.index is the 0-based line/row number, so Excel's row of data line i is i + 1.
    first_row = int(best) + 2
    body = body.reindex(range(int(best) + 1, int(grid.index.max()) + 1))
    return RawTable(path, sheet, body.reset_index(drop=True), first_row)


def _name_hints(kind: KindSpec) -> list[str]:
    title = kind.title_zh.split("（")[0].split("(")[0]
    return [kind.name, kind.name.rstrip("s"), title, *title.split("/")]


def detect_kind(table: RawTable, manifest: dict[str, str]) -> Detection:
    """The kind whose required fields are all present and which matches the most headers;
    a manifest entry decides outright, a kind name in the file name settles ties."""
    formats = load_formats()
    headers = [str(c) for c in table.frame.columns]
    forced = manifest.get(table.path.name) or manifest.get(table.path.stem)
    if forced:
        if forced not in formats:
            raise InputError(f"manifest.yaml 中的类型未知：{forced}",
                             f"unknown kind {forced!r} for {table.path.name} in manifest.yaml")
        return _detection(formats[forced], headers)
    stem = table.path.stem.lower() + " " + (table.sheet or "").lower()
    scored = []
    for kind in formats.values():
        det = _detection(kind, headers)
        hinted = any(h and h.lower() in stem for h in _name_hints(kind))
        share = len(det.mapping) / len(kind.fields)
        scored.append((not det.missing, len(det.mapping), hinted, share, det))
    scored.sort(key=lambda s: s[:4], reverse=True)
    complete, matched, hinted, _, det = scored[0]
    if complete:
        return det
    # No kind is complete: blame the missing columns of the most plausible kind.
    partial = [s for s in scored if s[2]] or [s for s in scored if s[1] >= 2]
    return partial[0][4] if partial else Detection(None)


def _detection(kind: KindSpec, headers: list[str]) -> Detection:
    mapping = header_map(kind, headers)
    present = set(mapping.values())
    missing = [f.header for f in kind.required if f.name not in present]
    return Detection(kind, mapping, missing)
