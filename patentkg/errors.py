"""Errors a user can act on: one clear line (Chinese and English), no traceback."""

from __future__ import annotations


class PatentkgError(Exception):
    """Base class for errors shown to the user as one line with what to do."""

    code = "error"

    def __init__(self, message_zh: str, message_en: str, *, hint: str = "",
                 details: dict | None = None) -> None:
        message_en = " ".join(message_en.split())  # driver messages span lines
        super().__init__(message_en)
        self.message_zh = message_zh
        self.message_en = message_en
        self.hint = hint
        self.details = details or {}

    def one_line(self) -> str:
        line = f"{self.message_zh} / {self.message_en}"
        return f"{line} -> {self.hint}" if self.hint else line


class ConfigError(PatentkgError):
    code = "config_error"


class StoreUnavailable(PatentkgError):
    code = "store_unavailable"


class IndexBuilding(StoreUnavailable):
    """A label's full-text index is being (re)built: the store answers, that index does not
    yet (FalkorDB rebuilds every index in the background after a restart)."""

    code = "index_building"


class QueryFailed(PatentkgError):
    code = "query_failed"


class QueryTimeout(QueryFailed):
    """A query ran past its time limit (the store said so, not a guess from the message)."""

    code = "query_timeout"


class InputError(PatentkgError):
    """Bad input from a user (file, parameter): the caller can fix it."""

    code = "bad_input"


class NotBuiltYet(PatentkgError):
    code = "not_built"

    def __init__(self, command: str) -> None:
        super().__init__(f"`patentkg {command}` 尚未实现", f"`patentkg {command}` is not built yet",
                         hint="see the open issues")
