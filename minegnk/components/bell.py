"""The header's bell: unread in-app notifications, updated live when new ones are committed."""

from __future__ import annotations

from nicegui import ui

from minegnk.components.db_work import in_db
from minegnk.components.live_updates import on_signal
from minegnk.components.locale import _
from minegnk.services import notifications
from minegnk.services.sessions import SessionUser


def notification_bell(user: SessionUser) -> None:
    with ui.button(icon='notifications', on_click=lambda: ui.navigate.to('/notifications')) \
            .props('flat round color=white').mark('bell'):
        ui.tooltip(_('Notifications'))
        badge = ui.badge('', color='red').props('floating rounded').mark('bell-count')
        badge.set_visibility(False)

    async def load() -> None:
        count = await in_db(notifications.unread_count, user.user_id)
        if count is None or badge.is_deleted:
            return
        badge.set_text(str(count) if count < 100 else '99+')
        badge.set_visibility(count > 0)

    on_signal(notifications.notifications_changed, lambda _user_id: load(),
              when=lambda changed: changed == user.user_id, name='bell')
    ui.timer(0, load, once=True)
