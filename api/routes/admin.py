"""POST /api/admin/cypher: a read-only Cypher console for administrators (optional)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, StringConstraints

from api.deps import SettingsDep, StoreDep, require_admin
from api.errors import error_responses
from patentkg.errors import InputError, QueryFailed, QueryTimeout

router = APIRouter(prefix="/api/admin", tags=["管理 admin"], dependencies=[Depends(require_admin)])


ParamName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class CypherRequest(BaseModel):
    cypher: str = Field(min_length=1, max_length=20_000, pattern=r"\S",
                        description="只读 Cypher 查询")
    params: dict[ParamName, Any] = Field(default_factory=dict, description="查询参数 $name")


class CypherResult(BaseModel):
    columns: list[str]
    rows: list[dict[str, Any]]
    truncated: bool = Field(description="是否超过行数上限被截断")


@router.post("/cypher", response_model=CypherResult, summary="只读 Cypher 控制台（管理员）",
             responses=error_responses(400, 401, 403, 422, 503, 504))
def cypher(body: CypherRequest, store: StoreDep, settings: SettingsDep) -> dict[str, Any]:
    """在只读事务中执行一条 Cypher（写操作被数据库拒绝），有超时和行数上限。"""
    timeout = min(settings.api.console_timeout_ms, settings.core.query_timeout_ms)
    try:
        rows = store.read(body.cypher, body.params, timeout_ms=timeout)
    except ValueError as exc:  # the driver refuses a parameter value (e.g. an empty map key)
        raise InputError(f"查询参数无效：{str(exc)[:200]}", f"invalid query parameters: {exc}",
                         details={"parameter": "params"}) from None
    except QueryFailed as exc:
        if isinstance(exc, QueryTimeout):
            raise
        # The console's Cypher is the client's input: its errors are the client's to fix.
        raise InputError(f"查询无法执行：{exc.message_en[:300]}", exc.message_en[:500],
                         details={"parameter": "cypher"}) from None
    cap = settings.api.console_max_rows
    columns = list(rows[0]) if rows else []
    return {"columns": columns, "rows": rows[:cap], "truncated": len(rows) > cap}
