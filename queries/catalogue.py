"""The question catalogue: every business question as data the CLI, the API and the web page read.

A question is a plain function in a module of this package, keyword-only parameters, returning
rows (dicts) that each carry a ``reasons`` list in Chinese. It is registered with ``@question``
and found by `load_all()`, so a new module appears in the CLI, the API and the page at once.

Every question function has the signature ``fn(store, *, limit: int, offset: int, **params)``
and pages deterministically (``ORDER BY`` ... ``SKIP $offset LIMIT $limit``), so that paging
over ``offset`` reaches every row exactly once and an export can stream the whole result.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from graph.store import Store
from patentkg.errors import InputError

ParamType = Literal["str", "int", "float", "bool", "list", "enum"]

_TRUE = {"1", "true", "yes", "y", "是", "on"}
_FALSE = {"0", "false", "no", "n", "否", "off"}
MAX_LIMIT = 1000


def _bad_param(name: str, raw: Any, expected_zh: str, expected_en: str) -> InputError:
    return InputError(f"参数 {name} 的值 {raw!r} 无效：应为{expected_zh}",
                      f"parameter {name!r} = {raw!r} is invalid: expected {expected_en}",
                      details={"parameter": name, "value": str(raw)[:200]})


@dataclass(frozen=True)
class Param:
    name: str
    type: ParamType
    title_zh: str
    description_zh: str = ""
    default: Any = None
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None

    def coerce(self, raw: Any) -> Any:
        """Turn a raw value (CLI/HTTP string or JSON value) into the typed value, or raise."""
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if self.required:
                raise InputError(f"缺少必填参数 {self.name}（{self.title_zh}）",
                                 f"missing required parameter {self.name!r}",
                                 details={"parameter": self.name})
            return self.default
        value: Any
        if self.type == "int":
            try:
                value = int(str(raw).strip())
            except ValueError:
                raise _bad_param(self.name, raw, "整数", "an integer") from None
        elif self.type == "float":
            try:
                value = float(str(raw).strip())
            except ValueError:
                raise _bad_param(self.name, raw, "数字", "a number") from None
        elif self.type == "bool":
            if isinstance(raw, bool):
                value = raw
            elif str(raw).strip().lower() in _TRUE:
                value = True
            elif str(raw).strip().lower() in _FALSE:
                value = False
            else:
                raise _bad_param(self.name, raw, "是/否", "true or false")
        elif self.type == "list":
            items = (raw if isinstance(raw, (list, tuple))
                     else str(raw).replace("，", ",").split(","))
            value = [str(v).strip() for v in items if str(v).strip()]
        else:
            value = str(raw).strip()
        if self.type == "enum" and value not in self.choices:
            raise _bad_param(self.name, raw, "以下之一：" + "、".join(self.choices),
                             "one of " + ", ".join(self.choices))
        if self.type in ("int", "float"):
            if self.minimum is not None and value < self.minimum:
                raise _bad_param(self.name, raw, f"不小于 {self.minimum}", f">= {self.minimum}")
            if self.maximum is not None and value > self.maximum:
                raise _bad_param(self.name, raw, f"不大于 {self.maximum}", f"<= {self.maximum}")
        return value

    def json_schema(self) -> dict[str, Any]:
        kind = {"str": "string", "int": "integer", "float": "number", "bool": "boolean",
                "list": "array", "enum": "string"}[self.type]
        out: dict[str, Any] = {"type": kind, "title": self.title_zh,
                               "description": self.description_zh}
        if self.type == "list":
            out["items"] = {"type": "string"}
        if self.choices:
            out["enum"] = list(self.choices)
        if self.default is not None:
            out["default"] = self.default
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        return out


@dataclass(frozen=True)
class Column:
    name: str
    title_zh: str
    type: str = "str"  # str | int | float | bool | list | entity (a node reference dict)


@dataclass
class Answer:
    question: str
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]
    offset: int
    limit: int
    has_more: bool
    params: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"question": self.question, "params": self.params,
                "columns": [asdict(c) for c in self.columns], "rows": self.rows,
                "offset": self.offset, "limit": self.limit, "has_more": self.has_more,
                "next_offset": self.offset + len(self.rows) if self.has_more else None}


QuestionFn = Callable[..., list[dict[str, Any]]]


@dataclass(frozen=True)
class Question:
    name: str
    title_zh: str
    description_zh: str
    measures: str  # the plan's measures it serves, e.g. "§1, §3"
    params: tuple[Param, ...]
    columns: tuple[Column, ...]
    func: QuestionFn
    order: int = 100  # position in the catalogue

    def coerce(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        known = {p.name for p in self.params}
        unknown = sorted(set(raw) - known - {"limit", "offset", "format"})
        if unknown:
            raise InputError(f"问题 {self.name} 没有参数：{', '.join(unknown)}",
                             f"question {self.name!r} has no parameter(s) {', '.join(unknown)}",
                             details={"parameter": unknown[0],
                                      "expected": sorted(known)})
        return {p.name: p.coerce(raw.get(p.name)) for p in self.params}

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "title_zh": self.title_zh,
                "description_zh": self.description_zh, "measures": self.measures,
                "params": [{"name": p.name, "required": p.required, **p.json_schema()}
                           for p in self.params],
                "columns": [asdict(c) for c in self.columns]}


QUESTIONS: dict[str, Question] = {}


def question(*, title_zh: str, description_zh: str, measures: str,
             params: tuple[Param, ...] = (), columns: tuple[Column, ...] = (),
             order: int = 100) -> Callable[[QuestionFn], QuestionFn]:
    """Register a question function under its own name; the function stays directly callable."""
    def register(fn: QuestionFn) -> QuestionFn:
        if fn.__name__ in QUESTIONS and QUESTIONS[fn.__name__].func is not fn:
            raise RuntimeError(f"question {fn.__name__} registered twice")
        QUESTIONS[fn.__name__] = Question(fn.__name__, title_zh, description_zh, measures,
                                          params, columns, fn, order)
        return fn
    return register


_FRAMEWORK = {"catalogue", "cli", "derive"}


def load_all() -> dict[str, Question]:
    """Import every question module of this package (registration happens at import)."""
    import queries

    for info in pkgutil.iter_modules(queries.__path__):
        if info.name not in _FRAMEWORK and not info.name.startswith("_"):
            importlib.import_module(f"queries.{info.name}")
    return dict(sorted(QUESTIONS.items(), key=lambda kv: (kv[1].order, kv[0])))


def get(name: str) -> Question:
    questions = load_all()
    if name not in questions:
        raise InputError(f"没有名为 {name} 的问题", f"no question named {name!r}",
                         hint="`patentkg questions` lists them",
                         details={"parameter": "name", "expected": sorted(questions)})
    return questions[name]


def _check_paging(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise _bad_param("limit", limit, f"1 到 {MAX_LIMIT} 之间的整数",
                         f"an integer from 1 to {MAX_LIMIT}")
    if offset < 0:
        raise _bad_param("offset", offset, "不小于 0 的整数", "an integer >= 0")


def ask(store: Store, name: str, raw_params: Mapping[str, Any] | None = None, *,
        limit: int = 50, offset: int = 0) -> Answer:
    """Validate the parameters, run one page of a question and say whether more rows exist."""
    q = get(name)
    _check_paging(limit, offset)
    params = q.coerce(raw_params or {})
    rows = q.func(store, limit=limit + 1, offset=offset, **params)
    return Answer(q.name, q.columns, rows[:limit], offset, limit, len(rows) > limit, params)


def iter_rows(store: Store, name: str, raw_params: Mapping[str, Any] | None = None, *,
              page: int = MAX_LIMIT) -> Iterator[dict[str, Any]]:
    """Every row of a question's answer, page by page (for whole-result exports)."""
    offset = 0
    while True:
        answer = ask(store, name, raw_params, limit=page, offset=offset)
        yield from answer.rows
        if not answer.has_more:
            return
        offset += len(answer.rows)


def describe_all() -> list[dict[str, Any]]:
    return [q.describe() for q in load_all().values()]
