"""The input-format table (formats.yaml) as typed objects: kinds, fields, header aliases."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

FORMATS_PATH = Path(__file__).with_name("formats.yaml")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    header: str
    aliases: tuple[str, ...]
    type: str
    required: bool = False
    key: bool = False

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.header, *self.aliases)


@dataclass(frozen=True)
class KindSpec:
    name: str
    title_zh: str
    fields: tuple[FieldSpec, ...]

    @property
    def required(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if f.required)

    @property
    def key_field(self) -> FieldSpec | None:
        return next((f for f in self.fields if f.key), None)

    def field(self, name: str) -> FieldSpec:
        return next(f for f in self.fields if f.name == name)


def header_token(header: object) -> str:
    """Fold a header cell for alias matching: width, brackets, spaces, case, '*' marks."""
    text = unicodedata.normalize("NFKC", str(header or ""))
    text = re.sub(r"[\s*＊:：]", "", text)
    return text.lower()


@lru_cache(maxsize=1)
def load_formats(path: Path = FORMATS_PATH) -> dict[str, KindSpec]:
    """Read formats.yaml into KindSpecs keyed by kind name (cached)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    kinds: dict[str, KindSpec] = {}
    for kind_name, spec in raw["kinds"].items():
        fields = tuple(
            FieldSpec(name, f["header"], tuple(f.get("aliases") or ()), f["type"],
                      bool(f.get("required")), bool(f.get("key")))
            for name, f in spec["fields"].items())
        kinds[kind_name] = KindSpec(kind_name, spec.get("title_zh", kind_name), fields)
    return kinds


def header_map(kind: KindSpec, headers: list[str]) -> dict[str, str]:
    """Map each recognised header of a file to its canonical field name (first match wins)."""
    by_token: dict[str, str] = {}
    # Main headers first so that one field's alias never shadows another field's own header.
    for f in kind.fields:
        by_token.setdefault(header_token(f.header), f.name)
    for f in kind.fields:
        for h in f.aliases:
            by_token.setdefault(header_token(h), f.name)
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for h in headers:
        name = by_token.get(header_token(h))
        if name and name not in taken:
            mapping[h] = name
            taken.add(name)
    return mapping
