"""The FastAPI application: `create_app()` wires routers, errors, the store and the web page.

`uvicorn --factory api.app:create_app` (what `patentkg serve` runs) calls it once per worker
process; the store is opened in the lifespan, once per process, and closed at shutdown."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import parse_qsl

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from api import errors
from api.cache import CacheMiddleware, ResponseCache, VersionReader
from api.routes import admin, assess, entities, graph, health, load, questions, search
from api.settings import AppSettings
from graph.store import Store, open_store
from queries import search as search_queries
from viz import web

log = logging.getLogger("patentkg.api")

DESCRIPTION = """专利转化知识图谱（天津市河东区）对外接口：业务问题、检索、实体档案、关系网络、
申请前评估和数据导入。

* 认证：请求头 `X-API-Key: <密钥>` 或 `Authorization: Bearer <密钥>`（`PATENTKG_API_KEYS`
  配置，角色 read / admin）；未配置密钥时为本地演示模式，仅监听本机地址。
* 错误：统一为 `{"code", "message"（中文）, "message_en", "details"}`，
  参数错误时 `details.parameter` 指出出错的参数。
* 分页：`limit`（1-1000）与 `offset`，下一页用回答中的 `next_offset`；
  `format=csv|xlsx` 下载全部结果。
"""


class BodySizeLimit:
    """Refuse a request whose declared body is larger than the upload limit (413)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope.get("headers", ()):
                if name == b"content-length":
                    try:
                        too_big = int(value) > self.max_bytes
                    except ValueError:
                        too_big = False
                    if too_big:
                        mb = self.max_bytes / 1024 / 1024
                        response = errors.error_response(
                            413, "payload_too_large", f"请求体超过 {mb:g} MB 的限制",
                            f"request body exceeds the {mb:g} MB limit",
                            {"parameter": "files", "max_bytes": self.max_bytes})
                        await response(scope, receive, send)
                        return
        await self.app(scope, receive, send)


class RejectNul:
    """Refuse NUL characters in the path or query string (400 naming the parameter).

    No business value contains one, and the FalkorDB client cannot pass one as a query
    parameter (the query fails to parse), so they stop here as the client's error."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            bad = None
            if "\x00" in scope.get("path", ""):
                bad = "path"
            else:
                raw = scope.get("query_string", b"").decode("latin-1")
                for name, value in parse_qsl(raw, keep_blank_values=True):
                    if "\x00" in name or "\x00" in value:
                        bad = name.replace("\x00", "")[:50]
                        break
            if bad is not None:
                response = errors.error_response(
                    400, "bad_input", f"参数 {bad} 含有不允许的空字符（\\0）",
                    f"parameter {bad!r} contains a NUL character", {"parameter": bad})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _warm_search(store: Store) -> None:
    try:
        _say_indexes_building(store)
        search_queries.warm(store)
    except Exception:  # a store not ready yet: the first search pays instead
        log.info("search warm-up skipped", exc_info=True)


def _say_indexes_building(store: Store) -> None:
    """After a restart FalkorDB rebuilds its indexes in the background (minutes at 1M
    patents): the service answers meanwhile (search from keys and names, flagged partial;
    lookups of the label scan), and says so in its log; /health and the page show progress."""
    building = store.status().details.get("indexes_building") or {}
    if building:
        log.warning("数据库正在后台重建索引 indexes being rebuilt: %s — 建好前全文检索只按编号和"
                    "名称、部分查询较慢 / until done search matches keys and names only and some "
                    "queries are slower", ", ".join(f"{k} {v}" for k, v in building.items()))


def create_app(settings: AppSettings | None = None, store: Store | None = None) -> FastAPI:
    """Build the app; with ``store`` given (tests, `patentkg demo`) it is used and not closed."""
    settings = settings or AppSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.store is not None:  # given by the caller (tests, demo): used, not closed
            yield
            return
        from starlette.concurrency import run_in_threadpool

        opened = await run_in_threadpool(open_store, settings.core)
        app.state.store = opened
        # Everything alive now (modules, schema tables, the app) lives as long as the process:
        # keep it out of the collector's full passes, which otherwise walk it all every few
        # dozen requests (100+ ms pauses under load: the p99 of lookups).
        gc.collect()
        gc.freeze()
        # the first search's one-time costs, paid in the background (start-up is not delayed)
        threading.Thread(target=_warm_search, args=(opened,), name="warm-search",
                         daemon=True).start()
        try:
            yield
        finally:
            app.state.store = None
            opened.close()

    app = FastAPI(title="专利转化知识图谱 API / patentkg", version=_version(),
                  description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.store = store  # usable without the lifespan too (TestClient without `with`)
    app.state.load_lock = threading.Lock()
    app.state.versions = VersionReader(settings.api.version_ttl_s)
    app.state.response_cache = ResponseCache(settings.api.cache_entries,
                                             int(settings.api.cache_mb * 1024 * 1024))
    errors.install(app)
    # innermost: lookups of existing entities skip routing and dependency injection
    app.add_middleware(entities.EntityLookups, get_store=lambda: app.state.store,
                       keys=dict(settings.api.keys), demo_mode=settings.api.demo_mode)
    app.add_middleware(RejectNul)
    app.add_middleware(BodySizeLimit, max_bytes=settings.api.max_upload_bytes)
    # outermost: a hit is answered before anything else runs
    app.add_middleware(CacheMiddleware, cache=app.state.response_cache,
                       versions=app.state.versions, get_store=lambda: app.state.store,
                       keys=dict(settings.api.keys), demo_mode=settings.api.demo_mode)

    app.include_router(health.router)
    app.include_router(questions.build_router())
    app.include_router(search.router)
    app.include_router(entities.router)
    app.include_router(graph.router)
    app.include_router(assess.router)
    app.include_router(load.router)
    if settings.api.admin_console:
        app.include_router(admin.router)
    web.mount(app)
    return app


def _version() -> str:
    from patentkg import __version__

    return __version__

