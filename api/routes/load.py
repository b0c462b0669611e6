"""POST /api/load: upload export files, load them into the graph, refresh derived knowledge."""

from __future__ import annotations

import csv
import dataclasses
import re
import shutil
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from pydantic import BaseModel, Field

from api.deps import SettingsDep, StoreDep, require_admin
from api.errors import PayloadTooLarge, error_responses
from api.labels import module
from graph.version import read_version
from patentkg.errors import InputError

router = APIRouter(prefix="/api", tags=["导入 load"], dependencies=[Depends(require_admin)])

_CHUNK = 1024 * 1024
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


class LoadResult(BaseModel):
    files: list[str] = Field(description="已接收的文件")
    summary: str = Field(description="导入摘要")
    written: Any = Field(default=None, description="写入计数")
    per_file: Any = Field(default=None, description="每个文件的行数、写入与拒绝")
    wrote: bool = Field(description="是否已写入（严格模式下有被拒绝的行则不写入）")
    rejected_rows: int = Field(description="被拒绝的行数")
    rejects: list[dict[str, Any]] = Field(description="被拒绝的行（最多显示若干条）")
    rejects_truncated: bool = Field(description="被拒绝的行是否未全部列出")
    derived: dict[str, Any] = Field(default_factory=dict, description="导入后重新计算的衍生知识")
    loaded_at: str = Field(description="导入时间（UTC）")


def plain(value: Any) -> Any:
    """A loader report value as JSON (dataclasses, paths, nested containers)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: plain(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _safe_name(name: str | None, index: int, taken: set[str]) -> str:
    base = _UNSAFE.sub("_", Path(name or "").name).strip(" .") or f"upload-{index}"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        stem, dot, suffix = base.rpartition(".")
        candidate = f"{stem}-{n}.{suffix}" if dot else f"{base}-{n}"
    taken.add(candidate)
    return candidate


async def _save(upload: UploadFile, target: Path, budget: int) -> int:
    """Copy an upload to disk, stopping as soon as the size limit is passed."""
    written = 0
    with target.open("wb") as out:
        while chunk := await upload.read(_CHUNK):
            written += len(chunk)
            if written > budget:
                raise PayloadTooLarge("上传文件超过大小限制", "the upload exceeds the size limit",
                                      details={"parameter": "files"})
            out.write(chunk)
    return written


def _read_rejects(path: Path, cap: int) -> tuple[list[dict[str, Any]], int]:
    if not path.exists():
        return [], 0
    if path.suffix.lower() != ".csv":
        return [], 0
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return rows[:cap], len(rows)


def _bad_file(exc: BaseException) -> InputError:
    return InputError("上传的文件无法读取（格式错误或已损坏）",
                      f"an uploaded file cannot be read: {type(exc).__name__}: {exc}"[:500],
                      details={"parameter": "files"})


def _unreadable_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [ValueError, UnicodeError, zipfile.BadZipFile, EOFError]
    try:
        from openpyxl.utils.exceptions import InvalidFileException
        errors.append(InvalidFileException)
    except ImportError:  # pragma: no cover
        pass
    return tuple(errors)


@router.post("/load", response_model=LoadResult, summary="上传并导入文件（管理员）",
             responses=error_responses(400, 401, 403, 413, 422, 503))
async def load(request: Request, store: StoreDep, settings: SettingsDep,
               files: Annotated[list[UploadFile], File(
                   description="专利导出文件、登记表等（CSV / Excel），可多个")],
               strict: Annotated[bool, Form(description="有任何行被拒绝则全部不写入")] = False,
               ) -> dict[str, Any]:
    """上传一个或多个文件，经校验、规范化后写入图谱，返回写入计数和被拒绝的行，
    然后重新计算分级、集群和匹配等衍生知识。需要管理员密钥。"""
    if not files:
        raise InputError("请至少上传一个文件", "upload at least one file",
                         details={"parameter": "files"})
    budget = settings.api.max_upload_bytes
    workdir = Path(tempfile.mkdtemp(prefix="patentkg-upload-"))
    try:
        taken: set[str] = set()
        paths: list[Path] = []
        for i, upload in enumerate(files):
            target = workdir / "in" / _safe_name(upload.filename, i, taken)
            target.parent.mkdir(exist_ok=True)
            budget -= await _save(upload, target, budget)
            paths.append(target)
        rejects_path = workdir / "rejects.csv"
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(_load_sync, request, store, settings, paths,
                                       rejects_path, strict)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _load_sync(request: Request, store: Any, settings: Any, paths: list[Path],
               rejects_path: Path, strict: bool) -> dict[str, Any]:
    pipeline = module("loaders.pipeline")
    derive = module("queries.derive")
    with request.app.state.load_lock:  # one load at a time per process
        try:
            report = pipeline.load_paths(store, paths, strict=strict, rejects_path=rejects_path)
        except _unreadable_errors() as exc:
            raise _bad_file(exc) from None
        wrote = bool(getattr(report, "wrote", True))
        derived = derive.refresh(store) if wrote else {}
        if wrote:  # the new version's names now, not at the next user's first search
            module("queries.search").warm(store)
        # the time the load wrote into the graph's data version (what /health shows)
        marker = read_version(store).loaded_at if wrote else None
        loaded_at = marker or datetime.now(UTC).isoformat(timespec="seconds")
    cap = settings.api.rejects_in_answer
    rejects = getattr(report, "rejects", None)
    if isinstance(rejects, list):
        shown, total = [plain(r) for r in rejects[:cap]], len(rejects)
    else:
        shown, total = _read_rejects(rejects_path, cap)
    rejected = int(getattr(report, "rejected_rows", total) or 0)
    summary = report.summary() if callable(getattr(report, "summary", None)) else str(report)
    return {"files": [p.name for p in paths], "summary": summary,
            "written": plain(getattr(report, "written", None)),
            "per_file": plain(getattr(report, "per_file", None)),
            "wrote": wrote, "rejected_rows": rejected, "rejects": shown,
            "rejects_truncated": max(total, rejected) > len(shown),
            "derived": plain(derived) if isinstance(derived, dict) else {"result": plain(derived)},
            "loaded_at": loaded_at}
