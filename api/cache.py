"""A per-process cache of read-only GET answers, keyed by the graph's data version.

The key is (data version token, path, sorted query parameters, caller's role). Every load and
every derive.refresh writes a new token into the graph (graph.version), so an answer is never
served for data older than the version this process last read; each process re-reads the
token at most every ``version_ttl`` seconds, and at once after a load it made itself. Only
200 JSON answers are kept: errors, POSTs, file downloads and answers marked
``Cache-Control: no-store`` pass through untouched.

A hit is answered here, before routing, dependencies and the thread pool: the cheap path."""

from __future__ import annotations

import hmac
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import patentkg_error_response
from graph.version import DataVersion, local_bumps, read_version
from patentkg.errors import PatentkgError

# Read-only lookups whose answer depends only on the graph, the URL and the role.
CACHED_PREFIXES = ("/api/entities/", "/api/search", "/api/questions", "/api/graph/")
# Query values that ask for a file download (streamed, possibly large): never cached.
_DOWNLOADS = {"csv", "xlsx"}


class VersionReader:
    """The graph's data version as this process knows it, re-read at most every ``ttl`` s."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._version: DataVersion | None = None
        self._read_at = 0.0
        self._bumps = -1
        self._lock = threading.Lock()

    def cached(self) -> DataVersion | None:
        """The version if it is fresh enough to use without a read, else None."""
        if (self._version is not None and time.monotonic() - self._read_at < self.ttl
                and self._bumps == local_bumps()):
            return self._version
        return None

    def read(self, store: Any) -> DataVersion:
        """Read the marker from the graph (blocking: call it off the event loop)."""
        bumps = local_bumps()
        version = read_version(store)
        with self._lock:
            self._version, self._read_at, self._bumps = version, time.monotonic(), bumps
        return version

    def forget(self) -> None:
        self._version = None


# A kept answer: (status, headers, body) as plain tuples of ints and bytes. The collector
# stops tracking such tuples, so a full cache adds nothing to its full passes (with one
# object per answer, a pass walked all 20,000 of them: the lookups' p99 grew with the cache).
Entry = tuple[int, tuple[tuple[bytes, bytes], ...], bytes]


def entry(status: int, headers: Iterable[tuple[bytes, bytes]], body: bytes) -> Entry:
    return (status, tuple((bytes(k), bytes(v)) for k, v in headers), body)


class ResponseCache:
    """An LRU of answers, bounded by entry count and by total body bytes."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_entry_bytes = max(1, max_bytes // 8)  # one answer never evicts everything
        self._entries: OrderedDict[tuple[Any, ...], Entry] = OrderedDict()
        self._bytes = 0
        self._token: str | None = None
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_entries > 0 and self.max_bytes > 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def observe(self, token: str) -> None:
        """Drop everything when the data version changed (old keys can never hit again)."""
        if token != self._token:
            with self._lock:
                if token != self._token:
                    self._entries.clear()
                    self._bytes = 0
                    self._token = token

    def get(self, key: tuple[Any, ...]) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                self.hits += 1
            else:
                self.misses += 1
            return entry

    def put(self, key: tuple[Any, ...], answer: Entry) -> None:
        size = len(answer[2])
        if size > self.max_entry_bytes or key[0] != self._token:
            return  # too big, or computed for a version that is no longer current
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old[2])
            self._entries[key] = answer
            self._bytes += size
            while self._entries and (len(self._entries) > self.max_entries
                                     or self._bytes > self.max_bytes):
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= len(evicted[2])

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def stats(self) -> dict[str, int]:
        return {"entries": len(self._entries), "bytes": self._bytes, "hits": self.hits,
                "misses": self.misses, "max_entries": self.max_entries,
                "max_bytes": self.max_bytes}


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value
    return None


