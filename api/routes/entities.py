"""GET /api/entities/{label}/{key}: one entity's profile."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Response
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from api import errors
from api.cache import role_from_headers
from api.deps import StoreDep, require_read
from api.errors import error_responses
from api.labels import module, require_entity, resolve_label
from patentkg.errors import InputError, PatentkgError

try:  # ~8x faster than json for a profile; the same JSON values
    import orjson
except ImportError:  # pragma: no cover - an optional speed-up
    orjson = None  # type: ignore[assignment]

PREFIX = "/api/entities"

router = APIRouter(prefix=PREFIX, tags=["实体 entities"], dependencies=[Depends(require_read)])


class EntityProfile(BaseModel):
    """The profile of one entity; its exact fields depend on the entity type."""

    model_config = ConfigDict(extra="allow")

    label: str | None = Field(default=None, description="英文标签")
    label_zh: str | None = Field(default=None, description="中文类型")
    key: Any = Field(default=None, description="业务主键")


def json_body(value: Any) -> bytes:
    """The JSON of a query result as JSONResponse writes it. The store returns plain JSON
    types, so the per-value walk of ``jsonable_encoder`` (and of the response model, whose
    extra fields are unchecked anyway) is only needed for anything else."""
    if orjson is not None:
        try:
            return orjson.dumps(value)
        except TypeError:
            pass
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError):
        text = json.dumps(jsonable_encoder(value), ensure_ascii=False, allow_nan=False,
                          separators=(",", ":"))
    return text.encode("utf-8")


@router.get("/{label}/{key:path}", response_model=EntityProfile, summary="实体档案",
            responses=error_responses(401, 404, 503, 504))
async def entity(label: str, key: str, store: StoreDep) -> Response:
    """一个实体（专利、企业、科研机构、园区……）的档案：属性、关系和说明。
    label 可用英文（Patent）或中文（专利）；key 为业务主键（如申请号）。"""
    label = resolve_label(label, missing_is_404=True)
    # awaited on the event loop (the store's async read): a lookup takes no worker thread
    try:  # the profile reads the node itself: no separate existence check on the hot path
        profile = await module("queries.explore").entity_profile_async(store, label=label,
                                                                       key=key)
    except InputError:
        # a missing entity is a 404 in the API's words
        await run_in_threadpool(require_entity, store, label, key)
        raise
    return Response(json_body(profile), media_type="application/json")


class EntityLookups:
    """Answer ``GET /api/entities/{label}/{key}`` for an existing entity before routing.

    The profile itself is one awaited read; on the way to the route above, FastAPI matched
    the path against every route and solved the dependency tree (the caller's role, the
    settings, the store), which cost about as much CPU as the lookup's own Python. Only a
    found entity is answered here, with the route's exact answer; anything else (no valid
    API key, an unknown label, a missing entity, an odd path) goes on to the route, which
    answers it in the API's error shape (and documents the endpoint). Store failures are
    answered here in that shape, so a failing store is not asked twice."""

    def __init__(self, app: ASGIApp, get_store: Callable[[], Any], keys: dict[str, str],
                 demo_mode: bool) -> None:
        self.app = app
        self.get_store = get_store
        self.keys = keys
        self.demo_mode = demo_mode
        self.prefix = PREFIX + "/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] != "GET" or scope.get("root_path")
                or not scope["path"].startswith(self.prefix)):
            await self.app(scope, receive, send)
            return
        raw_label, slash, key = scope["path"][len(self.prefix):].partition("/")
        store = self.get_store()
        if (not slash or not key.strip() or store is None
                or role_from_headers(scope, self.keys, self.demo_mode) is None):
            await self.app(scope, receive, send)
            return
        try:
            label = resolve_label(raw_label, missing_is_404=True)
            profile = await module("queries.explore").entity_profile_async(store, label=label,
                                                                           key=key)
        except InputError:  # a missing entity (404) or an odd key: the route says which
            await self.app(scope, receive, send)
            return
        except PatentkgError as exc:
            if exc.code == "not_found":  # an unknown label
                await self.app(scope, receive, send)
                return
            await errors.patentkg_error_response(exc)(scope, receive, send)
            return
        body = json_body(profile)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(body)).encode()),
                                (b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})
