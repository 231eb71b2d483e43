"""Page-side subscriptions: the data layer's refresh Event plus ownership and request changes for one user.

Every subscription is made inside the page's UI context and ends with the page; no page polls the database.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from nicegui import background_tasks, context, core, run
from nicegui.client import Client

from minegnk.components.live import data_refreshed
from minegnk.services import assignment_events, request_events
from minegnk.services.events import Signal


def page_alive(client: Client) -> bool:
    """The page still exists: not deleted, and still the client NiceGUI knows under its id."""
    return not client.is_deleted and Client.instances.get(client.id) is client


def on_signal(signal: Signal[Any], callback: Callable[[Any], Any], *, when: Callable[[Any], bool] | None = None,
              name: str = 'live update') -> None:
    """Run ``callback(payload)`` on this page, in its context, whenever ``signal`` fires (from any thread), until the
    page is gone. ``when`` filters payloads (e.g. only this user's id)."""
    client, slot = context.client, context.slot

    async def run(payload: Any) -> None:
        if page_alive(client):
            with slot:
                result = callback(payload)
                if inspect.isawaitable(result):
                    await result

    def listener(payload: Any) -> None:  # called in the thread that committed
        if when is not None and not when(payload):
            return
        if not page_alive(client):
            signal.disconnect(listener)  # a page that vanished without its delete hook (e.g. a reset between tests)
            return
        if core.loop is not None:
            core.loop.call_soon_threadsafe(lambda: background_tasks.create(run(payload), name=name))

    signal.connect(listener)
    client.on_delete(lambda: signal.disconnect(listener))


def on_data_changed(user_id: int, reload: Callable[..., Awaitable[None]], *, with_version: bool = False) -> None:
    """Call ``reload`` (in this page's context) after each background refresh and whenever this user's nodes or
    requests change. ``with_version``: pass ``reload`` the refresh cycle's finish time (or None for a change of
    nodes or requests), so pages can share one load per refresh (``shared_load``)."""
    client = context.client
    slot = context.slot

    async def on_refresh(report: Any = None) -> None:
        if page_alive(client):
            with slot:
                await (reload(getattr(report, 'finished_at', None)) if with_version else reload())

    data_refreshed.subscribe(on_refresh, expect_args=True)
    for signal in (assignment_events.assignments_changed, request_events.requests_changed):
        on_signal(signal, lambda _payload: reload(None) if with_version else reload(),
                  when=lambda changed: changed == user_id, name='reload after change')


# One load per (what, version) for every open page that asks while it runs: 300 open tabs of a few users then cost a
# few loads per refresh, not 300. Only loads in flight are shared: a later signal with the same version (the refresh
# job announces a cycle again once its backfill has landed) must read the database anew.
_in_flight: dict[Hashable, asyncio.Future] = {}


async def shared_load(key: Hashable, version: Hashable | None, load: Callable[[], Any]) -> Any:
    """``load()`` on a worker thread, shared by every caller with the same ``key`` and ``version`` while it runs.
    A None version (a change that is not a refresh cycle) always loads afresh."""
    if version is None:
        return await run.io_bound(load)
    cache_key = (key, version)
    future = _in_flight.get(cache_key)
    if future is None:
        future = asyncio.ensure_future(run.io_bound(load))
        _in_flight[cache_key] = future
        future.add_done_callback(lambda _f: _in_flight.pop(cache_key, None))
    return await asyncio.shield(future)
