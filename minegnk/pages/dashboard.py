"""The customer's dashboard (``/``): summary cards, earnings chart, nodes needing attention first, the activity
feed and the network strip. Renders from our database only and refreshes in place after each background refresh."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, tzinfo
from typing import Any

from nicegui import run, ui
from sqlalchemy.exc import OperationalError

from minegnk.components import charts
from minegnk.components.amounts import amount, gnk_text
from minegnk.components.frame import frame
from minegnk.components.freshness import ago_text, datetime_text, learn_browser_timezone, page_timezone, stale_text
from minegnk.components.live_updates import on_data_changed, shared_load
from minegnk.components.locale import N_, _, _n
from minegnk.components.network_strip import network_strip
from minegnk.components.status_badge import node_name, reason_text, reasons_text, status_badge, status_label
from minegnk.db.engine import session_scope
from minegnk.services import dashboard as dash
from minegnk.services.sessions import SessionUser
from minegnk.web import auth

log = logging.getLogger(__name__)
OVERVIEW_ROWS = 10
FEED_PER_PAGE = 10
CONNECT_TIMEOUT_S = 30
FIRST_BYTE_BUDGET_S = 0.25
REDRAW_S = 300  # unchanged parts showing ages ("5 min ago") are still redrawn this often, so the ages stay true
REQUEST_STATUS_LABELS = {
    'pending': N_('pending'), 'in_progress': N_('in progress'), 'completed': N_('completed'),
    'rejected': N_('rejected'), 'cancelled': N_('cancelled'),
}


def load(user_id: int, tz: tzinfo) -> dash.LoadedDashboard:
    with session_scope() as db:
        return dash.load_dashboard(db, user_id, tz=tz)


def load_feed(user_id: int, page: int, current_epoch: int | None) -> dash.ActivityPage:
    with session_scope() as db:
        return dash.activity_page(db, user_id, page=page, per_page=FEED_PER_PAGE, current_epoch=current_epoch)


class DashboardPage:
    """One open dashboard. Its refreshable parts belong to this instance, so refreshing one page never touches
    another user's page."""

    def __init__(self, user: SessionUser, tz: tzinfo) -> None:
        self.user = user
        self.data: dash.LoadedDashboard | None = None  # None until loaded after the browser connects
        self.tz = tz
        self.days = 30
        self.bucket = 'day'
        self.mode = 'total'
        self.feed_page = 1
        self.feed_data: dash.ActivityPage | None = None
        self.unavailable = False  # the database failed while the shell was already shown
        self.feed_drawn_at = 0.0
        self.drawn_at = time.monotonic()  # of the cards and the overview

    async def reload(self, version: datetime | None = None) -> None:
        """New data after a refresh cycle (``version``: its finish time, shared with the user's other open tabs) or a
        change of nodes or requests. Only the parts whose content changed are rebuilt: with hundreds of open pages
        a refresh must not recreate every element of every page."""
        user_id, tz = self.user.user_id, self.tz
        try:
            new = await shared_load(('dashboard', user_id, str(tz)), version, lambda: load(user_id, tz))
        except OperationalError:
            log.warning('dashboard reload failed: database unreachable')
            return  # keep showing what we have; the next refresh tries again
        old, self.data = self.data, new
        if old is None or self.unavailable or bool(old.summaries) != bool(new.summaries):
            self.unavailable = False
            self.body.refresh()
        elif new.summaries:
            # ages ("rate as of 2 h ago") are redrawn every few minutes even when nothing else changed
            redraw = time.monotonic() - self.drawn_at > REDRAW_S
            if new.network != old.network:
                self.strip.refresh()
            if redraw or (new.cards, rates_inputs(new)) != (old.cards, rates_inputs(old)):
                self.cards.refresh()
            if chart_inputs(new) != chart_inputs(old):
                self.chart.refresh()
            if redraw or (overview_inputs(new), rates_inputs(new)) != (overview_inputs(old), rates_inputs(old)):
                self.overview.refresh()
            if redraw:
                self.drawn_at = time.monotonic()
        else:
            self.strip.refresh()
        await self.refresh_feed(version)

    async def refresh_feed(self, version: datetime | None = None) -> None:
        user_id, page, epoch = self.user.user_id, self.feed_page, self.data.network.epoch_id
        try:
            data = await shared_load(('feed', user_id, page, epoch), version, lambda: load_feed(user_id, page, epoch))
        except OperationalError:
            if self.feed_data is None:
                raise  # nothing shown yet: the page says the database is unavailable
            log.warning('activity feed reload failed: database unreachable')
            if version is None:  # the customer asked (another page of the feed): say why nothing changed
                ui.notify(_('The portal cannot reach its database right now. Please try again in a minute.'),
                          type='warning')
            return  # keep showing the last feed; the next refresh tries again
        stale_times = time.monotonic() - self.feed_drawn_at > REDRAW_S  # "5 min ago" must not freeze
        if data != self.feed_data or stale_times:
            self.feed_data = data
            self.feed.refresh()
            self.feed_drawn_at = time.monotonic()

    def timezone_changed(self, tz: tzinfo) -> None:
        self.tz = tz

        async def redraw() -> None:
            self.data = None  # days, months and times all move: draw everything anew
            await self.reload()
        ui.timer(0, redraw, once=True)

    @ui.refreshable_method
    def body(self) -> None:
        if self.unavailable:
            with ui.row().classes('w-full items-center gap-2 text-amber-700').mark('dashboard-unavailable'):
                ui.icon('cloud_off')
                ui.label(_('The portal cannot reach its database right now. Please try again in a minute.'))
            return
        if self.data is None:
            loading_shell()
        else:
            self.strip()
            if not self.data.summaries:
                empty_state()
            else:
                self.cards()
                self.earnings_chart()
                self.overview()
        with ui.card().classes('w-full').props('flat bordered').mark('activity'):
            ui.label(_('Recent activity')).classes('text-lg font-semibold')
            self.feed()

    @ui.refreshable_method
    def strip(self) -> None:
        network_strip(self.data.network, self.tz)

    @ui.refreshable_method
    def cards(self) -> None:
        c = self.data.cards
        currency = self.user.currency
        with ui.element('div').classes('grid w-full gap-3 grid-cols-1 sm:grid-cols-2 lg:grid-cols-4'):
            with _card('/nodes?status=healthy', 'card-nodes'):
                ui.label(_('Nodes')).classes('text-sm text-gray-500')
                ui.label(_('{healthy} of {total} healthy', healthy=c.healthy_nodes, total=c.total_nodes)) \
                    .classes('text-2xl font-semibold').mark('card-nodes-value')
                if c.attention_nodes:
                    ui.link(_n('{n} needs attention', '{n} need attention', c.attention_nodes),
                            '/nodes?status=attention').classes('text-sm text-negative').mark('card-attention')
                else:
                    ui.label(_('nothing needs attention')).classes('text-sm text-positive')
            with _card('/nodes?sort=gpu', 'card-gpus'):
                ui.label(_('GPUs')).classes('text-sm text-gray-500')
                ui.label(str(c.total_gpus)).classes('text-2xl font-semibold').mark('card-gpus-value')
                if c.nodes_without_gpu_info:
                    ui.label(_n('{n} node without GPU details', '{n} nodes without GPU details',
                                c.nodes_without_gpu_info)).classes('text-sm text-gray-500')
            with _card('/nodes?sort=per_day&desc=1', 'card-earnings'):
                ui.label(_('Earnings, last 30 days')).classes('text-sm text-gray-500')
                with ui.element('div').mark('card-earnings-30d'):
                    amount(c.earnings_30d_ngonka, currency, self.data.rates, tz=self.tz, big=True)
                ui.label(_('This month')).classes('text-sm text-gray-500 pt-1')
                with ui.element('div').mark('card-earnings-month'):
                    amount(c.earnings_month_ngonka, currency, self.data.rates, tz=self.tz)
            with _card('/requests', 'card-requests'):
                ui.label(_('Open requests')).classes('text-sm text-gray-500')
                ui.label(str(c.open_requests)).classes('text-2xl font-semibold').mark('card-requests-value')
                ui.label(_('pending or in progress')).classes('text-sm text-gray-500')

    def names(self) -> dict[int, str]:
        return {s.node_id: node_name(s.label, s.address) for s in self.data.summaries}

    def earnings_chart(self) -> None:
        with ui.card().classes('w-full').props('flat bordered').mark('earnings'):
            with ui.row().classes('w-full items-center gap-2'):
                ui.label(_('Earnings')).classes('text-lg font-semibold')
                ui.space()
                ui.toggle({'day': _('Per day'), 'week': _('Per week')}, value=self.bucket,
                          on_change=lambda e: self.set_chart(bucket=e.value)).props('dense no-caps') \
                    .mark('chart-bucket')
                ui.toggle({30: _('30 days'), 90: _('90 days')}, value=self.days,
                          on_change=lambda e: self.set_chart(days=e.value)).props('dense no-caps').mark('chart-days')
                ui.select({'total': _('Total'), 'stack': _('Stacked by node'), 'group': _('Side by side by node')},
                          value=self.mode, on_change=lambda e: self.set_chart(mode=e.value)) \
                    .props('dense outlined options-dense').classes('w-48').mark('chart-mode')
            self.chart()

    def set_chart(self, **changes: Any) -> None:
        for key, value in changes.items():
            setattr(self, key, value)
        self.chart.refresh()

    def series(self) -> dash.EarningsSeries:
        return dash.earnings_series(self.data.earning_rows, node_ids=[s.node_id for s in self.data.summaries],
                                    estimates=dash.current_estimates(self.data.summaries), days=self.days,
                                    bucket=self.bucket, tz=self.tz)

    @ui.refreshable_method
    def chart(self) -> None:
        series = self.series()
        charts.plotly(charts.earnings_figure(series, mode=self.mode, names=self.names()), marker='earnings-chart')
        with ui.row().classes('w-full gap-x-6 gap-y-1 text-sm text-gray-600 dark:text-gray-400'):
            ui.label(_('Settled in this period: {amount}', amount=gnk_text(series.settled_sum, 2))) \
                .mark('chart-settled-sum')
            if series.estimate_sum:
                with ui.row().classes('items-center gap-1'):
                    ui.label(_('Current epoch so far (estimate): ≈ {amount}', amount=gnk_text(series.estimate_sum, 2))) \
                        .mark('chart-estimate-sum')
                    ui.icon('info', size='xs')
                    ui.tooltip(_('An estimate from this epoch\'s weights and the fixed epoch reward, plus work coins '
                                 'earned so far. The settled amount replaces it when the epoch ends.'))

    @ui.refreshable_method
    def overview(self) -> None:
        summaries = self.data.summaries
        currency = self.user.currency
        with ui.card().classes('w-full').props('flat bordered').mark('overview'):
            with ui.row().classes('w-full items-center'):
                ui.label(_('Your nodes')).classes('text-lg font-semibold')
                ui.space()
                ui.link(_('All {n} nodes', n=len(summaries)), '/nodes').mark('overview-all')
            with ui.column().classes('w-full gap-0'):
                for s in summaries[:OVERVIEW_ROWS]:
                    problem = s.needs_attention
                    with ui.row().classes('w-full items-center gap-x-3 gap-y-1 py-2 px-1 border-b border-gray-200 '
                                          'dark:border-gray-700 ' + ('bg-red-50 dark:bg-red-950' if problem else '')) \
                            .mark('overview-row'):
                        with ui.element('div').classes('w-24 shrink-0'):
                            status_badge(s.status, s.reasons, tz=self.tz)
                        with ui.column().classes('gap-0 min-w-0 flex-1'):
                            ui.link(node_name(s.label, s.address), f'/nodes/{s.address}') \
                                .classes('font-medium truncate block max-w-full').mark('overview-link')
                            if s.reasons:
                                ui.label(reason_text(s.reasons[0], self.tz)) \
                                    .classes('text-xs text-gray-600 dark:text-gray-400 break-words')
                            elif s.stale:
                                ui.label(stale_text(s.stale_reason, s.data_as_of, self.tz)) \
                                    .classes('text-xs text-amber-700 break-words')
                        with ui.column().classes('gap-0 items-end shrink-0'):
                            ui.label(_('per day')).classes('text-xs text-gray-500')
                            amount(s.per_day_ngonka, currency, self.data.rates, tz=self.tz)
                if len(summaries) > OVERVIEW_ROWS:
                    ui.link(_('Show all {n} nodes', n=len(summaries)), '/nodes').classes('pt-2')

    @ui.refreshable_method
    def feed(self) -> None:
        page = self.feed_data
        if page is None:
            with ui.row().classes('items-center gap-2 text-gray-500').mark('feed-loading'):
                ui.spinner(size='sm')
                ui.label(_('Loading activity…'))
            return
        if not page.items:
            ui.label(_('Nothing has happened yet.')).classes('text-gray-500').mark('feed-empty')
            return
        with ui.column().classes('w-full gap-0').mark('feed'):
            for item in page.items:
                icon, color, text, detail = describe(item, self.tz)
                with ui.row().classes('w-full items-start gap-3 py-2 border-b border-gray-100 dark:border-gray-800 '
                                      'no-wrap').mark('feed-item'):
                    ui.icon(icon).classes(f'text-xl {color} shrink-0')
                    with ui.column().classes('gap-0 min-w-0 flex-1'):
                        if item.address:
                            ui.link(text, f'/nodes/{item.address}').classes('break-words').mark('feed-text')
                        else:
                            ui.label(text).classes('break-words').mark('feed-text')
                        if detail:
                            ui.label(detail).classes('text-xs text-gray-600 dark:text-gray-400 break-words')
                    label = ui.label(ago_text(item.at)).classes('text-xs text-gray-500 whitespace-nowrap shrink-0')
                    with label:
                        ui.tooltip(datetime_text(item.at, self.tz))
        if page.pages > 1:
            async def go(e: Any) -> None:
                self.feed_page = int(e.value)
                await self.refresh_feed()
            ui.pagination(1, page.pages, direction_links=True, value=page.page, on_change=go) \
                .props('max-pages=5 boundary-numbers').mark('feed-pages')


