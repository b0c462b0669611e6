"""Node labels from clients, English (Patent) or Chinese (专利), checked against graph.schema."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from api.errors import NotFound
from graph import schema
from patentkg.errors import InputError, PatentkgError

_BY_NAME = {n.name_zh: n.label for n in schema.NODES} | {
    label.lower(): label for label in schema.LABELS}


class NotBuilt(PatentkgError):
    code = "not_built"


def resolve_label(raw: str, *, parameter: str = "label", missing_is_404: bool = False) -> str:
    """The schema label for an English or Chinese label name."""
    label = _BY_NAME.get(raw.strip()) or _BY_NAME.get(raw.strip().lower())
    if label is None:
        zh = f"未知的实体类型：{raw[:50]}（可选：{'、'.join(n.name_zh for n in schema.NODES)}）"
        en = f"unknown entity type {raw[:50]!r}; expected one of {', '.join(schema.LABELS)}"
        details = {"parameter": parameter, "expected": list(schema.LABELS)}
        raise (NotFound if missing_is_404 else InputError)(zh, en, details=details)
    return label


def module(name: str) -> ModuleType:
    """A sibling package's module that may still be under construction (501 until it exists)."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        raise NotBuilt(f"功能尚未就绪（{name}）", f"{name} is not built yet") from None


def function(module_name: str, name: str) -> Any:
    """A function of a sibling module that may still be under construction (501 until then)."""
    found = getattr(module(module_name), name, None)
    if found is None:
        raise NotBuilt(f"功能尚未就绪（{module_name}.{name}）",
                       f"{module_name}.{name} is not built yet")
    return found


def require_entity(store: object, label: str, key: str, *, parameter: str = "key") -> None:
    """404 (with the JSON error shape) when no node of ``label`` has business key ``key``."""
    from graph import schema as _schema

    explore = module("queries.explore")
    found = explore.fetch_nodes(store, [(label, key.strip())])
    if not found:
        raise NotFound(f"未找到{_schema.label_zh(label)}：{key[:100]}",
                       f"no {label} with key {key[:100]!r}",
                       hint="用 /api/search 查找正确的编号 / use /api/search to find the key",
                       details={"parameter": parameter, "label": label, "key": key[:100]})
