"""Cell-level validation and normalisation: pure functions, no database.

Every parser takes one raw cell (str, number, datetime, None/NaN) and returns the canonical
value or None for an empty cell; it raises ``CellError`` (reason in Chinese) for a value it
cannot read, which the caller turns into a reject row.
"""

from __future__ import annotations

import math
import operator
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from loaders.formats import KindSpec


class CellError(ValueError):
    """A cell that cannot be read as its field type; the message is the Chinese reason."""


# -- basic text --------------------------------------------------------------------------------
def is_blank(value: Any) -> bool:
    """True for None, NaN/NaT and cells holding only spaces or a dash placeholder."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if value is pd.NaT:
        return True
    if isinstance(value, str):
        return value.strip(" \t\r\n\u3000") in ("", "-", "--", "—", "/", "无数据", "nan", "NaN",
                                                "None", "NULL", "null")
    return False


def norm_text(value: Any) -> str | None:
    """Trim a text cell and fold full-width spaces; None when empty."""
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores codes typed as numbers as floats
    text = str(value).replace("\u3000", " ").replace("\xa0", " ").strip()
    text = re.sub(r"[ \t]+", " ", text)
    return text or None


_LIST_SPLIT = re.compile(r"[;；、\n\r|]+|[,，](?!\s*(?:ltd|inc|llc|co\b|corp|gmbh|s\.a|plc))",
                         re.IGNORECASE)


def split_list(value: Any) -> list[str]:
    """Split a multi-valued cell on ; ； , ， 、 | and newlines, keeping 'Co., Ltd.' intact."""
    text = norm_text(value)
    if text is None:
        return []
    out: list[str] = []
    for part in _LIST_SPLIT.split(text):
        part = part.strip()
        if part and part not in out:
            out.append(part)
    return out


# -- numbers -----------------------------------------------------------------------------------
_UNITS = (("亿元", 1e8), ("万元", 1e4), ("亿", 1e8), ("万", 1e4), ("元", 1.0))


def _number_text(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value)).strip()
    return re.sub(r"[,\s¥￥]", "", text)


def parse_float(value: Any) -> float | None:
    """A decimal number; '5%' becomes 0.05."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellError(f"不是数字：{value}")
    if isinstance(value, (int, float)):
        return float(value)
    text = _number_text(value)
    scale = 1.0
    if text.endswith("%"):
        text, scale = text[:-1], 0.01
    try:
        return float(text) * scale
    except ValueError:
        raise CellError(f"不是数字：{value}") from None


def parse_int(value: Any) -> int | None:
    """A whole number ('12', '12.0', '１２')."""
    number = parse_float(value)
    if number is None:
        return None
    if not float(number).is_integer():
        raise CellError(f"不是整数：{value}")
    return int(number)


def parse_money(value: Any, header: str = "") -> float | None:
    """An amount in yuan: '12.5万元' -> 125000.0; a bare number under a '(万元)' header too."""
    if is_blank(value):
        return None
    header_scale = 1e4 if "万元" in unicodedata.normalize("NFKC", header) else 1.0
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value) * header_scale
    text = _number_text(value)
    for unit, scale in _UNITS:
        if text.endswith(unit):
            number = parse_float(text[: -len(unit)])
            if number is None:
                raise CellError(f"金额无法识别：{value}")
            return number * scale
    number = parse_float(text)
    return None if number is None else number * header_scale


def parse_rate(value: Any) -> float | None:
    """A ratio: '3%' and a bare 3 both mean 0.03 (tables write percentages without the sign)."""
    number = parse_float(value)
    if number is None:
        return None
    return number / 100 if number > 1 else number


# -- dates -------------------------------------------------------------------------------------
_EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0 once its 1900 leap-year bug is accounted for
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def _excel_serial(number: float) -> str:
    # Serials 1..100000 cover 1900..2173; anything else is not a date.
    if not 1 <= number < 100000:
        raise CellError(f"日期无法识别：{number}")
    return (_EXCEL_EPOCH + timedelta(days=int(number))).isoformat()


