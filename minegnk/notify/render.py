"""Notifications as text in the reader's language: one function used by the notification centre and every channel.

Notifications are stored as ``kind`` + JSON ``params``; the words are made here, when they are shown or sent, so a
user who switches language sees the new language everywhere.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime
from babel.numbers import format_decimal

from minegnk import i18n
from minegnk.i18n.reasons import describe_reason
from minegnk.services.units import ngonka_to_gnk


def N_(message: str) -> str:  # noqa: N802 - the gettext marker the extractor looks for
    return message


STATUS_LABELS = {'healthy': N_('Healthy'), 'unhealthy': N_('Unhealthy'), 'jailed': N_('Jailed'),
                 'offline': N_('Offline'), 'inactive': N_('Inactive'), 'unknown': N_('Unknown')}
# Inside a sentence ("… recovered; it was jailed.") the status is an ordinary word, not a label.
STATUS_WORDS = {'healthy': N_('healthy'), 'unhealthy': N_('unhealthy'), 'jailed': N_('jailed'),
                'offline': N_('offline'), 'inactive': N_('inactive'), 'unknown': N_('unknown')}
# Titles are whole sentences per status, so each language can phrase and inflect them ("Нода {node} заблокирована"):
# a label spliced into "{node} is {status}" read "… is Jailed" and could not agree in Russian.
DOWN_TITLES = {'offline': N_('{node} is offline'), 'jailed': N_('{node} was jailed'),
               'unhealthy': N_('{node} is unhealthy'), 'inactive': N_('{node} is inactive'),
               'healthy': N_('{node} is healthy'), 'unknown': N_('{node}: status unknown')}
REQUEST_STATUS_LABELS = {'pending': N_('Pending'), 'in_progress': N_('In progress'), 'completed': N_('Completed'),
                         'rejected': N_('Rejected'), 'cancelled': N_('Cancelled')}
LOW_REWARD_CAUSES = {'jailed': N_('the node was jailed during the epoch'),
                     'missed_requests': N_('it missed too many requests (the missed-request test failed)'),
                     'inactive': N_('it was not in the active set for the epoch'),
                     'offline': N_('it was offline during the epoch')}


@dataclass(frozen=True)
class Rendered:
    title: str
    lines: tuple[str, ...] = ()
    link: str | None = None  # absolute when a base URL was given
    link_label: str = ''
    items: tuple[Rendered, ...] = field(default_factory=tuple)  # a summary's parts

    @property
    def text(self) -> str:
        """Plain text: title, body lines, link (email text part, Telegram, Discord)."""
        parts = [self.title, '', *self.lines]
        for item in self.items:
            parts.append(f'• {item.title}')
            parts.extend(f'  {line}' for line in item.lines)
        if self.link:
            parts += ['', f'{self.link_label}: {self.link}' if self.link_label else self.link]
        return '\n'.join(parts).strip()

    @property
    def html(self) -> str:
        """A small HTML body with every value escaped (user content such as support comments included)."""
        out = [f'<h2 style="font-family:sans-serif">{html.escape(self.title)}</h2>']
        out += [f'<p style="font-family:sans-serif">{html.escape(line)}</p>' for line in self.lines]
        if self.items:
            out.append('<ul style="font-family:sans-serif">')
            for item in self.items:
                body = ''.join(f'<br>{html.escape(line)}' for line in item.lines)
                out.append(f'<li><b>{html.escape(item.title)}</b>{body}</li>')
            out.append('</ul>')
        if self.link:
            out.append(f'<p style="font-family:sans-serif"><a href="{html.escape(self.link, quote=True)}">'
                       f'{html.escape(self.link_label or self.link)}</a></p>')
        return '\n'.join(out)


def zone(name: str | None) -> tzinfo:
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return timezone.utc


def render(kind: str, params: dict[str, Any], language: str, *, tz: str | None = None, link: str | None = None,
           base_url: str | None = None) -> Rendered:
    """Title, body lines and link of one notification in ``language`` (times in ``tz``, default UTC)."""
    language = language if language in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE
    zone_info = zone(tz)
    p = params or {}

    def _(message: str, **values: object) -> str:
        return i18n.translate(language, message, **values)

    def number(value: Any, places: int = 2) -> str:
        if value is None:
            return '?'
        return format_decimal(Decimal(str(value)), format='#,##0.' + '#' * places if places else '#,##0',
                              locale=i18n.babel_locale(language))

    def gnk(ngonka: Any) -> str:
        return number(ngonka_to_gnk(int(ngonka or 0)), 2) + ' GNK'

    def when(value: str | None) -> str:
        if not value:
            return _('an unknown time')
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return format_datetime(moment, 'd MMM y, HH:mm', tzinfo=zone_info, locale=i18n.babel_locale(language)) \
            + f' ({getattr(zone_info, "key", "UTC")})'

    def status(value: Any) -> str:
        return _(STATUS_LABELS.get(str(value), STATUS_LABELS['unknown']))

    def status_word(value: Any) -> str:
        return _(STATUS_WORDS.get(str(value), STATUS_WORDS['unknown']))

    node = str(p.get('node') or '?')
    url = f'{base_url.rstrip("/")}{link}' if base_url and link and link.startswith('/') else link
    open_label = _('Open in MineGNK')

    if kind == 'node_down':
        lines = [_('{node} changed from {old} to {new}.', node=node, old=status_word(p.get('old')),
                   new=status_word(p.get('new')))]
        reasons = [reason_text(r, _, number, when) for r in p.get('reasons') or []]
        if reasons:
            lines.append(_('Why: {reasons}', reasons='; '.join(reasons)))
        title = DOWN_TITLES.get(str(p.get('new')), DOWN_TITLES['unknown'])
        return Rendered(_(title, node=node), tuple(lines), url, open_label)
    if kind == 'node_recovered':
        return Rendered(_('{node} is healthy again', node=node),
                        (_('{node} recovered; it was {old}.', node=node, old=status_word(p.get('old'))),), url,
                        open_label)
    if kind == 'node_flapping':
        return Rendered(_('{node} keeps changing state', node=node), (
            _('{node} changed state {count} times within {minutes} minutes. Further changes are summarised, not '
              'sent one by one, until it settles.', node=node, count=p.get('count'), minutes=p.get('minutes')),
            _('Now: {status}', status=status(p.get('status')))), url, open_label)
    if kind == 'network_incident':
        lines = []
        if p.get('share') is not None:
            lines.append(_('{share}% of the network is failing right now.', share=number(p.get('share'), 0)))
        lines.append(_('{count} of your {total} nodes are affected. You get this one notice instead of one alert '
                       'per node; nodes still down after the incident are reported one by one.',
                       count=p.get('count'), total=p.get('total')))
        return Rendered(_('Network-wide incident'), tuple(lines), url, open_label)
    if kind == 'network_incident_over':
        return Rendered(_('Network incident over'),
                        (_('Most nodes are back. Nodes that are still down are reported one by one.'),), url, open_label)
    if kind == 'low_reward':
        lines = [_('Epoch {epoch} settled at {amount}; this node usually earns about {median}.', epoch=p.get('epoch'),
                   amount=gnk(p.get('ngonka')), median=gnk(p.get('median_ngonka')))]
        if p.get('cause') in LOW_REWARD_CAUSES:
            lines.append(_('Likely reason: {reason}', reason=_(LOW_REWARD_CAUSES[p['cause']])))
        return Rendered(_('Low reward for {node}', node=node), tuple(lines), url, open_label)
    if kind == 'unclaimed_reward':
        return Rendered(_('Reward of {node} not claimed yet', node=node), (
            _('The reward of epoch {epoch} ({amount}) is still unclaimed. The claim window closes in about {minutes} '
              'minutes; an unclaimed reward is burned.', epoch=p.get('epoch'), amount=gnk(p.get('ngonka')),
              minutes=p.get('minutes')),), url, open_label)
    if kind == 'request_status':
        label = _(REQUEST_STATUS_LABELS.get(str(p.get('status')), N_('Pending')))
        lines = [_('Your request for {quantity} × {gpu} is now: {status}.', quantity=p.get('quantity') or '?',
                   gpu=p.get('gpu_type') or '?', status=label)]
        if p.get('reason'):
            lines.append(_('Reason: {reason}', reason=p['reason']))
        return Rendered(_('Request #{id}: {status}', id=p.get('id'), status=label), tuple(lines), url, open_label)
    if kind == 'request_comment':
        return Rendered(_('Support replied on request #{id}', id=p.get('id')), (str(p.get('body') or ''),), url,
                        open_label)
    if kind == 'node_assigned':
        return Rendered(_('Node {node} added to your account', node=node),
                        (_('Support assigned {address} to you; its status appears after the next refresh.',
                           address=p.get('address') or node),), url, open_label)
    if kind == 'node_unassigned':
        return Rendered(_('Node {node} removed from your account', node=node),
                        (_('{address} is no longer assigned to you.', address=p.get('address') or node),), url,
                        open_label)
    if kind == 'quiet_summary':
        items = tuple(render(i.get('kind', ''), i.get('params') or {}, language, tz=tz) for i in p.get('items') or [])
        return Rendered(_('While your quiet hours lasted: {count} notifications', count=len(items)), (), url,
                        open_label, items)
    if kind == 'daily_digest':
        lines = [_('{node}: {status}', node=n.get('node') or '?', status=status(n.get('status')))
                 for n in p.get('nodes') or []] or [_('No nodes on your account yet.')]
        lines.append(_('Settled in the last 24 hours: {amount}', amount=gnk(p.get('ngonka'))))
        lines.append(_('Open requests: {count}', count=p.get('open_requests', 0)))
        return Rendered(_('Daily summary for {date}', date=p.get('date') or ''), tuple(lines), url, open_label)
    if kind == 'telegram_linked':
        return Rendered(_('Telegram linked'), (_('MineGNK notifications for {email} will arrive in this chat.',
                                                 email=p.get('email') or ''),), url, open_label)
    if kind == 'password_reset':
        return Rendered(_('Reset your MineGNK password'), (
            _('Someone (hopefully you) asked to reset the password of this MineGNK account. The link works once '
              'and for 30 minutes.'),
            _('If it was not you, ignore this message; your password stays as it is.')), url,
            _('Choose a new password'))
    return Rendered(_('Notification'), (), url, open_label)


def reason_text(reason: dict[str, Any], _: Any, number: Any, when: Any) -> str:
    """Status reasons in plain words: the same texts the status badge shows (already translated)."""
    return describe_reason(reason, _, number, when)