def register() -> None:
    @auth.protected_page('/')
    async def dashboard(user: SessionUser) -> None:
        tz = page_timezone(user)
        view = DashboardPage(user, tz)
        # Data that is ready within the budget goes out with the page (one render in the browser: measured faster
        # to a drawn chart than a shell filled over the websocket); slower data must not hold up the first byte,
        # so then the page goes out as a shell with placeholders and the data follows once the browser connects.
        loading = asyncio.ensure_future(run.io_bound(load, user.user_id, tz))
        try:
            view.data = await asyncio.wait_for(asyncio.shield(loading), FIRST_BYTE_BUDGET_S)
        except (TimeoutError, asyncio.TimeoutError):
            pass
        with frame(_('Dashboard'), user):
            ui.label(_('Dashboard')).classes('text-2xl font-semibold').mark('page-title')
            view.body()
        on_data_changed(user.user_id, view.reload, with_version=True)
        ui.timer(0.1, lambda: learn_browser_timezone(user, view.tz, view.timezone_changed), once=True)
        try:
            await ui.context.client.connected(timeout=CONNECT_TIMEOUT_S)
        except (TimeoutError, asyncio.TimeoutError):
            return  # the browser never connected: nobody to show the data to
        try:
            if view.data is None:
                view.data = await loading
                view.body.refresh()
            await view.refresh_feed()  # the feed after the rest, so the cards and chart are not held up
        except OperationalError:
            # The page is already out, so the error page can't replace it: say so in place of the placeholders.
            log.warning('dashboard data failed to load: database unreachable')
            view.unavailable = True
            view.body.refresh()


