"""Times in the user's timezone, "… ago" texts and the data-freshness stamp ("updated 40 s ago from tracker")."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_datetime, format_timedelta
from nicegui import app, ui

from minegnk import i18n
from minegnk.components.locale import N_, _, current_language
from minegnk.db.models import utcnow
from minegnk.i18n.reasons import describe_stale
from minegnk.services.sessions import SessionUser
from minegnk.services.staleness import stale_causes

log = logging.getLogger(__name__)

BROWSER_TZ_KEY = 'browser_timezone'
SOURCE_LABELS = {'tracker': N_('tracker'), 'node_api': N_('network nodes')}
UNKNOWN_SOURCE = N_('unknown source')


def _locale():
    return i18n.babel_locale(current_language())


def zone(name: str | None) -> tzinfo | None:
    if not name or len(name) > 64:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def page_timezone(user: SessionUser | None) -> tzinfo:
    """The profile's timezone, else the one this browser reported earlier, else UTC."""
    if user is not None and (tz := zone(user.timezone)):
        return tz
    try:
        remembered = app.storage.user.get(BROWSER_TZ_KEY)
    except RuntimeError:
        remembered = None
    return zone(remembered) or timezone.utc


async def learn_browser_timezone(user: SessionUser | None, current: tzinfo,
                                 on_change: Callable[[tzinfo], None]) -> None:
    """Without a profile timezone, ask the browser once it is connected; call ``on_change`` if it differs from
    what the page was drawn with. No answer in time (or any failure) leaves the page in the zone it has."""
    if user is not None and zone(user.timezone):
        return
    try:
        await ui.context.client.connected(timeout=10)
        name = await ui.run_javascript('Intl.DateTimeFormat().resolvedOptions().timeZone', timeout=3)
    except (TimeoutError, asyncio.TimeoutError, RuntimeError):
        return
    tz = zone(name if isinstance(name, str) else None)
    if tz is None:
        return
    if app.storage.user.get(BROWSER_TZ_KEY) != name:
        app.storage.user[BROWSER_TZ_KEY] = name
    if _zone_name(current) != name:
        on_change(tz)


def _zone_name(tz: tzinfo) -> str:
    return getattr(tz, 'key', None) or ('UTC' if tz is timezone.utc else str(tz))


def datetime_text(value: datetime | None, tz: tzinfo | None = None, fmt: str = 'medium') -> str:
    if value is None:
        return '—'
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return format_datetime(value, 'short' if fmt == 'short' else 'medium', tzinfo=tz or timezone.utc, locale=_locale())


def date_text(value: date, fmt: str = 'medium') -> str:
    return format_date(value, fmt, locale=_locale())


def duration_text(delta: timedelta) -> str:
    return format_timedelta(delta, threshold=1.5, format='short', locale=_locale())


def ago_text(then: datetime | None, now: datetime | None = None) -> str:
    if then is None:
        return '—'
    delta = (now or utcnow()) - then
    if delta < timedelta(seconds=1):
        delta = timedelta(seconds=1)
    return format_timedelta(-delta, add_direction=True, format='short', threshold=1.5, locale=_locale())


def source_label(source: str | None) -> str:
    return _(SOURCE_LABELS.get(source or '', UNKNOWN_SOURCE))


def stale_text(reason: str | None, shown_from: datetime | None = None, tz: tzinfo | None = None) -> str:
    """A stored stale reason (technical, for admins and logs) in plain words for customers."""
    return describe_stale(stale_causes(reason), _, datetime_text(shown_from, tz, 'short') if shown_from else None)


def freshness_stamp(taken_at: datetime | None, source: str | None, *, stale: bool, reason: str | None,
                    tz: tzinfo | None = None, now: datetime | None = None,
                    shown_from: datetime | None = None) -> ui.row:
    """"updated 40 s ago from tracker"; stale data in amber with the reason in plain words and the time of the data
    shown (``shown_from``, else ``taken_at``)."""
    with ui.row().classes('items-center gap-1 no-wrap text-sm').mark('freshness') as row:
        if taken_at is None:
            ui.icon('hourglass_empty', size='xs').classes('text-amber-700')
            ui.label(_('no data yet: the first refresh has not finished')).classes('text-amber-700')
            return row
        text = _('updated {ago} from {source}', ago=ago_text(taken_at, now), source=source_label(source))
        if stale:
            row.classes('text-amber-700 dark:text-amber-400').mark('freshness-stale')
            ui.icon('warning', size='xs')
            ui.label(text)
            ui.label('·')
            ui.label(stale_text(reason, shown_from or taken_at, tz)).classes('break-words').mark('freshness-reason')
        else:
            ui.icon('sync', size='xs').classes('text-gray-500')
            ui.label(text).classes('text-gray-600 dark:text-gray-400')
        ui.tooltip(datetime_text(taken_at, tz))
    return row