def parse_date(value: Any) -> str | None:
    """An ISO date from 2022-12-02, 2022/12/2, 2022.12.2, 20221202, 2022年12月2日 or an Excel
    serial."""
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 19000101 <= value <= 21001231 and float(value).is_integer():
            return parse_date(str(int(value)))
        return _excel_serial(float(value))
    text = unicodedata.normalize("NFKC", str(value)).strip()
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            y, m, d = (int(g) for g in match.groups())
            try:
                return date(y, m, d).isoformat()
            except ValueError:
                raise CellError(f"日期不存在：{value}") from None
    if re.fullmatch(r"\d{1,5}(\.0+)?", text):
        return _excel_serial(float(text))
    raise CellError(f"日期无法识别：{value}")


def parse_year(value: Any) -> int | None:
    """A four-digit year, also taken from a full date."""
    if is_blank(value):
        return None
    if isinstance(value, (datetime, date)):
        return value.year
    text = unicodedata.normalize("NFKC", str(value)).strip()
    match = re.fullmatch(r"(\d{4})(?:\.0+)?年?(?:度)?", text)
    if match:
        year = int(match.group(1))
    else:
        try:
            year = int((parse_date(value) or "")[:4])
        except (CellError, ValueError):
            raise CellError(f"年份无法识别：{value}") from None
    if not 1800 <= year <= 2200:
        raise CellError(f"年份超出范围：{value}")
    return year


_TRUE = {"是", "y", "yes", "true", "1", "有", "√", "对", "t", "驻区", "已登记"}
_FALSE = {"否", "n", "no", "false", "0", "无", "×", "f", "非驻区", "未登记", "不是"}


