"""Networks to draw: an entity's neighbourhood, paths between two entities, a question's result."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from api.deps import SettingsDep, StoreDep, require_read
from api.errors import error_responses
from api.labels import module, require_entity, resolve_label
from api.models import Subgraph
from api.routes.questions import question_or_404, raw_params
from queries import catalogue
from queries.catalogue import MAX_LIMIT

router = APIRouter(prefix="/api/graph", tags=["网络 graph"], dependencies=[Depends(require_read)])

GRAPH_RESERVED = frozenset({"limit", "max_nodes"})
# Default node caps: what a person can read on a projector (the page offers "显示更多").
NEIGHBOURHOOD_NODES = 80
QUESTION_NODES = 120
_ERRORS = error_responses(400, 401, 404, 422, 503, 504)


def laid_out(subgraph: dict[str, Any]) -> dict[str, Any]:
    """Add x/y positions when the pictures module provides a layout."""
    try:
        from viz.layout import with_layout
    except ImportError:
        return subgraph
    return with_layout(subgraph)


def _cap(requested: int | None, settings: SettingsDep) -> int:
    limit = settings.api.graph_max_nodes
    return min(requested or limit, limit)


Label = Annotated[str, Query(min_length=1, max_length=40,
                             description="实体类型：英文或中文，如 Enterprise / 企业")]
Key = Annotated[str, Query(min_length=1, max_length=200, description="业务主键，如申请号或机构键")]


@router.get("/neighborhood", response_model=Subgraph, summary="实体的关系网络",
            responses=_ERRORS)
def neighborhood(store: StoreDep, settings: SettingsDep, label: Label, key: Key,
                 depth: Annotated[int, Query(ge=1, le=3, description="几度关系（1-3）")] = 1,
                 limit: Annotated[int, Query(ge=1, le=5000, description="节点上限")
                                  ] = NEIGHBOURHOOD_NODES,
                 rel_types: Annotated[list[str] | None, Query(
                     description="只看这些关系类型，如 APPLIED_BY（可重复）")] = None,
                 ) -> dict[str, Any]:
    """以一个实体为中心的关系网络（节点与连线），超过节点上限时截断并标记 truncated。"""
    label = resolve_label(label)
    require_entity(store, label, key)
    sub = module("queries.explore").neighborhood(store, label=label, key=key, depth=depth,
                               limit=_cap(limit, settings), rel_types=rel_types or None)
    return laid_out(sub)


@router.get("/path", response_model=Subgraph, summary="两个实体之间的关联路径",
            responses=_ERRORS)
def path(store: StoreDep, settings: SettingsDep, from_label: Label, from_key: Key,
         to_label: Label, to_key: Key,
         max_hops: Annotated[int, Query(ge=1, le=6, description="最多几步（1-6）")] = 4,
         limit: Annotated[int, Query(ge=1, le=20, description="最多几条路径")] = 5,
         ) -> dict[str, Any]:
    """两个实体（如科研机构与企业）之间最短的几条关联路径。"""
    from_label = resolve_label(from_label, parameter="from_label")
    to_label = resolve_label(to_label, parameter="to_label")
    require_entity(store, from_label, from_key, parameter="from_key")
    require_entity(store, to_label, to_key, parameter="to_key")
    sub = module("queries.explore").relation_paths(
        store, from_label=from_label, from_key=from_key, to_label=to_label, to_key=to_key,
        max_hops=max_hops, limit=limit)
    return laid_out(sub)


@router.get("/question/{name}", response_model=Subgraph, summary="问题结果的关系网络",
            responses=_ERRORS)
def question_network(name: str, request: Request, store: StoreDep, settings: SettingsDep,
                     limit: Annotated[int, Query(ge=1, le=MAX_LIMIT,
                                                 description="取结果的前多少行")] = 50,
                     max_nodes: Annotated[int | None, Query(ge=1, le=5000,
                                                            description="节点上限")] = None,
                     ) -> dict[str, Any]:
    """把一个问题的结果（前 limit 行）画成网络：结果中的实体及其之间的关系。
    问题参数与 /api/questions/{name} 相同，作为查询参数传入。"""
    q = question_or_404(name)
    raw = raw_params(q, request.query_params, GRAPH_RESERVED)
    answer = catalogue.ask(store, q.name, raw, limit=limit, offset=0)
    explore = module("queries.explore")
    refs = explore.refs_from_rows(answer.rows)
    sub = explore.subgraph_of(store, refs, limit=_cap(max_nodes or QUESTION_NODES, settings))
    return laid_out(sub)
