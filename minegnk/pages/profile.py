"""The user's profile (/profile): email, contact handles, preferences, notifications, password, sessions,
data export and account deletion."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request
from nicegui import app, context, run, ui
from sqlalchemy.orm import Session

from minegnk import i18n
from minegnk.components.db_work import in_db
from minegnk.components.frame import frame
from minegnk.components.locale import N_, _
from minegnk.components.request_ui import error_message, format_time, zone_caption
from minegnk.db.engine import session_scope
from minegnk.services import profile, sessions
from minegnk.services.accounts import CURRENCIES, AccountError
from minegnk.services.profile import ProfileView
from minegnk.services.sessions import SessionUser
from minegnk.web import auth

EVENT_LABELS = {
    'node_down': N_('A node goes down'),
    'node_recovered': N_('A node recovers'),
    'low_reward': N_('Rewards are lower than expected'),
    'unclaimed_reward': N_('Rewards are waiting to be claimed'),
    'request_update': N_('A request changes status'),
    'node_assignment': N_('A node is assigned or removed'),
    'network_incident': N_('Network incidents'),
    'daily_digest': N_('Daily summary'),
}
CHANNEL_LABELS = {'in_app': N_('In the portal'), 'email': N_('Email'), 'telegram': 'Telegram', 'discord': 'Discord'}


@dataclass(frozen=True)
class SessionRow:
    token_hash: str
    created_at: datetime
    last_seen_at: datetime
    ip: str | None
    user_agent: str | None
    persistent: bool


def _load(db: Session, user_id: int) -> tuple[ProfileView, list[SessionRow]]:
    rows = [SessionRow(s.token_hash, s.created_at, s.last_seen_at, s.ip, s.user_agent, s.persistent)
            for s in sessions.active_sessions(db, user_id)]
    return profile.get_profile(db, user_id), rows


def _section(title: str, icon: str, marker: str) -> ui.card:
    card = ui.card().classes('w-full p-4 sm:p-6 gap-3').mark(marker)
    with card:
        with ui.row().classes('items-center gap-2'):
            ui.icon(icon).classes('text-xl text-primary')
            ui.label(title).classes('text-lg font-semibold')
    return card


def _show_error(e: AccountError, fields: dict[str, Any], fallback: ui.label) -> None:
    errors = getattr(e, 'errors', None) or ({e.field: e.code} if e.field else {})
    shown = False
    for name, code in errors.items():
        if name in fields:
            fields[name].error = error_message(code)
            shown = True
    if not shown:
        fallback.set_text(error_message(e.code))
        fallback.set_visibility(True)


def _error_label(marker: str) -> ui.label:
    label = ui.label().classes('text-negative text-sm').mark(marker)
    label.set_visibility(False)
    return label


def _clear(fields: dict[str, Any], fallback: ui.label) -> None:
    for element in fields.values():
        element.error = None
    fallback.set_visibility(False)


def register() -> None:
    @auth.protected_page('/profile')
    async def profile_page(request: Request, user: SessionUser) -> None:
        ip = request.client.host if request.client else None
        with frame(_('Profile'), user):
            ui.label(_('Profile')).classes('text-2xl font-semibold').mark('page-title')
            spinner = ui.spinner(size='lg')
            loaded = await in_db(_load, user.user_id)
            spinner.delete()
            if loaded is None:
                return
            view, session_rows = loaded
            zone_caption(user)
            with ui.column().classes('w-full max-w-3xl gap-4'):
                _email_section(user, view, ip)
                _preferences_section(user, view)
                _notifications_section(user, view)
                _password_section(user)
                _sessions_section(user, session_rows)
                _data_section(user, ip)


def _email_section(user: SessionUser, view: ProfileView, ip: str | None) -> None:
    with _section(_('Email'), 'mail', 'email-section'):
        ui.label(_('You sign in with {email}.', email=view.email)).classes('text-sm break-all').mark('current-email')
        new_email = ui.input(_('New email')).props('outlined type=email autocomplete=email').classes('w-full') \
            .mark('new-email')
        password = ui.input(_('Current password'), password=True, password_toggle_button=True) \
            .props('outlined autocomplete=current-password').classes('w-full').mark('email-password')
        error = _error_label('email-error')
        fields = {'email': new_email, 'current_password': password}

        async def submit() -> None:
            _clear(fields, error)
            button.props('loading')
            try:
                result = await in_db(profile.change_email, user.user_id, current_password=password.value,
                                     new_email=new_email.value, ip=ip)
            except AccountError as e:
                _show_error(e, fields, error)
                return
            finally:
                button.props(remove='loading')
            if result is None:
                return
            ui.notify(_('Your email is now {email}.', email=result.email), type='positive')
            ui.navigate.to('/profile')

        button = ui.button(_('Change email'), on_click=submit).mark('email-submit')


def _preferences_section(user: SessionUser, view: ProfileView) -> None:
    with _section(_('Contacts and preferences'), 'tune', 'preferences-section'):
        with ui.grid().classes('grid-cols-1 sm:grid-cols-2 gap-3 w-full'):
            telegram = ui.input(_('Telegram username'), value=view.telegram or '', placeholder='@username',
                                validation=lambda v: _rule(profile.parse_telegram, v)) \
                .props('outlined').classes('w-full').mark('telegram')
            discord = ui.input(_('Discord username'), value=view.discord or '', placeholder='username',
                               validation=lambda v: _rule(profile.parse_discord, v)) \
                .props('outlined').classes('w-full').mark('discord')
            currency = ui.select({c: c for c in CURRENCIES}, value=view.currency, label=_('Currency')) \
                .props('outlined').classes('w-full').mark('currency')
            language = ui.select({'': _('Browser language')} | dict(i18n.LANGUAGES), value=view.language or '',
                                 label=_('Language')).props('outlined').classes('w-full').mark('language')
        zones = {'': _('Not set (times in UTC)')} | {z: z.replace('_', ' ') for z in profile.timezones()}
        if view.timezone and view.timezone not in zones:
            zones[view.timezone] = view.timezone
        with ui.row().classes('w-full items-center gap-2'):
            timezone = ui.select(zones, value=view.timezone or '', label=_('Time zone'), with_input=True) \
                .props('outlined').classes('flex-1 min-w-[14rem]').mark('timezone')

            async def use_browser_zone() -> None:
                zone = await ui.run_javascript('Intl.DateTimeFormat().resolvedOptions().timeZone')
                if zone in zones:
                    timezone.value = zone
            ui.button(_("Use this browser's zone"), icon='my_location', on_click=use_browser_zone).props('flat') \
                .mark('browser-zone')
        error = _error_label('preferences-error')
        fields = {'telegram': telegram, 'discord': discord, 'currency': currency, 'timezone': timezone,
                  'language': language}

        async def submit() -> None:
            _clear(fields, error)
            button.props('loading')
            try:
                result = await in_db(profile.update_preferences, user.user_id, telegram=telegram.value,
                                     discord=discord.value, currency=currency.value, timezone=timezone.value,
                                     language=language.value)
            except AccountError as e:
                _show_error(e, fields, error)
                return
            finally:
                button.props(remove='loading')
            if result is None:
                return
            if result.language:
                app.storage.user[auth.LANGUAGE_KEY] = result.language
            if (result.language, result.timezone) != (view.language, view.timezone):
                ui.navigate.to('/profile')  # texts and times on the page change with these
                return
            telegram.value, discord.value = result.telegram or '', result.discord or ''
            ui.notify(_('Preferences saved.'), type='positive')

        button = ui.button(_('Save preferences'), on_click=submit).mark('preferences-submit')


def _rule(parser: Any, value: Any) -> str | None:
    try:
        parser(value)
    except AccountError as e:
        return error_message(e.code)
    return None


def _notifications_section(user: SessionUser, view: ProfileView) -> None:
    with _section(_('Notifications'), 'notifications', 'notifications-section'):
        ui.label(_('Choose which events reach you, and where.')).classes('text-sm text-gray-600')
        boxes: dict[tuple[str, str], ui.checkbox] = {}
        with ui.element('div').classes('w-full overflow-x-auto'):
            with ui.grid(columns=len(profile.NOTIFICATION_CHANNELS) + 1).classes('gap-x-2 gap-y-1 items-center min-w-[32rem]'):
                ui.label('')
                for channel in profile.NOTIFICATION_CHANNELS:
                    ui.label(_(CHANNEL_LABELS[channel])).classes('text-xs font-semibold text-center')
                for event in profile.NOTIFICATION_EVENTS:
                    ui.label(_(EVENT_LABELS[event])).classes('text-sm')
                    for channel in profile.NOTIFICATION_CHANNELS:
                        with ui.row().classes('justify-center'):
                            box = ui.checkbox(value=channel in view.notification_prefs[event]) \
                                .mark(f'notify-{event}-{channel}')
                            # The grid's headings are only visual: a screen reader needs the box's own name.
                            box._props['aria-label'] = _('{event}: {channel}', event=_(EVENT_LABELS[event]),
                                                         channel=_(CHANNEL_LABELS[channel]))
                            boxes[(event, channel)] = box
        error = _error_label('notifications-error')

        async def submit() -> None:
            error.set_visibility(False)
            prefs = {event: [c for c in profile.NOTIFICATION_CHANNELS if boxes[(event, c)].value]
                     for event in profile.NOTIFICATION_EVENTS}
            button.props('loading')
            try:
                await in_db(profile.set_notification_prefs, user.user_id, prefs)
            except AccountError as e:
                _show_error(e, {}, error)
                return
            finally:
                button.props(remove='loading')
            ui.notify(_('Notification settings saved.'), type='positive')

        button = ui.button(_('Save notification settings'), on_click=submit).mark('notifications-submit')


def _password_section(user: SessionUser) -> None:
    with _section(_('Password'), 'lock', 'password-section'):
        current = ui.input(_('Current password'), password=True, password_toggle_button=True) \
            .props('outlined autocomplete=current-password').classes('w-full').mark('current-password')
        new = ui.input(_('New password'), password=True, password_toggle_button=True) \
            .props('outlined autocomplete=new-password').classes('w-full').mark('new-password')
        ui.label(_('At least 10 characters; not your email or a common password.')).classes('text-xs text-gray-500 -mt-2')
        repeat = ui.input(_('Repeat the new password'), password=True) \
            .props('outlined autocomplete=new-password').classes('w-full').mark('repeat-password')
        ui.label(_('Changing the password signs you out on every other device.')).classes('text-sm text-gray-600')
        error = _error_label('password-error')
        fields = {'current_password': current, 'new_password': new}

        async def submit() -> None:
            _clear(fields | {'repeat': repeat}, error)
            if new.value != repeat.value:
                repeat.error = error_message('passwords_differ')
                return
            button.props('loading')
            try:
                ended = await in_db(profile.change_password, user.user_id, current_password=current.value,
                                    new_password=new.value, keep_token_hash=user.token_hash)
            except AccountError as e:
                _show_error(e, fields, error)
                return
            finally:
                button.props(remove='loading')
            if ended is None:
                return
            for element in (current, new, repeat):
                element.value = ''
            ui.notify(_('Password changed. Other sessions signed out: {count}.', count=ended), type='positive')
            ui.navigate.to('/profile')  # the sessions list below changes

        button = ui.button(_('Change password'), on_click=submit).mark('password-submit')


def _sessions_section(user: SessionUser, rows: list[SessionRow]) -> None:
    with _section(_('Active sessions'), 'devices', 'sessions-section'):
        for row in rows:
            with ui.row().classes('w-full items-start justify-between gap-2 py-1 border-b border-gray-200 '
                                  'dark:border-gray-700').mark('session-row'):
                with ui.column().classes('gap-0 min-w-0 flex-1'):
                    ui.label(row.user_agent or _('Unknown device')).classes('text-sm break-all line-clamp-2')
                    ui.label(_('Signed in {created} · last active {seen} · IP {ip}',
                               created=format_time(row.created_at, user), seen=format_time(row.last_seen_at, user),
                               ip=row.ip or '—')).classes('text-xs text-gray-500')
                if row.token_hash == user.token_hash:
                    ui.badge(_('This device'), color='positive').mark('this-session')
        others = sum(1 for r in rows if r.token_hash != user.token_hash)

        async def sign_out_others() -> None:
            button.props('loading')
            try:
                ended = await in_db(profile.sign_out_other_sessions, user.user_id, keep_token_hash=user.token_hash)
            finally:
                button.props(remove='loading')
            if ended is None:
                return
            ui.notify(_('Other sessions signed out: {count}.', count=ended), type='positive')
            ui.navigate.to('/profile')

        button = ui.button(_('Sign out everywhere else'), icon='logout', on_click=sign_out_others) \
            .props('outline').mark('sign-out-others')
        if not others:
            button.disable()
            ui.label(_('You are signed in on this device only.')).classes('text-sm text-gray-600') \
                .mark('only-session')


def _data_section(user: SessionUser, ip: str | None) -> None:
    with _section(_('Your data'), 'download', 'data-section'):
        ui.label(_('Download everything MineGNK keeps about you (profile, nodes with earnings history, requests '
                   'and activity) as a JSON file.')).classes('text-sm text-gray-600')

        async def export() -> None:
            export_button.props('loading')

            def collect() -> bytes:
                with session_scope() as db:
                    return json.dumps(profile.export_data(db, user.user_id), ensure_ascii=False, indent=2).encode()
            try:
                data = await run.io_bound(collect)
            finally:
                export_button.props(remove='loading')
            if data is not None:
                ui.download.content(data, 'minegnk-my-data.json', 'application/json')

        export_button = ui.button(_('Export my data'), icon='download', on_click=export).mark('export-data')
        ui.separator()
        ui.label(_('Delete account')).classes('text-base font-semibold text-negative')
        ui.label(_('Your account, settings and sessions are deleted. Your requests are kept without your name for '
                   "support's records. This cannot be undone.")).classes('text-sm text-gray-600')
        ui.button(_('Delete my account'), icon='delete_forever', on_click=lambda: _delete_dialog(user, ip)) \
            .props('color=negative outline').mark('delete-account')


async def _delete_dialog(user: SessionUser, ip: str | None) -> None:
    with context.client.content, ui.dialog() as dialog, ui.card().classes('w-full max-w-md gap-3'):
        ui.label(_('Delete your account?')).classes('text-lg font-semibold')
        ui.label(_('Enter your password to confirm. This cannot be undone.')).classes('text-sm text-gray-600')
        password = ui.input(_('Password'), password=True).props('outlined autocomplete=current-password') \
            .classes('w-full').mark('delete-password')
        error = _error_label('delete-error')
        with ui.row().classes('w-full justify-end gap-2'):
            ui.button(_('Keep my account'), on_click=dialog.close).props('flat').mark('delete-keep')

            async def confirm() -> None:
                _clear({'password': password}, error)
                button.props('loading')
                try:  # True once done; None only while the app shuts down
                    done = await in_db(
                        lambda db: profile.delete_account(db, user.user_id, password=password.value, ip=ip) or True)
                except AccountError as e:
                    _show_error(e, {'password': password}, error)
                    return
                finally:
                    button.props(remove='loading')
                if done:
                    app.storage.user.pop(auth.TOKEN_KEY, None)
                    ui.navigate.to(auth.LOGIN_PATH)

            button = ui.button(_('Delete for ever'), on_click=confirm).props('color=negative').mark('delete-confirm')
    dialog.open()
