"""Dependencies injected into the routers: the store, the settings and the caller's role.

All are ``async def``: none of them blocks, and FastAPI runs a plain ``def`` dependency in a
worker thread (a thread hop each, per request)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.errors import Forbidden, Unauthorized
from api.settings import AppSettings, Role
from graph.store import Store
from patentkg.errors import StoreUnavailable


async def get_settings(request: Request) -> AppSettings:
    return request.app.state.settings


async def get_store(request: Request) -> Store:
    """The one store of this process, opened in the app's lifespan."""
    store = getattr(request.app.state, "store", None)
    if store is None:
        raise StoreUnavailable("图数据库尚未打开", "the graph store is not open",
                               hint="the app is starting or shutting down; retry")
    return store


SettingsDep = Annotated[AppSettings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]

_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False,
                               description="API 密钥（PATENTKG_API_KEYS 中配置）")
_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <API 密钥>")


async def caller_role(settings: SettingsDep,
                      api_key: Annotated[str | None, Security(_api_key_header)] = None,
                      bearer: Annotated[HTTPAuthorizationCredentials | None,
                                        Security(_bearer)] = None) -> Role:
    """The caller's role from X-API-Key or Authorization: Bearer; admin in local demo mode."""
    if settings.api.demo_mode:
        return "admin"
    presented = api_key or (bearer.credentials if bearer else None)
    if not presented:
        raise Unauthorized("缺少 API 密钥：请在请求头 X-API-Key 或 Authorization: Bearer 中提供",
                           "missing API key: send it as X-API-Key or Authorization: Bearer",
                           details={"parameter": "X-API-Key"})
    for key, role in settings.api.keys.items():
        if hmac.compare_digest(key.encode(), presented.encode()):
            return role
    raise Unauthorized("API 密钥无效", "invalid API key", details={"parameter": "X-API-Key"})


async def require_read(role: Annotated[Role, Depends(caller_role)]) -> Role:
    return role


async def require_admin(role: Annotated[Role, Depends(caller_role)]) -> Role:
    if role != "admin":
        raise Forbidden("此操作需要管理员密钥", "this operation needs an admin key",
                        details={"role": role})
    return role