def chart_inputs(data: dash.LoadedDashboard) -> tuple:
    return (data.earning_rows, dash.current_estimates(data.summaries),
            [(s.node_id, s.label, s.address) for s in data.summaries])


def rates_inputs(data: dash.LoadedDashboard) -> tuple:
    """The rates as shown in amounts, without their age (which moves on every load)."""
    return tuple((r.rate, r.source, r.as_of) if r else None for r in (data.rates.gnk_usd, data.rates.usd_eur))


def overview_inputs(data: dash.LoadedDashboard) -> list[tuple]:
    """What the node overview shows (not the per-cycle fetch times, which would rebuild it every refresh)."""
    return [(s.node_id, s.label, s.address, s.status, s.reasons, s.stale, s.stale_reason, s.per_day_ngonka)
            for s in data.summaries[:OVERVIEW_ROWS]] + [len(data.summaries)]


def loading_shell() -> None:
    """Placeholders in the layout of the loaded page, so nothing jumps when the data arrives."""
    with ui.column().classes('w-full gap-4').mark('dashboard-loading'):
        ui.skeleton('rect', height='2.5rem', animation='none').classes('w-full')
        with ui.element('div').classes('grid w-full gap-3 grid-cols-1 sm:grid-cols-2 lg:grid-cols-4'):
            for _card_slot in range(4):
                ui.skeleton('rect', height='7rem', animation='none').classes('w-full')
        with ui.card().classes('w-full').props('flat bordered'):
            with ui.row().classes('items-center gap-2 text-gray-500'):
                ui.spinner(size='sm')
                ui.label(_('Loading your nodes and earnings…'))
            ui.skeleton('rect', height='18rem', animation='none').classes('w-full')


