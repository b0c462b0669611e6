"""API settings from PATENTKG_* environment variables (read when the app is built)."""

from __future__ import annotations

import ipaddress
from functools import cached_property
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from patentkg.config import Settings, load_settings
from patentkg.errors import ConfigError

Role = Literal["read", "admin"]
ROLES: tuple[Role, ...] = ("read", "admin")
LOOPBACK_NAMES = {"localhost", "ip6-localhost", "ip6-loopback"}


class ApiSettings(BaseSettings):
    """What the HTTP layer needs besides the store settings of patentkg.config."""

    model_config = SettingsConfigDict(env_prefix="PATENTKG_", extra="ignore", frozen=True)

    # "key1:admin,key2:read"; a key without a role is read-only. Empty = local demo mode.
    api_keys: str = Field(default="", repr=False)
    max_upload_mb: float = Field(default=100, gt=0)
    graph_max_nodes: int = Field(default=500, ge=10, le=5000)
    rejects_in_answer: int = Field(default=200, ge=0)
    admin_console: bool = True
    console_max_rows: int = Field(default=1000, ge=1)
    console_timeout_ms: int = Field(default=10_000, ge=100)
    # the per-process answer cache (api.cache): 0 entries turns it off
    cache_entries: int = Field(default=20_000, ge=0)
    cache_mb: float = Field(default=128, ge=0)
    # how long a process trusts its copy of the graph's data version before re-reading it
    version_ttl_s: float = Field(default=1.0, ge=0)

    @cached_property
    def keys(self) -> dict[str, Role]:
        """The configured API keys and their roles."""
        keys: dict[str, Role] = {}
        for item in self.api_keys.replace("；", ",").replace(";", ",").split(","):
            item = item.strip()
            if not item:
                continue
            key, _, role = item.partition(":")
            role = role.strip().lower() or "read"
            if role not in ROLES or not key.strip():
                raise ConfigError(f"PATENTKG_API_KEYS 中的条目无效：{item.split(':')[0][:4]}…",
                                  "invalid entry in PATENTKG_API_KEYS: expected key:admin or "
                                  "key:read",
                                  hint="e.g. PATENTKG_API_KEYS=key1:admin,key2:read")
            keys[key.strip()] = role  # type: ignore[assignment]
        return keys

    @property
    def demo_mode(self) -> bool:
        """No keys configured: local demo mode, every caller is an admin, loopback only."""
        return not self.keys

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)


class AppSettings:
    """The store settings (patentkg.config) and the API settings, read together."""

    def __init__(self, core: Settings | None = None, api: ApiSettings | None = None) -> None:
        self.core = core or load_settings()
        self.api = api or ApiSettings()
        self.api.keys  # noqa: B018 - fail early on a malformed key list


def is_loopback(host: str) -> bool:
    """True when binding ``host`` only accepts connections from this machine."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
