"""GET /health: is the store reachable, what does it hold, which auth mode is on."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from api.deps import SettingsDep, StoreDep
from api.errors import error_responses
from graph.schema import DATA_VERSION

router = APIRouter(tags=["状态 health"])


class DataVersion(BaseModel):
    version: int = Field(0, description="数据版本号：每次导入和衍生计算后加一（所有进程共享）")
    token: str | None = Field(None, description="数据版本标识（清空重导后也不会重复）")
    updated_at: str | None = Field(None, description="数据最近一次变化的时间（UTC）")
    last_load: str | None = Field(None, description="最近一次导入的时间（UTC，任一进程）")
    source: str | None = Field(None, description="最近一次变化来自 load（导入）或 "
                                                  "refresh（衍生计算）")
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
    indexes_building: dict[str, str] = Field(
        default_factory=dict, description="后台正在重建的索引及进度（重启后内置数据库在后台重建"
        "索引，期间全文检索暂不可用）/ indexes the store is still building")
    cache: dict[str, float] = Field(default_factory=dict,
                                    description="本进程的应答缓存：条数、字节、命中与未命中")


DEMO_NOTE = ("本地演示模式：未配置 API 密钥，仅监听本机地址，所有调用者均为管理员 / "
             "local demo mode: no API keys, loopback only, every caller is admin")
KEYS_NOTE = "需要 API 密钥（X-API-Key 或 Authorization: Bearer）/ API key required"


@router.get("/health", response_model=Health, summary="服务与图数据库状态",
            responses=error_responses(503))
def health(request: Request, store: StoreDep, settings: SettingsDep) -> Health:
    """图数据库是否可达、图中节点与关系数量、数据版本和认证模式。"""
    status = store.status()
    counts = store.counts()
    marker = request.app.state.versions.read(store)
    nodes = {label: n for label, n in counts["nodes"].items() if label != DATA_VERSION.label}
    demo = settings.api.demo_mode
    return Health(
        status="ok", backend=status.backend, location=status.location,
        reachable=status.reachable,
        nodes=sum(nodes.values()), relationships=sum(counts["relationships"].values()),
        labels=nodes,
        data_version=DataVersion(
            version=marker.serial, token=marker.token, updated_at=marker.updated_at,
            last_load=marker.loaded_at, source=marker.source,
            tier_rules_version=marker.tier_rules_version,  # recorded by derive.refresh
            patents=counts["nodes"].get("Patent", 0)),
        auth_mode="local_demo" if demo else "api_keys",
        auth_note=DEMO_NOTE if demo else KEYS_NOTE,
        indexes_building=dict(status.details.get("indexes_building") or {}),
        cache=request.app.state.response_cache.stats(),
    )


@router.get("/health/live", summary="进程存活检查（不访问数据库）")
async def live() -> dict[str, str]:
    """进程是否在运行；不访问图数据库，供负载均衡探活和压测基线使用。"""
    return {"status": "ok"}