def role_from_headers(scope: Scope, keys: dict[str, str], demo_mode: bool) -> str | None:
    """The caller's role as api.deps decides it, from the request's headers, or None (the
    app's dependencies answer 401 themselves)."""
    if demo_mode:
        return "admin"
    presented = _header(scope, b"x-api-key")
    if not presented:
        auth = _header(scope, b"authorization") or b""
        scheme, _, credentials = auth.partition(b" ")
        if scheme.lower() != b"bearer" or not credentials.strip():
            return None
        presented = credentials.strip()
    presented = presented.decode("latin-1").encode()  # as Starlette decodes headers
    for key, role in keys.items():
        if hmac.compare_digest(key.encode(), presented):
            return role
    return None


class CacheMiddleware:
    """Answer repeated read-only GETs from a ResponseCache; mark every lookup with X-Cache."""

    def __init__(self, app: ASGIApp, cache: ResponseCache, versions: VersionReader,
                 get_store: Callable[[], Any], keys: dict[str, str], demo_mode: bool) -> None:
        self.app = app
        self.cache = cache
        self.versions = versions
        self.get_store = get_store
        self.keys = keys
        self.demo_mode = demo_mode

    def role(self, scope: Scope) -> str | None:
        """The caller's role as api.deps decides it, or None (the app answers 401 itself)."""
        return role_from_headers(scope, self.keys, self.demo_mode)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] != "GET" or not self.cache.enabled
                or not scope["path"].startswith(CACHED_PREFIXES)):
            await self.app(scope, receive, send)
            return
        raw_query = scope.get("query_string", b"").decode("latin-1")
        params = tuple(sorted(parse_qsl(raw_query, keep_blank_values=True)))
        role = self.role(scope)
        store = self.get_store()
        if (role is None or store is None
                or any(k == "format" and v in _DOWNLOADS for k, v in params)):
            await self.app(scope, receive, send)
            return
        version = self.versions.cached()
        if version is None:
            try:
                version = await run_in_threadpool(self.versions.read, store)
            except PatentkgError as exc:  # the store is down: its 503, not an unhandled 500
                await patentkg_error_response(exc)(scope, receive, send)
                return
        if version.token is None:  # a graph without a marker: nothing tells us it changed
            await self._pass(scope, receive, send, b"bypass")
            return
        self.cache.observe(version.token)
        key = (version.token, scope["path"], params, role)
        hit = self.cache.get(key)
        if hit is not None:
            status, headers, body = hit
            await send({"type": "http.response.start", "status": status,
                        "headers": [*headers, (b"x-cache", b"hit")]})
            await send({"type": "http.response.body", "body": body})
            return
        await self._miss(scope, receive, send, key, version)

    async def _pass(self, scope: Scope, receive: Receive, send: Send, mark: bytes) -> None:
        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()),
                                                  (b"x-cache", mark)]}
            await send(message)

        await self.app(scope, receive, marked)

    async def _miss(self, scope: Scope, receive: Receive, send: Send,
                    key: tuple[Any, ...], version: DataVersion) -> None:
        version_header = (b"x-data-version", str(version.serial).encode())
        start: Message | None = None
        chunks: list[bytes] = []
        keep = True

        async def capture(message: Message) -> None:
            nonlocal start, keep
            if message["type"] == "http.response.start":
                start = message
                headers = list(message.get("headers", ()))
                content_type = dict(headers).get(b"content-type", b"")
                # an answer marked no-store (e.g. a search while an index is being built:
                # partial, and the data version does not change when the index is done)
                keep = (message["status"] == 200 and content_type.startswith(b"application/json")
                        and not any(k == b"set-cookie" or (k == b"cache-control"
                                                           and b"no-store" in v)
                                    for k, v in headers))
                message = {**message,
                           "headers": [*headers, version_header, (b"x-cache", b"miss")]}
            elif message["type"] == "http.response.body" and keep:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False) and start is not None:
                    self.cache.put(key, entry(start["status"],
                                              [*start.get("headers", ()), version_header],
                                              b"".join(chunks)))
            await send(message)

        await self.app(scope, receive, capture)