def parse_bool(value: Any) -> bool | None:
    """是/否, Y/N, true/false, 1/0, 有/无."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    text = unicodedata.normalize("NFKC", str(value)).strip().lower()
    if text.endswith(".0"):
        text = text[:-2]
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(f"无法识别的是/否值：{value}")


# -- application numbers -----------------------------------------------------------------------
_APP_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)


def app_no_check_digit(digits: str) -> str:
    """CNIPA check digit of an 8- or 12-digit application number (weighted sum mod 11, 10=X)."""
    total = sum(map(operator.mul, map(int, digits), _APP_WEIGHTS))
    rest = total % 11
    return "X" if rest == 10 else str(rest)


_APP_JUNK = re.compile(r"[\s\-]")
_APP_PREFIX = re.compile(r"^(CN|ZL)")
_APP_FORM = re.compile(r"(\d{12}|\d{8})\.?([0-9X])?")
_APP_BARE = re.compile(r"(\d{12}|\d{8})([0-9X])")


def norm_app_no(value: Any) -> str | None:
    """Normalise a Chinese application number to CN202210001234.5 (or CN88100001.8).

    Accepts CN/ZL prefixes, with or without the dot and the check digit; a wrong check digit
    is an error, a missing one is computed."""
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    text = _APP_JUNK.sub("", text.upper())
    text = _APP_PREFIX.sub("", text)
    match = _APP_FORM.fullmatch(text)
    if not match:
        # 13 or 9 characters without a dot: the last one is the check digit.
        match = _APP_BARE.fullmatch(text)
    if not match:
        raise CellError(f"申请号格式不正确：{value}")
    digits, check = match.group(1), match.group(2)
    expected = app_no_check_digit(digits)
    if check is not None and check != expected:
        raise CellError(f"申请号校验位错误：{value}（应为 {expected}）")
    return f"CN{digits}.{expected}"


def norm_app_no_list(value: Any) -> list[str]:
    """A list of application numbers (each normalised; any bad one is an error)."""
    return [n for n in (norm_app_no(v) for v in split_list(value)) if n]


_TYPE_BY_DIGIT = {"1": "invention", "8": "invention", "2": "utility_model",
                  "9": "utility_model", "3": "design"}


def patent_type_from_app_no(app_no: str) -> str | None:
    """invention / utility_model / design from the type digit of a normalised number."""
    digits = app_no[2:].split(".")[0]
    digit = digits[4] if len(digits) == 12 else digits[2]
    return _TYPE_BY_DIGIT.get(digit)


_TYPE_WORDS = (("外观", "design"), ("实用新型", "utility_model"), ("发明", "invention"),
               ("design", "design"), ("utility", "utility_model"), ("invention", "invention"))
_KIND_CODES = {"A": "invention", "B": "invention", "C": "invention", "U": "utility_model",
               "Y": "utility_model", "S": "design", "D": "design"}


def patent_type_from_text(text: str | None, pub_no: str | None = None) -> str | None:
    """Patent type from a 专利类型 cell ('发明授权', '实用新型'...) or the kind code of pub_no."""
    if text:
        lowered = text.lower()
        for word, kind in _TYPE_WORDS:
            if word in lowered:
                return kind
    if pub_no:
        match = re.search(r"([A-Z])\d?$", pub_no.strip().upper())
        if match:
            return _KIND_CODES.get(match.group(1))
    return None


# -- IPC ---------------------------------------------------------------------------------------
_IPC = re.compile(r"^([A-H])(\d{2})([A-Z])\s*0*(\d{1,4})\s*/\s*(\d{1,6})")
_IPC_PACKED = re.compile(r"^([A-H])(\d{2})([A-Z])(\d{4})(\d{6})$")
_IPC_SUBCLASS = re.compile(r"^([A-H])(\d{2})([A-Z])$")


def norm_ipc(value: Any) -> tuple[str | None, str]:
    """(main group, subclass) of one IPC code: 'A61B 5/022(2006.01)' -> ('A61B5/00', 'A61B').

    Subgroups fold to their main group because the graph classifies at main-group level;
    a bare subclass gives (None, subclass)."""
    text = norm_text(value)
    if text is None:
        raise CellError("IPC 分类号为空")
    text = unicodedata.normalize("NFKC", text).upper().strip()
    packed = _IPC_PACKED.match(text)
    if packed:
        sec, cls, sub, group, _ = packed.groups()
        return f"{sec}{cls}{sub}{int(group)}/00", f"{sec}{cls}{sub}"
    match = _IPC.match(text)
    if match:
        sec, cls, sub, group, _ = match.groups()
        return f"{sec}{cls}{sub}{int(group)}/00", f"{sec}{cls}{sub}"
    match = _IPC_SUBCLASS.match(re.sub(r"\(.*\)$", "", text).strip())
    if match:
        return None, "".join(match.groups())
    raise CellError(f"IPC 分类号格式不正确：{value}")


def norm_ipc_list(value: Any) -> list[str]:
    """Main groups of an IPC list cell, deduplicated in order (bare subclasses dropped)."""
    out: list[str] = []
    for part in split_list(value):
        main, _ = norm_ipc(part)
        if main and main not in out:
            out.append(main)
    return out


def subclass_of(main_group: str) -> str:
    """'A61B5/00' -> 'A61B'."""
    return main_group[:4]


# -- identifiers -------------------------------------------------------------------------------
_CREDIT = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def norm_credit_code(value: Any) -> str | None:
    """A unified social credit code: 18 characters, upper-case (GB 32100 alphabet)."""
    text = norm_text(value)
    if text is None:
        return None
    code = unicodedata.normalize("NFKC", text).upper().replace(" ", "")
    if not _CREDIT.match(code):
        raise CellError(f"统一社会信用代码格式不正确：{value}")
    return code


# -- the law: term, validity -------------------------------------------------------------------
_DESIGN_15Y_FROM = date(2021, 6, 1)  # Patent Law 4th amendment: designs filed since get 15 y


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def expiry_date(app_date: str, patent_type: str | None) -> str | None:
    """Expiry of the term from filing: invention 20 y, utility model 10 y, design 15/10 y."""
    if not app_date or not patent_type:
        return None
    filed = date.fromisoformat(app_date)
    years = {"invention": 20, "utility_model": 10}.get(patent_type)
    if patent_type == "design":
        years = 15 if filed >= _DESIGN_15Y_FROM else 10
    return _add_years(filed, years).isoformat() if years else None


_IN_FORCE = ("有权", "授权", "有效", "维持", "恢复", "部分无效", "granted", "active", "alive")
_NOT_IN_FORCE = ("失效", "无效", "终止", "驳回", "撤回", "放弃", "届满", "未缴", "审中", "公开",
                 "实审", "实质审查", "视为", "避免重复", "pending", "dead", "lapsed", "expired",
                 "revoked", "withdrawn", "rejected")


def status_in_force(legal_status: str | None) -> bool:
    """Whether a legal-status text says the patent is in force (pending is not)."""
    if not legal_status:
        return False
    text = legal_status.lower()
    if "部分无效" in text:
        return True  # partially invalidated: the remaining claims stay in force
    if any(word in text for word in _NOT_IN_FORCE):
        return False
    return any(word in text for word in _IN_FORCE)


def term_facts(app_date: str | None, patent_type: str | None, legal_status: str | None,
               today: date | None = None) -> dict[str, Any]:
    """expiry_date, is_valid, years_maintained, remaining_years of one patent."""
    today = today or date.today()
    expiry = expiry_date(app_date, patent_type) if app_date else None
    valid = status_in_force(legal_status) and (expiry is None or
                                               date.fromisoformat(expiry) > today)
    facts: dict[str, Any] = {"expiry_date": expiry, "is_valid": valid}
    if app_date:
        filed = date.fromisoformat(app_date)
        end = min(today, date.fromisoformat(expiry)) if expiry else today
        years = end.year - filed.year - ((end.month, end.day) < (filed.month, filed.day))
        facts["years_maintained"] = max(years, 0)
    if expiry:
        remaining = (date.fromisoformat(expiry) - today).days / 365.25
        facts["remaining_years"] = round(max(remaining, 0.0), 2) if valid else 0.0
    return facts


# -- licence fee models ------------------------------------------------------------------------
# Order matters: the first pattern found in the text wins ('入门费+提成' before '提成').
FEE_MODELS: tuple[tuple[str, str], ...] = (
    ("lump_sum", "lump_sum"), ("base_plus_royalty", "base_plus_royalty"),
    ("try_then_pay", "try_then_pay"), ("royalty", "royalty"),
    ("先试", "try_then_pay"), ("试用", "try_then_pay"), ("先用后付", "try_then_pay"),
    ("入门费", "base_plus_royalty"), ("基础费", "base_plus_royalty"),
    ("固定费用+", "base_plus_royalty"), ("+提成", "base_plus_royalty"),
    ("一次", "lump_sum"), ("总付", "lump_sum"), ("固定", "lump_sum"), ("买断", "lump_sum"),
    ("提成", "royalty"), ("分成", "royalty"), ("按销售", "royalty"), ("按件", "royalty"),
)


def norm_fee_model(value: Any) -> str | None:
    """lump_sum | base_plus_royalty | try_then_pay | royalty from Chinese fee-model text."""
    text = norm_text(value)
    if text is None:
        return None
    folded = unicodedata.normalize("NFKC", text).replace(" ", "").lower()
    for pattern, model in FEE_MODELS:
        if pattern in folded:
            return model
    raise CellError(f"无法识别的计费方式：{value}")


# -- whole tables ------------------------------------------------------------------------------
@dataclass
class Reject:
    """One rejected cell/row: what the user needs to find and fix it in Excel."""

    file: str
    row: int
    column: str
    value: str
    reason: str


Parser = Callable[[Any, str], Any]

def _parse_text(value: Any, header: str) -> str | None:  # normalise_table vectorises it
    return norm_text(value)


PARSERS: dict[str, Parser] = {
    "str": _parse_text,
    "int": lambda v, h: parse_int(v),
    "float": lambda v, h: parse_float(v),
    "money": parse_money,
    "date": lambda v, h: parse_date(v),
    "year": lambda v, h: parse_year(v),
    "bool": lambda v, h: parse_bool(v),
    "list": lambda v, h: split_list(v),
    "app_no": lambda v, h: norm_app_no(v),
    "app_no_list": lambda v, h: norm_app_no_list(v),
    "ipc": lambda v, h: norm_ipc(v)[0] if not is_blank(v) else None,
    "ipc_list": lambda v, h: norm_ipc_list(v),
    "credit_code": lambda v, h: norm_credit_code(v),
}


# Many distinct values at once (the per-row-unique columns of a million-row export: lists,
# application numbers): each gives, per value, what the parser would return, or _SLOW for a
# value it leaves to the parser (which then also gives the reason of an unreadable cell).
_SLOW: Any = object()


def _split_texts(texts: list[str | None]) -> list[list[str]]:
    out: list[list[str]] = []
    split = _LIST_SPLIT.split
    for text in texts:
        if text is None:
            out.append([])
        else:  # dict.fromkeys: the first of repeated parts, in order, as split_list keeps
            out.append(list(dict.fromkeys([p for p in map(str.strip, split(text)) if p])))
    return out


def _split_lists(values: list[Any]) -> list[Any]:
    """split_list of many values."""
    return _split_texts(_norm_texts(values))


_APP_PLAIN = re.compile(r"(?:CN|ZL)?([0-9]{12}|[0-9]{8})\.?([0-9X])?")
_WEIGHTS = {n: np.array(_APP_WEIGHTS[:n], dtype=np.int64) for n in (8, 12)}


def _app_nos(values: list[Any]) -> list[Any]:
    """norm_app_no of many values: the plain ASCII spellings with their check digits
    computed in one numpy pass; anything else (and any wrong check digit) is _SLOW."""
    out: list[Any] = [_SLOW] * len(values)
    found: dict[int, list[tuple[int, str, str | None]]] = {8: [], 12: []}
    match = _APP_PLAIN.fullmatch
    for j, value in enumerate(values):
        if type(value) is str:
            m = match(value)
            if m is not None:
                digits = m.group(1)
                found[len(digits)].append((j, digits, m.group(2)))
    for length, items in found.items():
        if not items:
            continue
        digits = np.frombuffer("".join(d for _, d, _ in items).encode("ascii"), dtype=np.uint8)
        rest = ((digits.reshape(-1, length).astype(np.int64) - 48) @ _WEIGHTS[length]) % 11
        for (j, d, check), r in zip(items, rest.tolist(), strict=True):
            expected = "X" if r == 10 else str(r)
            if check is None or check == expected:
                out[j] = f"CN{d}.{expected}"
    return out


def _app_no_lists(values: list[Any]) -> list[Any]:
    """norm_app_no_list of many values (a list with any non-plain number is _SLOW)."""
    lists = _split_lists(values)
    parts = [p for parts in lists for p in parts]
    normal = _app_nos(parts)
    out: list[Any] = []
    at = 0
    for items in lists:
        done = normal[at:at + len(items)]
        at += len(items)
        out.append(_SLOW if any(v is _SLOW for v in done) else done)
    return out


def _ipc_lists(values: list[Any]) -> list[Any]:
    """norm_ipc_list of many values, each distinct code parsed once (a list with an
    unreadable code is _SLOW)."""
    mains: dict[str, Any] = {}
    out: list[Any] = []
    for parts in _split_lists(values):
        found: list[str] = []
        for part in parts:
            main = mains.get(part)
            if main is None:
                try:
                    main = mains[part] = norm_ipc(part)[0] or ""
                except CellError:
                    main = mains[part] = _SLOW
            if main is _SLOW:
                break
            if main and main not in found:
                found.append(main)
        else:
            out.append(found)
            continue
        out.append(_SLOW)
    return out


# Fields whose values need more than their type says, by canonical field name.
FIELD_PARSERS: dict[str, Parser] = {
    "fee_model": lambda v, h: norm_fee_model(v),
}


BATCH_PARSERS: dict[Parser, Callable[[list[Any]], list[Any]]] = {
    PARSERS["str"]: lambda values: _norm_texts(values),
    PARSERS["list"]: _split_lists,
    PARSERS["app_no"]: _app_nos,
    PARSERS["app_no_list"]: _app_no_lists,
    PARSERS["ipc_list"]: _ipc_lists,
}


def _parser_for(field_name: str, field_type: str) -> Parser:
    if field_name in FIELD_PARSERS:
        return FIELD_PARSERS[field_name]
    if field_type == "float" and field_name.endswith("rate"):
        return lambda v, h: parse_rate(v)
    return PARSERS[field_type]


@dataclass
class NormalisedTable:
    """Typed rows of one input table plus what could not be read."""

    kind: str
    file: str
    rows: list[dict[str, Any]]  # canonical field -> value, plus '_row' and '_extra'
    rejects: list[Reject]
    rejected_rows: int
    unknown_columns: list[str]


def _blank_value(value: Any) -> bool:
    return value is None or value == [] or value == ""


def normalise_table(kind: KindSpec, frame: pd.DataFrame, mapping: dict[str, str], *,
                    file: str, first_row: int = 2) -> NormalisedTable:
    """Type every cell of a raw table by formats.yaml; bad rows become rejects.

    ``mapping`` maps the file's headers to canonical fields; ``first_row`` is the Excel row
    number of the first data row (header = row 1). Works column by column and parses each
    distinct cell value once (dates, statuses, names and codes repeat a lot in exports)."""
    fields = {f.name: f for f in kind.fields}
    unknown = [str(c) for c in frame.columns if c not in mapping and not _unnamed(c)]
    n = len(frame)
    positions = {str(c): i for i, c in reversed(list(enumerate(frame.columns)))}
    distinct = [_distinct(frame.iloc[:, i]) for i in range(frame.shape[1])]
    blank_row = _blank_rows(distinct, n)

    columns: list[tuple[str, np.ndarray, list[Any], np.ndarray]] = []
    bad_cells: list[tuple[int, int, Reject]] = []  # (offset, column order, reject)
    bad_row = np.zeros(n, dtype=bool)
    for order, (header, name) in enumerate(mapping.items()):
        parser = _parser_for(name, fields[name].type)
        codes, uniques = _column(distinct, positions, header, n)
        values: list[Any] = []
        status = np.zeros(len(uniques), dtype=np.int8)  # 0 value, 1 blank, 2 unreadable
        errors: dict[int, str] = {}
        batch = BATCH_PARSERS.get(parser)
        fast = batch(uniques) if batch is not None else None
        for j, raw in enumerate(uniques):
            try:
                value = fast[j] if fast is not None else _SLOW
                if value is _SLOW:
                    value = parser(raw, str(header))
            except CellError as exc:
                status[j], errors[j] = 2, str(exc)
                value = None
            else:
                if _blank_value(value):
                    status[j], value = 1, None
            values.append(value)
        if not fields[name].required:
            status[status == 1] = 3  # blank and allowed: simply absent
        cell = status[codes] if n else np.zeros(0, dtype=np.int8)
        for flat in np.flatnonzero((cell == 1) | (cell == 2)):
            offset = int(flat)
            if blank_row[offset]:
                continue
            code = int(codes[offset])
            row_no = first_row + offset
            if cell[offset] == 2:
                reject = Reject(file, row_no, str(header), _show(uniques[code]), errors[code])
            else:
                reject = Reject(file, row_no, str(header), "", "必填字段为空")
            bad_cells.append((offset, order, reject))
            bad_row[offset] = True
        columns.append((name, codes, values, cell == 0))
    bad_cells.sort(key=lambda b: (b[0], b[1]))
    rejects = [b[2] for b in bad_cells]

    kept = np.flatnonzero(~blank_row & ~bad_row)
    rows: list[dict[str, Any]] = [{"_row": first_row + int(i)} for i in kept]
    for name, codes, values, present in columns:
        where = np.flatnonzero(present[kept])
        copy = any(isinstance(v, list) for v in values)  # rows never share a mutable value
        for k, code in zip(where.tolist(), codes[kept[where]].tolist(), strict=True):
            value = values[code]
            rows[k][name] = list(value) if copy else value
    extras: list[tuple[str, np.ndarray, list[Any]]] = []
    for header in unknown:
        codes, uniques = _column(distinct, positions, header, n)
        extras.append((header, codes, _norm_texts(uniques)))
    if extras:
        for k, i in enumerate(kept.tolist()):
            extra = {}
            for header, codes, texts in extras:
                text = texts[codes[i]]
                if text is not None:
                    extra[header] = text
            if extra:
                rows[k]["_extra"] = extra
    rejected = int((bad_row & ~blank_row).sum())
    return NormalisedTable(kind.name, file, rows, rejects, rejected, unknown)


def _distinct(column: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """(code per cell, distinct values): equal values of different types stay apart (1, 1.0
    and True parse differently), and every missing cell (None/NaN/NaT) shares one code."""
    values = column.astype(object).to_numpy()
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.intp), []
    missing = pd.isna(values)
    present = values[~missing]
    if pd.api.types.infer_dtype(present, skipna=False) in ("string", "empty"):
        codes, found = pd.factorize(values)  # missing cells get -1
        uniques = list(found)
    else:
        codes = np.full(n, -1, dtype=np.intp)
        index: dict[Any, int] = {}
        uniques = []
        for i in np.flatnonzero(~missing).tolist():
            value = values[i]
            try:
                code = index.setdefault((type(value), value), len(uniques))
            except TypeError:  # unhashable: parse on its own
                code = len(uniques)
            if code == len(uniques):
                uniques.append(value)
            codes[i] = code
    if missing.any():
        codes = np.where(codes < 0, len(uniques), codes)
        uniques.append(values[int(np.argmax(missing))])
    return np.asarray(codes, dtype=np.intp), uniques


def blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """Which rows of a raw table are empty spreadsheet rows (every cell blank): not data."""
    return _blank_rows([_distinct(frame.iloc[:, i]) for i in range(frame.shape[1])], len(frame))


def _blank_rows(distinct: list[tuple[np.ndarray, list[Any]]], n: int) -> np.ndarray:
    blank = np.ones(n, dtype=bool)
    for codes, uniques in distinct:
        if uniques:
            blank &= _blank_mask(uniques)[codes]
    return blank


_BLANK_TEXTS = ("", "-", "--", "—", "/", "无数据", "nan", "NaN", "None", "NULL", "null")


def _text_series(values: list[Any]) -> pd.Series | None:
    series = pd.Series(values, dtype=object)
    return series if pd.api.types.infer_dtype(series, skipna=False) == "string" else None


def _blank_mask(values: list[Any]) -> np.ndarray:
    """is_blank of many values; all-text columns (every CSV) in one vectorised pass."""
    texts = _text_series(values)
    if texts is None:
        return np.array([is_blank(v) for v in values], dtype=bool)
    return texts.str.strip(" \t\r\n\u3000").isin(_BLANK_TEXTS).to_numpy()


def _norm_texts(values: list[Any]) -> list[str | None]:
    """norm_text of many values, vectorised when they are all text."""
    texts = _text_series(values)
    if texts is None:
        return [norm_text(v) for v in values]
    blank = texts.str.strip(" \t\r\n\u3000").isin(_BLANK_TEXTS)
    out = (texts.str.replace("\u3000", " ", regex=False).str.replace("\xa0", " ", regex=False)
           .str.strip().str.replace(r"[ \t]+", " ", regex=True))
    out[blank | (out == "")] = None
    return out.tolist()


def _column(distinct: list[tuple[np.ndarray, list[Any]]], positions: dict[str, int], header: Any,
            n: int) -> tuple[np.ndarray, list[Any]]:
    position = positions.get(str(header))
    if position is None:  # not in the frame: every cell is empty
        return np.zeros(n, dtype=np.intp), [None]
    return distinct[position]


def _unnamed(column: Any) -> bool:
    return is_blank(column) or str(column).startswith("Unnamed:")


def _show(value: Any) -> str:
    return "" if is_blank(value) else str(value)


def drop_conflicting_duplicates(table: NormalisedTable, key: str, header: str,
                                seen: dict[Any, tuple[str, int, dict[str, Any]]]) -> None:
    """Drop repeated keys: identical repeats silently, conflicting ones as rejects.

    ``seen`` is shared by all tables of one kind in a load, so duplicates across files count."""
    kept: list[dict[str, Any]] = []
    for row in table.rows:
        value = row.get(key)
        if value is None:
            kept.append(row)
            continue
        if value in seen:
            # Contents are compared only for repeated keys (rows are not changed meanwhile).
            first_file, first_row, first = seen[value]
            content, first_content = _content(row), _content(first)
            if first_content != content:
                diff = sorted(k for k in set(content) | set(first_content)
                              if content.get(k) != first_content.get(k))
                table.rejects.append(Reject(
                    table.file, row["_row"], header, str(value),
                    f"重复的{header}且内容冲突（与 {first_file} 第 {first_row} 行不同："
                    f"{', '.join(diff)}）"))
                table.rejected_rows += 1
            continue
        seen[value] = (table.file, row["_row"], row)
        kept.append(row)
    table.rows = kept


def _content(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if not k.startswith("_")}
