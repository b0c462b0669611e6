"""Pydantic response models shared by several routers."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class GraphNode(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str | int = Field(description="节点编号（在本次回答内唯一）")
    label: str = Field(description="英文标签，如 Patent")
    label_zh: str | None = Field(default=None, description="中文类型，如 专利")
    key: Any = Field(default=None, description="业务主键，如申请号")
    caption: str | None = Field(default=None, description="显示名称")
    title: str | None = Field(default=None, description="悬停说明")
    props: dict[str, Any] = Field(default_factory=dict, description="属性")
    x: float | None = Field(default=None, description="布局横坐标（若已布局）")
    y: float | None = Field(default=None, description="布局纵坐标（若已布局）")


class GraphEdge(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str | int
    source: str | int = Field(description="起点节点 id")
    target: str | int = Field(description="终点节点 id")
    type: str = Field(description="关系类型，如 APPLIED_BY")
    type_zh: str | None = Field(default=None, description="中文关系名")


class Subgraph(BaseModel):
    """A network to draw: nodes and edges, capped, with a truncated flag."""

    model_config = ConfigDict(extra="allow")

    nodes: list[GraphNode]
    edges: list[GraphEdge]
    total_nodes: int | None = Field(default=None, description="截断前的节点总数")
    truncated: bool = Field(default=False, description="是否因节点上限被截断")
    paths: list[Any] | None = Field(default=None, description="路径（仅路径查询）")
