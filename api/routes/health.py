"""GET /health: is the store reachable, what does it hold, which auth mode is on."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from api.deps import SettingsDep, StoreDep
from api.errors import error_responses

router = APIRouter(tags=["状态 health"])


class DataVersion(BaseModel):
    last_load: str | None = Field(None, description="本进程最近一次通过 API 导入的时间（UTC）")
    tier_rules_version: str | None = Field(None, description="分级规则版本")
    patents: int = Field(0, description="专利数")


class Health(BaseModel):
    status: str = Field(description="ok")
    backend: str = Field(description="falkordb 或 neo4j")
    location: str
    reachable: bool
    nodes: int
    relationships: int
    labels: dict[str, int] = Field(description="各类节点数")
    data_version: DataVersion
    auth_mode: str = Field(description="api_keys（已配置密钥）或 local_demo（无密钥，仅本机）")
    auth_note: str


DEMO_NOTE = ("本地演示模式：未配置 API 密钥，仅监听本机地址，所有调用者均为管理员 / "
             "local demo mode: no API keys, loopback only, every caller is admin")
KEYS_NOTE = "需要 API 密钥（X-API-Key 或 Authorization: Bearer）/ API key required"
_TIER_VERSION = ("MATCH (p:Patent) WHERE p.tier_rules_version IS NOT NULL "
                 "RETURN p.tier_rules_version AS v LIMIT 1")


@router.get("/health", response_model=Health, summary="服务与图数据库状态",
            responses=error_responses(503))
def health(request: Request, store: StoreDep, settings: SettingsDep) -> Health:
    """图数据库是否可达、图中节点与关系数量、数据版本和认证模式。"""
    status = store.status()
    counts = store.counts()
    version_rows = store.read(_TIER_VERSION)
    demo = settings.api.demo_mode
    return Health(
        status="ok", backend=status.backend, location=status.location,
        reachable=status.reachable,
        nodes=sum(counts["nodes"].values()), relationships=sum(counts["relationships"].values()),
        labels=counts["nodes"],
        data_version=DataVersion(
            last_load=getattr(request.app.state, "last_load", None),
            tier_rules_version=str(version_rows[0]["v"]) if version_rows else None,
            patents=counts["nodes"].get("Patent", 0)),
        auth_mode="local_demo" if demo else "api_keys",
        auth_note=DEMO_NOTE if demo else KEYS_NOTE,
    )