def empty_state() -> None:
    with ui.card().classes('w-full items-center text-center gap-2 py-8').mark('empty-state'):
        ui.icon('dns').classes('text-5xl text-primary')
        ui.label(_('Welcome to MineGNK')).classes('text-xl font-semibold')
        ui.label(_('MineGNK shows the status and earnings of your Gonka nodes in one place. '
                   'Once support assigns nodes to your account, they appear here.')).classes('text-gray-600 max-w-lg')
        ui.label(_('MineGNK rents GPU servers that run as hosts on the Gonka network and watches them for you: '
                   'health, jail and missed-request checks, and every epoch\'s reward.')).classes('text-gray-600 max-w-lg')
        ui.button(_('Request a node'), icon='add', on_click=lambda: ui.navigate.to('/requests/new')) \
            .mark('request-node')


def _card(target: str, marker: str) -> ui.card:
    link = ui.link(target=target).classes('no-underline text-inherit min-w-0').mark(f'{marker}-link')
    with link:
        card = ui.card().classes('w-full h-full p-4 gap-1 hover:shadow-md cursor-pointer').props('flat bordered') \
            .mark(marker)
    return card


def describe(item: dash.ActivityItem, tz: tzinfo | None) -> tuple[str, str, str, str]:
    """(icon, colour class, text, detail) of one feed item, in plain words."""
    name = node_name(item.label, item.address) if item.address else ''
    p = item.params
    if item.kind == 'status_change':
        bad = p['to'] in dash.ATTENTION_STATUSES
        return ('trending_down' if bad else 'trending_up', 'text-negative' if bad else 'text-positive',
                _('{node}: {before} → {after}', node=name, before=status_label(p['from']), after=status_label(p['to'])),
                reasons_text(p.get('reasons') or [], tz))
    if item.kind == 'epoch_settled':
        return ('paid', 'text-positive',
                _n('Epoch {epoch} settled: {amount} for {n} node', 'Epoch {epoch} settled: {amount} for {n} nodes',
                   p['nodes'], epoch=p['epoch'], amount=gnk_text(p['ngonka'], 2)), '')
    if item.kind == 'reward_unclaimed':
        return ('hourglass_bottom', 'text-warning',
                _('{node}: the reward of epoch {epoch} ({amount}) is not claimed yet', node=name, epoch=p['epoch'],
                  amount=gnk_text(p['ngonka'], 2)),
                _('An epoch\'s reward burns if it is not claimed before the next epoch ends.'))
    if item.kind == 'reward_burned':
        return ('local_fire_department', 'text-negative',
                _('{node}: the reward of epoch {epoch} ({amount}) was not claimed in time and burned', node=name,
                  epoch=p['epoch'], amount=gnk_text(p['ngonka'], 2)), '')
    if item.kind == 'request_status':
        after = _(REQUEST_STATUS_LABELS.get(p.get('to') or '', 'pending'))
        if p.get('from'):
            text = _('Request #{id}: {before} → {after}', id=p['request_id'],
                     before=_(REQUEST_STATUS_LABELS.get(p['from'], 'pending')), after=after)
        else:
            text = _('Request #{id} created ({status})', id=p['request_id'], status=after)
        detail = f'{p["quantity"]} × {p["gpu_type"]}' if p.get('gpu_type') and p.get('quantity') else ''
        return ('support_agent', 'text-primary', text, detail)
    if item.kind == 'node_assigned':
        return ('add_circle', 'text-positive', _('Support added node {node} to your account', node=name), '')
    if item.kind == 'node_unassigned':
        return ('remove_circle', 'text-gray-500', _('Support removed node {node} from your account', node=name), '')
    return ('info', 'text-gray-500', item.kind, '')

