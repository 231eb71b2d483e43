"""Page-side subscriptions: the data layer's refresh Event plus ownership and request changes for one user.

Every subscription is made inside the page's UI context and ends with the page; no page polls the database.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import background_tasks, context, core

from minegnk.components.live import data_refreshed
from minegnk.services import assignment_events, request_events


def on_data_changed(user_id: int, reload: Callable[[], Awaitable[None]]) -> None:
    """Call ``reload`` (in this page's context) after each background refresh and whenever this user's nodes or
    requests change. Signals from other threads are handed to the event loop."""
    client = context.client
    slot = context.slot

    async def run() -> None:
        if client.is_deleted:
            return
        with slot:
            await reload()

    async def on_refresh() -> None:
        await run()

    data_refreshed.subscribe(on_refresh)

    def from_thread(changed_user_id: int) -> None:
        if changed_user_id != user_id or core.loop is None or client.is_deleted:
            return
        core.loop.call_soon_threadsafe(lambda: background_tasks.create(run(), name='reload after change'))

    assignment_events.assignments_changed.connect(from_thread)
    request_events.requests_changed.connect(from_thread)

    def disconnect() -> None:
        assignment_events.assignments_changed.disconnect(from_thread)
        request_events.requests_changed.disconnect(from_thread)
    client.on_delete(disconnect)
