"""Whole-result downloads: CSV (streamed, UTF-8 with BOM) and XLSX, with Chinese column titles.

Spreadsheets execute a cell that starts with = + - @ (and tab / carriage return) as a formula,
so such text cells are prefixed with an apostrophe (OWASP "CSV injection")."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import quote

from queries.catalogue import Column

LIST_SEPARATOR = "；"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_XLSX_MAX_CELL = 32_767
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def safe_text(text: str) -> str:
    """Text a spreadsheet shows as text, never runs as a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _entity_caption(value: dict[str, Any]) -> str:
    for name in ("caption", "name", "title", "key", "id"):
        if value.get(name) not in (None, ""):
            return str(value[name])
    return ""


def _part(value: Any) -> str:
    if isinstance(value, dict):
        return _entity_caption(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def cell(value: Any) -> Any:
    """One JSON value as a spreadsheet cell: numbers stay numbers, everything else is safe text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, dict):
        return safe_text(_entity_caption(value))
    if isinstance(value, (list, tuple, set)):
        return safe_text(LIST_SEPARATOR.join(_part(v) for v in value if v is not None))
    return safe_text(str(value))


def columns_for(columns: Sequence[Column], first_row: dict[str, Any] | None) -> list[Column]:
    """The declared columns, plus any column a row carries that the catalogue did not declare."""
    cols = list(columns)
    if first_row:
        known = {c.name for c in cols}
        cols += [Column(k, k) for k in first_row if k not in known]
    return cols


def csv_chunks(columns: Sequence[Column], rows: Iterable[dict[str, Any]],
               *, rows_per_chunk: int = 500) -> Iterator[bytes]:
    """The CSV as UTF-8 (with BOM, for Excel) chunks, written as the rows arrive."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([safe_text(c.title_zh or c.name) for c in columns])
    pending = 0
    for row in rows:
        writer.writerow([cell(row.get(c.name)) for c in columns])
        pending += 1
        if pending >= rows_per_chunk:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode("utf-8")


def xlsx_bytes(columns: Sequence[Column], rows: Iterable[dict[str, Any]], *,
               sheet_title: str) -> bytes:
    """The whole result as one worksheet; text is written as text (never as a formula or URL)."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False, "strings_to_numbers": False,
                                     "nan_inf_to_errors": True})
    sheet = book.add_worksheet(_SHEET_BAD.sub("_", sheet_title)[:31] or "Sheet1")
    bold = book.add_format({"bold": True})
    for j, col in enumerate(columns):
        sheet.write_string(0, j, safe_text(col.title_zh or col.name), bold)
        sheet.set_column(j, j, max(10, min(40, 2 * len(col.title_zh or col.name))))
    for i, row in enumerate(rows, start=1):
        for j, col in enumerate(columns):
            value = cell(row.get(col.name))
            if isinstance(value, str):
                sheet.write_string(i, j, value[:_XLSX_MAX_CELL])
            else:
                sheet.write_number(i, j, value)
    sheet.freeze_panes(1, 0)
    book.close()
    return out.getvalue()


def content_disposition(title: str, fallback: str, suffix: str) -> str:
    """attachment with an ASCII file name and the Chinese one per RFC 5987 / RFC 6266."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", fallback).strip("_") or "export"
    utf8_name = re.sub(r'[\\/:*?"<>|\r\n]+', "_", title).strip() or ascii_name
    return (f'attachment; filename="{ascii_name}.{suffix}"; '
            f"filename*=UTF-8''{quote(utf8_name + '.' + suffix, safe='')}")
