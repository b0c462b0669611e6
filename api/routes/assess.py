"""POST /api/assess: pre-application assessment of a draft invention (writes nothing)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.deps import StoreDep, require_read
from api.errors import error_responses
from api.labels import function

router = APIRouter(prefix="/api", tags=["评估 assess"], dependencies=[Depends(require_read)])


class DraftInvention(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"title": "一种基于深度学习的电网故障诊断方法", "ipc_codes": ["G06N3/08", "H02J3/00"],
         "applicant": "国网天津市电力公司"}]})

    title: str = Field(min_length=1, max_length=500, pattern=r"\S", description="发明名称")
    ipc_codes: list[str] = Field(default_factory=list, max_length=50,
                                 description="IPC 分类号，如 G06N3/08")
    applicant: str | None = Field(default=None, max_length=200, description="申请人（可选）")


    @field_validator("title", "applicant", "ipc_codes")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        values = value if isinstance(value, list) else [value]
        if any(isinstance(v, str) and "\x00" in v for v in values):
            raise ValueError("must not contain NUL characters")
        return value


class Assessment(BaseModel):
    """The assessment; its fields are those of queries.portfolio.assess_draft."""

    model_config = ConfigDict(extra="allow")


@router.post("/assess", response_model=Assessment, summary="申请前评估",
             responses=error_responses(400, 401, 422, 501, 503, 504))
def assess(draft: DraftInvention, store: StoreDep) -> dict[str, Any]:
    """用与专利匹配相同的规则评估一项拟申请的发明：适配的产业、集群、园区和企业及理由。不写入数据。"""
    assess_draft = function("queries.portfolio", "assess_draft")
    return assess_draft(store, title=draft.title, ipc_codes=draft.ipc_codes,
                                 applicant=draft.applicant)
