"""The header's bell: unread in-app notifications, updated live when new ones are committed."""

from __future__ import annotations

from nicegui import background_tasks, context, core, run, ui

from minegnk.components.locale import _
from minegnk.db.engine import session_scope
from minegnk.services import notifications
from minegnk.services.sessions import SessionUser


def _unread(user_id: int) -> int:
    with session_scope() as db:
        return notifications.unread_count(db, user_id)


def notification_bell(user: SessionUser) -> None:
    with ui.button(icon='notifications', on_click=lambda: ui.navigate.to('/notifications')) \
            .props('flat round color=white').mark('bell'):
        ui.tooltip(_('Notifications'))
        badge = ui.badge('', color='red').props('floating rounded').mark('bell-count')
        badge.set_visibility(False)

    async def load() -> None:
        count = await run.io_bound(_unread, user.user_id)
        if count is None or badge.is_deleted:
            return
        badge.set_text(str(count) if count < 100 else '99+')
        badge.set_visibility(count > 0)

    client, slot = context.client, context.slot

    async def reload() -> None:
        if not client.is_deleted:
            with slot:
                await load()

    def changed(user_id: int) -> None:  # called in the thread that committed
        if user_id == user.user_id and core.loop is not None and not client.is_deleted:
            core.loop.call_soon_threadsafe(lambda: background_tasks.create(reload(), name='bell'))

    notifications.notifications_changed.connect(changed)
    client.on_delete(lambda: notifications.notifications_changed.disconnect(changed))
    ui.timer(0, load, once=True)
