"""The notification centre (/notifications) and where notifications go (/notifications/settings): Telegram link,
Discord webhook, quiet hours, daily digest hour, and per-node mute and maintenance windows (support may set those
for a customer with ?user=<id>)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from nicegui import ui

from minegnk.components.db_work import in_db
from minegnk.components.frame import frame
from minegnk.components.live_updates import on_signal
from minegnk.components.locale import N_, _, current_language
from minegnk.components.request_ui import format_time, user_zone, zone_caption
from minegnk.config import get_settings
from minegnk.notify.render import render
from minegnk.services import notifications, notify_settings
from minegnk.services.accounts import AccountError
from minegnk.services.notify_settings import ChannelSettings
from minegnk.services.sessions import SessionUser
from minegnk.web import auth

ERRORS = {
    'discord_webhook_invalid': N_('Paste a Discord webhook URL: https://discord.com/api/webhooks/…'),
    'time_invalid': N_('Use the 24-hour form HH:MM, e.g. 22:00.'),
    'quiet_hours_incomplete': N_('Set both the start and the end of the quiet hours, or neither.'),
    'digest_hour_invalid': N_('Choose an hour between 0 and 23.'),
    'mute_invalid': N_('Choose a time in the future (at most 90 days ahead).'),
    'maintenance_incomplete': N_('Set both the start and the end of the maintenance window, or neither.'),
    'maintenance_invalid': N_('The window must end after it starts, in the future, and last at most 90 days.'),
    'date_invalid': N_('Use the form YYYY-MM-DD HH:MM.'),
    'forbidden': N_('You may not change this.'),
    'not_found': N_('Not found.'),
}
MUTE_CHOICES = {'': N_('Not muted'), '1': N_('1 hour'), '8': N_('8 hours'), '24': N_('24 hours'), '168': N_('7 days')}
DATE_FORMAT = '%Y-%m-%d %H:%M'


def error_text(code: str) -> str:
    return _(ERRORS.get(code, N_('Something went wrong. Please try again.')))


def _listen(user_id: int, reload: Any) -> None:
    on_signal(notifications.notifications_changed, lambda _user_id: reload(),
              when=lambda changed: changed == user_id, name='notifications')


def register() -> None:
    @auth.protected_page('/notifications')
    async def centre(user: SessionUser) -> None:
        with frame(_('Notifications'), user):
            with ui.row().classes('w-full items-center justify-between gap-2'):
                ui.label(_('Notifications')).classes('text-2xl font-semibold').mark('page-title')
                with ui.row().classes('gap-2'):
                    ui.button(_('Mark all read'), icon='done_all', on_click=lambda: mark(None)).props('flat') \
                        .mark('mark-all-read')
                    ui.button(_('Settings'), icon='tune', on_click=lambda: ui.navigate.to('/notifications/settings')) \
                        .props('flat').mark('to-settings')
            zone_caption(user)
            listing = ui.column().classes('w-full gap-2').mark('notification-list')

            async def reload() -> None:
                rows = await in_db(notifications.list_for_user, user.user_id)
                if rows is None:
                    return
                listing.clear()
                with listing:
                    if not rows:
                        ui.label(_('No notifications yet.')).classes('text-gray-500').mark('no-notifications')
                    for row in rows:
                        draw(row)

            def draw(row: notifications.NotificationView) -> None:
                text = render(row.kind, row.params, current_language(), tz=user.timezone, link=row.link)
                with ui.card().classes('w-full p-3 gap-1' + ('' if row.read else ' border-l-4 border-primary')) \
                        .mark('notification-unread' if not row.read else 'notification-read'):
                    with ui.row().classes('w-full items-start justify-between gap-2 no-wrap'):
                        ui.label(text.title).classes('font-semibold' if not row.read else '')
                        ui.label(format_time(row.created_at, user)).classes('text-xs text-gray-500 whitespace-nowrap')
                    for line in text.lines:
                        ui.label(line).classes('text-sm whitespace-pre-line break-words')
                    for item in text.items:
                        ui.label(f'• {item.title}').classes('text-sm')
                    with ui.row().classes('gap-2'):
                        if row.link and auth.safe_next(row.link) == row.link:
                            ui.link(_('Open'), row.link).classes('text-sm')
                        if not row.read:
                            ui.button(_('Mark read'), on_click=lambda r=row.id: mark([r])).props('flat dense size=sm') \
                                .mark(f'mark-read-{row.id}')

            async def mark(ids: list[int] | None) -> None:
                await in_db(notifications.mark_read, user.user_id, ids)
                await reload()

            _listen(user.user_id, reload)
            await reload()

    @auth.protected_page('/notifications/settings')
    async def settings_page(user: SessionUser, user_id: int | None = None) -> None:  # noqa: PLR0915
        target = user.user_id if user_id is None or not user.is_admin else user_id
        own = target == user.user_id
        with frame(_('Notification settings'), user):
            ui.label(_('Notification settings')).classes('text-2xl font-semibold').mark('page-title')
            try:
                view = await in_db(notify_settings.get_settings_view, target)
            except AccountError:
                view = None
            if view is None:
                ui.label(error_text('not_found')).mark('settings-missing')
                return
            if not own:
                ui.label(_('Support view: alert silence for {email}', email=view.email)).classes('text-sm') \
                    .mark('support-view')
            zone_caption(user)
            with ui.column().classes('w-full max-w-3xl gap-4'):
                if own:
                    ui.label(_('Which events reach you on which channel is chosen on the profile page.')) \
                        .classes('text-sm text-gray-600')
                    ui.link(_('Choose events'), '/profile').classes('text-sm')
                    _telegram_section(user, view)
                    _channels_section(user, view)
                _nodes_section(user, view)


def _card(title: str, icon: str, marker: str) -> ui.card:
    card = ui.card().classes('w-full p-4 sm:p-6 gap-3').mark(marker)
    with card, ui.row().classes('items-center gap-2'):
        ui.icon(icon).classes('text-xl text-primary')
        ui.label(title).classes('text-lg font-semibold')
    return card


def _telegram_section(user: SessionUser, view: ChannelSettings) -> None:
    settings = get_settings()
    with _card('Telegram', 'send', 'telegram-section'):
        if not settings.telegram_bot_token or not settings.telegram_bot_name:
            ui.label(_('Telegram notifications are not available on this server.')).classes('text-sm text-gray-600')
            return
        state = ui.column().classes('gap-2 w-full')

        def draw(linked: bool, code: str | None) -> None:
            state.clear()
            with state:
                if linked:
                    ui.label(_('Your Telegram chat is linked.')).classes('text-sm').mark('telegram-linked')
                    ui.button(_('Unlink Telegram'), icon='link_off', on_click=unlink).props('outline') \
                        .mark('telegram-unlink')
                    return
                if code:
                    url = f'https://t.me/{settings.telegram_bot_name}?start={code}'
                    ui.label(_('Open the link in Telegram and press Start. The link works once, for an hour.')) \
                        .classes('text-sm')
                    ui.link(url, url, new_tab=True).classes('break-all').mark('telegram-deep-link')
                    ui.button(_('I pressed Start'), on_click=lambda: ui.navigate.to('/notifications/settings')) \
                        .props('flat').mark('telegram-refresh')
                ui.button(_('Link Telegram'), icon='link', on_click=link).mark('telegram-link')

        async def link() -> None:
            code = await in_db(notify_settings.start_telegram_link, user.user_id)
            if code:
                draw(False, code)

        async def unlink() -> None:
            await in_db(notify_settings.unlink_telegram, user.user_id)
            draw(False, None)
            ui.notify(_('Telegram unlinked.'), type='positive')

        draw(view.telegram_linked, view.telegram_code)


def _channels_section(user: SessionUser, view: ChannelSettings) -> None:
    with _card(_('Discord, quiet hours and daily summary'), 'schedule', 'channels-section'):
        discord = ui.input(_('Discord webhook URL'), value=view.discord_webhook_url or '',
                           placeholder='https://discord.com/api/webhooks/…').props('outlined').classes('w-full') \
            .mark('discord-webhook')
        ui.label(_('Quiet hours: alerts wait and arrive as one summary when they end (times in your time zone).')) \
            .classes('text-sm text-gray-600')
        with ui.row().classes('gap-3 w-full'):
            quiet_from = ui.input(_('From (HH:MM)'), value=view.quiet_from or '', placeholder='22:00') \
                .props('outlined').classes('w-40').mark('quiet-from')
            quiet_to = ui.input(_('To (HH:MM)'), value=view.quiet_to or '', placeholder='07:00') \
                .props('outlined').classes('w-40').mark('quiet-to')
        digest = ui.select({h: f'{h:02d}:00' for h in range(24)}, value=view.digest_hour,
                           label=_('Daily summary at')).props('outlined').classes('w-48').mark('digest-hour')
        ui.label(_('The daily summary is sent on the channels chosen for it on the profile page.')) \
            .classes('text-xs text-gray-500')
        fields = {'discord_webhook': discord, 'quiet_from': quiet_from, 'quiet_to': quiet_to, 'digest_hour': digest}
        error = ui.label().classes('text-negative text-sm').mark('channels-error')
        error.set_visibility(False)

        async def save() -> None:
            for element in fields.values():
                element.error = None
            error.set_visibility(False)
            try:
                result = await in_db(notify_settings.update_channels, user.user_id, discord_webhook=discord.value,
                                     quiet_from=quiet_from.value, quiet_to=quiet_to.value, digest_hour=digest.value)
            except AccountError as e:
                for name, code in (getattr(e, 'errors', None) or {}).items():
                    target = fields.get('discord_webhook' if name == 'discord_webhook_url' else name)
                    if target is not None:
                        target.error = error_text(code)
                if not getattr(e, 'errors', None):
                    error.set_text(error_text(e.code))
                    error.set_visibility(True)
                return
            if result is not None:
                discord.value = result.discord_webhook_url or ''
                ui.notify(_('Notification settings saved.'), type='positive')

        ui.button(_('Save'), on_click=save).mark('channels-save')


def _parse_local(raw: str, zone: ZoneInfo) -> datetime | None:
    text = (raw or '').strip()
    if not text:
        return None
    try:
        return datetime.strptime(text, DATE_FORMAT).replace(tzinfo=zone)
    except ValueError as e:
        raise AccountError('date_invalid', 'maintenance') from e


def _nodes_section(user: SessionUser, view: ChannelSettings) -> None:
    zone, _name = user_zone(user)
    with _card(_('Mute and maintenance per node'), 'notifications_paused', 'silence-section'):
        ui.label(_('A muted node or one in a maintenance window sends no alerts; if it is still down afterwards, '
                   'you hear about it then.')).classes('text-sm text-gray-600')
        if not view.nodes:
            ui.label(_('No nodes on this account.')).classes('text-sm text-gray-500').mark('no-nodes')
        for node in view.nodes:
            with ui.column().classes('w-full gap-1 py-2 border-b border-gray-200 dark:border-gray-700') \
                    .mark(f'silence-{node.address}'):
                ui.label(node.label or node.address).classes('font-medium break-all')
                if node.muted_until:
                    ui.label(_('Muted until {time}', time=format_time(node.muted_until, user))).classes('text-xs')
                mute = ui.select({k: _(v) for k, v in MUTE_CHOICES.items()}, value='', label=_('Mute for')) \
                    .props('outlined dense').classes('w-48').mark(f'mute-{node.address}')
                with ui.row().classes('gap-2 w-full'):
                    start = ui.input(_('Maintenance from'), placeholder='2026-12-01 10:00',
                                     value=node.maintenance_from.astimezone(zone).strftime(DATE_FORMAT)
                                     if node.maintenance_from else '').props('outlined dense').classes('w-52') \
                        .mark(f'maint-from-{node.address}')
                    end = ui.input(_('Maintenance until'), placeholder='2026-12-01 12:00',
                                   value=node.maintenance_to.astimezone(zone).strftime(DATE_FORMAT)
                                   if node.maintenance_to else '').props('outlined dense').classes('w-52') \
                        .mark(f'maint-to-{node.address}')
                error = ui.label().classes('text-negative text-sm').mark(f'silence-error-{node.address}')
                error.set_visibility(False)

                async def save(node_id: int = node.node_id, mute: ui.select = mute, start: ui.input = start,
                               end: ui.input = end, error: ui.label = error, current=node.muted_until) -> None:
                    error.set_visibility(False)
                    try:
                        muted = datetime.now(zone) + timedelta(hours=int(mute.value)) if mute.value else None
                        if mute.value == '' and current is not None and current > datetime.now(zone):
                            muted = None  # "Not muted" ends a running mute
                        window = (_parse_local(start.value, zone), _parse_local(end.value, zone))
                    except AccountError as e:
                        error.set_text(error_text(e.code))
                        error.set_visibility(True)
                        return
                    try:
                        result = await in_db(notify_settings.set_node_silence, actor_id=user.user_id,
                                             user_id=view.user_id, node_id=node_id, muted_until=muted,
                                             maintenance_from=window[0], maintenance_to=window[1])
                    except AccountError as e:
                        error.set_text(error_text(e.code))
                        error.set_visibility(True)
                        return
                    if result is not None:
                        ui.notify(_('Saved.'), type='positive')

                ui.button(_('Save'), on_click=save).props('flat').mark(f'silence-save-{node.address}')
