"""GET /api/entities/{label}/{key}: one entity's profile."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Response
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, ConfigDict, Field

from api.deps import StoreDep, require_read
from api.errors import error_responses
from api.labels import module, require_entity, resolve_label
from patentkg.errors import InputError

router = APIRouter(prefix="/api/entities", tags=["实体 entities"],
                   dependencies=[Depends(require_read)])


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
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except TypeError:
        text = json.dumps(jsonable_encoder(value), ensure_ascii=False, allow_nan=False,
                          separators=(",", ":"))
    return text.encode("utf-8")


@router.get("/{label}/{key:path}", response_model=EntityProfile, summary="实体档案",
            responses=error_responses(401, 404, 503, 504))
def entity(label: str, key: str, store: StoreDep) -> Response:
    """一个实体（专利、企业、科研机构、园区……）的档案：属性、关系和说明。
    label 可用英文（Patent）或中文（专利）；key 为业务主键（如申请号）。"""
    label = resolve_label(label, missing_is_404=True)
    try:  # the profile reads the node itself: no separate existence check on the hot path
        profile = module("queries.explore").entity_profile(store, label=label, key=key)
    except InputError:
        require_entity(store, label, key)  # a missing entity is a 404 in the API's words
        raise
    return Response(json_body(profile), media_type="application/json")
