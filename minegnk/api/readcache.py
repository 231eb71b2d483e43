"""A short-lived per-user copy of the "My nodes" read model, so repeated API reads cost no database work.

The data itself changes once per refresh cycle (minutes), so a few seconds of reuse is invisible. When an entry
has expired, it is served once more while a single reload runs in the background (no request waits for the
database on a warm cache). An entry is dropped at once when the user's assignments change in this process (``assignment_events``); other processes see
the change when their copy expires. Concurrent misses for the same user wait for one load instead of each
querying the database. Responses already rendered for a query are kept with the entry.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

MAX_RENDERED_PER_USER = 64
MAX_USERS = 50_000


@dataclass
class NodesEntry:
    items: list[dict[str, Any]]  # NodeItem-shaped, JSON-ready
    sort_keys: list[dict[str, Any]]  # per item: the values the list can be sorted by
    counts: dict[str, int]
    expires_at: float
    rendered: dict[tuple, bytes] = field(default_factory=dict)


class UserNodesCache:
    def __init__(self, *, ttl_s: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._entries: dict[int, NodesEntry] = {}
        self._generation: dict[int, int] = {}
        self._loading: dict[int, asyncio.Future[NodesEntry]] = {}
        self.loads = 0  # how many times the database was asked (tests and benchmarks look at it)

    async def get(self, user_id: int,
                  load: Callable[[], Awaitable[tuple[list[dict], list[dict], dict[str, int]]]]) -> NodesEntry:
        entry = self._entries.get(user_id)
        if entry is not None and entry.expires_at > self._clock():
            return entry
        pending = self._loading.get(user_id)
        if entry is not None:  # expired: serve it once more while one reload runs in the background
            if pending is None:
                task = asyncio.ensure_future(self._load(user_id, load, self._begin(user_id)))
                task.add_done_callback(lambda t: t.cancelled() or t.exception())
            return entry
        if pending is not None:
            return await asyncio.shield(pending)
        return await self._load(user_id, load, self._begin(user_id))

    def _begin(self, user_id: int) -> asyncio.Future[NodesEntry]:
        future: asyncio.Future[NodesEntry] = asyncio.get_running_loop().create_future()
        self._loading[user_id] = future
        return future

    async def _load(self, user_id: int, load: Callable[[], Awaitable[tuple[list[dict], list[dict], dict[str, int]]]],
                    future: asyncio.Future[NodesEntry]) -> NodesEntry:
        generation = self._generation.get(user_id, 0)
        try:
            self.loads += 1
            items, keys, counts = await load()
            entry = NodesEntry(items, keys, counts, self._clock() + self.ttl_s)
            if self._generation.get(user_id, 0) == generation:  # not invalidated while loading
                if len(self._entries) >= MAX_USERS:
                    self._entries.clear()
                self._entries[user_id] = entry
            future.set_result(entry)
            return entry
        except BaseException as e:
            future.set_exception(e)
            future.exception()  # mark retrieved: waiters get it, nobody else must see "never retrieved"
            raise
        finally:
            self._loading.pop(user_id, None)

    def invalidate(self, user_id: int | None = None) -> None:
        """Forget one user's entry (callable from any thread), or every entry."""
        if user_id is None:
            self._entries.clear()
            return
        self._generation[user_id] = self._generation.get(user_id, 0) + 1
        self._entries.pop(user_id, None)

    @staticmethod
    def remember(entry: NodesEntry, key: tuple, body: bytes) -> None:
        if len(entry.rendered) < MAX_RENDERED_PER_USER:
            entry.rendered[key] = body
