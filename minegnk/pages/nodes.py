"""My nodes (``/nodes``: server-side sorted, filtered and paged table with its state in the URL, CSV export) and
node details (``/nodes/{address}``: Overview, Metrics, History, Jobs). Owner and admins only; anyone else gets the
same 404 as for a node that does not exist."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from nicegui import run, ui
from sqlalchemy.orm import Session

from minegnk.components import charts
from minegnk.components.amounts import amount, gnk_full_text, gnk_text, number_text, percent_text, rate_text
from minegnk.components.db_work import in_db
from minegnk.components.frame import frame
from minegnk.components.freshness import (ago_text, datetime_text, freshness_stamp, learn_browser_timezone,
                                          page_timezone, source_label, stale_text)
from minegnk.components.live_updates import on_data_changed
from minegnk.components.locale import N_, _
from minegnk.components.status_badge import (STATUS_COLORS, node_name, reason_text, reasons_text, short_address,
                                             status_badge, status_label)
from minegnk.db.engine import session_scope
from minegnk.db.models import utcnow
from minegnk.services import dashboard as dash
from minegnk.services import nodes as node_reads
from minegnk.services import rates as rate_service
from minegnk.services.nodes import NodeSummary
from minegnk.services.sessions import SessionUser
from minegnk.web import auth

PROBLEM_ROW_CSS = '.minegnk-problem-row{background:rgba(220,38,38,.08)}'
STATUS_FILTERS = {'': N_('All statuses'), 'attention': N_('Needs attention'), 'healthy': N_('Healthy'),
                  'unhealthy': N_('Unhealthy'), 'jailed': N_('Jailed'), 'offline': N_('Offline'),
                  'inactive': N_('Inactive'), 'unknown': N_('Unknown')}
TABS = ('overview', 'metrics', 'history', 'jobs')
EPOCH_CHART_MIN_SPAN = timedelta(minutes=10)  # a shorter span draws a seconds-wide axis that says nothing yet
PERIODS = {'24h': (timedelta(hours=24), N_('24 hours')), '7d': (timedelta(days=7), N_('7 days')),
           '30d': (timedelta(days=30), N_('30 days'))}


# ================================================================================================= My nodes
def load_list(db: Session, user_id: int) -> tuple[list[NodeSummary], rate_service.Rates]:
    return node_reads.user_nodes(db, user_id), rate_service.current_rates(db)


def node_href(address: str) -> str:
    return '/nodes/' + quote(address, safe='')


class NodesPage:
    """One open "My nodes" page: the query lives in the URL; only the current page of rows reaches the browser."""

    COLUMNS = ('name', 'status', 'gpu', 'models', 'weight_share', 'inferences', 'missed', 'per_day', 'total')

    def __init__(self, user: SessionUser, query: dash.NodeQuery, summaries: list[NodeSummary],
                 rates: rate_service.Rates, tz: tzinfo) -> None:
        self.user = user
        self.query = query
        self.summaries = summaries
        self.rates = rates
        self.tz = tz
        self.page = dash.filter_nodes(summaries, query)
        self.query = self.page.query
        self.table: ui.table | None = None
        self.gpu_select: ui.select | None = None
        self.count_label: ui.label | None = None

    # ------------------------------------------------------------------------------------------------ table
    def columns(self) -> list[dict]:
        names = {'name': _('Node'), 'status': _('Status'), 'gpu': _('GPU'), 'models': _('Models'),
                 'weight_share': _('Network share'), 'inferences': _('Inferences'), 'missed': _('Missed'),
                 'per_day': _('Per day'), 'total': _('Total earned')}
        right = {'weight_share', 'inferences', 'missed', 'per_day', 'total'}
        return [{'name': key, 'label': names[key], 'field': key, 'sortable': key != 'models',
                 'align': 'right' if key in right else 'left'} for key in self.COLUMNS]

    def row(self, s: NodeSummary) -> dict[str, Any]:
        """Fixed keys, text values: the template shows them with {{ }} (escaped), never as HTML."""
        currency = self.user.currency
        per_day_cur = rate_service.convert(s.per_day_ngonka, currency, self.rates) if s.per_day_ngonka is not None \
            and currency != 'GNK' else None
        total_cur = rate_service.convert(s.total_ngonka, currency, self.rates) if currency != 'GNK' else None
        from minegnk.components.amounts import money_text
        return {
            'id': s.node_id, 'address': s.address, 'href': node_href(s.address), 'name': node_name(s.label, s.address),
            'short': short_address(s.address) if s.label else '',
            'status': s.status, 'status_label': status_label(s.status), 'status_color': STATUS_COLORS.get(s.status, 'grey'),
            'reasons': reasons_text(s.reasons, self.tz) or (stale_text(s.stale_reason, s.fetched_at, self.tz)
                                                              if s.stale else ''),
            'problem': s.needs_attention,
            'gpu': f'{s.gpu_count} × {s.gpu_type}' if s.gpu_type and s.gpu_count else (s.gpu_type or '—'),
            'models': ', '.join(m.split('/')[-1] for m in s.models) or '—', 'models_full': '\n'.join(s.models),
            'weight_share': percent_text(s.weight_share, 2),
            'inferences': number_text(s.inference_count) if s.inference_count is not None else '—',
            'missed': (f'{number_text(s.missed_requests)} ({percent_text(s.missed_rate)})'
                       if s.missed_requests is not None and s.missed_rate is not None
                       else number_text(s.missed_requests) if s.missed_requests is not None else '—'),
            'per_day': gnk_text(s.per_day_ngonka, 2),
            'per_day_cur': money_text(per_day_cur.amount, currency) if per_day_cur else '',
            'total': gnk_text(s.total_ngonka, 2),
            'total_cur': money_text(total_cur.amount, currency) if total_cur else '',
        }

    def pagination(self) -> dict[str, Any]:
        q = self.query
        return {'page': q.page, 'rowsPerPage': q.per_page, 'sortBy': q.sort, 'descending': q.descending,
                'rowsNumber': self.page.total}

    def build_table(self) -> None:
        ui.add_css(PROBLEM_ROW_CSS)
        self.table = ui.table(columns=self.columns(), rows=[self.row(s) for s in self.page.rows], row_key='id',
                              pagination=self.pagination()) \
            .props('flat bordered').classes('w-full').mark('nodes-table')
        self.table._props['rows-per-page-options'] = list(dash.PER_PAGE_CHOICES)
        self.table._props['no-data-label'] = _('No nodes match these filters.')
        self.table._props['rows-per-page-label'] = _('Rows per page:')
        self.table.add_slot('body', r'''
<q-tr :props="props" :class="props.row.problem ? 'minegnk-problem-row' : ''">
  <q-td key="name" :props="props">
    <div class="row items-center no-wrap q-gutter-x-xs">
      <div style="min-width:0">
        <a :href="props.row.href" class="text-primary text-weight-medium">{{ props.row.name }}</a>
        <div v-if="props.row.short" class="text-caption text-grey-7" style="font-family:monospace">{{ props.row.short }}</div>
      </div>
      <q-btn flat dense round size="sm" icon="content_copy" @click.stop="$parent.$emit('copy', props.row.address)">
        <q-tooltip>{{ props.row.address }}</q-tooltip>
      </q-btn>
    </div>
  </q-td>
  <q-td key="status" :props="props">
    <q-badge rounded :color="props.row.status_color" :label="props.row.status_label">
      <q-tooltip v-if="props.row.reasons" max-width="20rem" class="text-body2">{{ props.row.reasons }}</q-tooltip>
    </q-badge>
  </q-td>
  <q-td key="gpu" :props="props">{{ props.row.gpu }}</q-td>
  <q-td key="models" :props="props">{{ props.row.models }}<q-tooltip v-if="props.row.models_full">{{ props.row.models_full }}</q-tooltip></q-td>
  <q-td key="weight_share" :props="props">{{ props.row.weight_share }}</q-td>
  <q-td key="inferences" :props="props">{{ props.row.inferences }}</q-td>
  <q-td key="missed" :props="props">{{ props.row.missed }}</q-td>
  <q-td key="per_day" :props="props">{{ props.row.per_day }}<div v-if="props.row.per_day_cur" class="text-caption text-grey-7">{{ props.row.per_day_cur }}</div></q-td>
  <q-td key="total" :props="props">{{ props.row.total }}<div v-if="props.row.total_cur" class="text-caption text-grey-7">{{ props.row.total_cur }}</div></q-td>
</q-tr>''')
        self.table.on('request', self.on_request)
        self.table.on('copy', self.on_copy)

    def on_copy(self, e: Any) -> None:
        address = str(e.args or '')
        if any(s.address == address for s in self.summaries):  # only addresses this page showed
            ui.clipboard.write(address)
            ui.notify(_('Address copied'), type='positive', position='bottom')

    def on_request(self, e: Any) -> None:
        p = (e.args or {}).get('pagination') or {}
        sort = p.get('sortBy') or 'status'
        try:
            per_page = int(p.get('rowsPerPage') or self.query.per_page)
            page = int(p.get('page') or 1)
        except (TypeError, ValueError):
            per_page, page = self.query.per_page, 1
        self.apply(replace(self.query, sort=sort if sort in dash.SORT_KEYS else 'status',
                           descending=bool(p.get('descending')), page=max(1, page),
                           per_page=per_page if per_page in dash.PER_PAGE_CHOICES else self.query.per_page))

    def apply(self, query: dash.NodeQuery, *, push_url: bool = True) -> None:
        self.page = dash.filter_nodes(self.summaries, query)
        self.query = self.page.query
        if self.table is not None:
            self.table.rows = [self.row(s) for s in self.page.rows]
            self.table.pagination = self.pagination()  # assign both, or the sort direction never changes
        if self.gpu_select is not None:
            self.gpu_select.set_options(self.gpu_options(), value=self.query.gpu)
        if self.count_label is not None:
            self.count_label.text = self.count_text()
        if push_url:
            params = self.query.to_params()
            ui.navigate.history.replace('/nodes' + ('?' + urlencode(params) if params else ''))

    def count_text(self) -> str:
        return _('{shown} of {total} nodes', shown=self.page.total, total=self.page.all_count)

    def gpu_options(self) -> dict[str, str]:
        options = {'': _('All GPUs')}
        options.update({g: g for g in self.page.gpu_types})
        if self.query.gpu and self.query.gpu not in options:
            options[self.query.gpu] = self.query.gpu
        return options

    # ------------------------------------------------------------------------------------------------ filters
    def build_filters(self) -> None:
        with ui.row().classes('w-full items-end gap-2'):
            ui.select({k: _(v) for k, v in STATUS_FILTERS.items()}, value=self.query.status, label=_('Status'),
                      on_change=lambda e: self.apply(replace(self.query, status=e.value or '', page=1))) \
                .props('dense outlined options-dense').classes('w-44').mark('filter-status')
            self.gpu_select = ui.select(self.gpu_options(), value=self.query.gpu, label=_('GPU'),
                                        on_change=lambda e: self.apply(replace(self.query, gpu=e.value or '', page=1))) \
                .props('dense outlined options-dense').classes('w-44').mark('filter-gpu')
            ui.input(_('Search address or label'), value=self.query.text,
                     on_change=lambda e: self.apply(replace(self.query, text=(e.value or '')[:100], page=1))) \
                .props('dense outlined clearable debounce=300').classes('w-64 max-w-full').mark('filter-text')
            ui.space()
            ui.button(_('Export CSV'), icon='download', on_click=self.export).props('outline no-caps') \
                .mark('export-csv')
        self.count_label = ui.label(self.count_text()).classes('text-sm text-gray-500').mark('nodes-count')

    def export(self) -> None:
        filtered = dash.filter_nodes(self.summaries, replace(self.query, page=1, per_page=10**6))
        data = csv_export(filtered.rows, self.user.currency, self.rates, self.tz)
        stamp = utcnow().astimezone(self.tz).strftime('%Y%m%d-%H%M')
        ui.download.content(data, f'minegnk-nodes-{stamp}.csv', 'text/csv')

    async def reload(self) -> None:
        self.summaries, self.rates = await in_db(load_list, self.user.user_id)
        self.apply(self.query, push_url=False)


def csv_export(summaries: list[NodeSummary], currency: str, rates: rate_service.Rates, tz: tzinfo) -> bytes:
    """The filtered nodes: GNK with all 9 decimals, the user's currency rounded to cents once, and the rate used."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    used = dash.rate_used(currency, rates) if currency != 'GNK' else None
    header = [_('Label'), _('Address'), _('Status'), _('Reasons'), _('GPU type'), _('GPU count'), _('Models'),
              _('Network share'), _('Inferences this epoch'), _('Missed this epoch'), _('Per day (GNK)'),
              _('Total earned (GNK)'), _('Settled epochs')]
    if currency != 'GNK':
        header += [_('Per day ({currency})', currency=currency), _('Total earned ({currency})', currency=currency),
                   _('Rate (1 GNK in {currency})', currency=currency), _('Rate source'), _('Rate as of (UTC)')]
    writer.writerow(header)
    for s in summaries:
        row = [dash.csv_safe(s.label), s.address, s.status, dash.csv_safe(reasons_text(s.reasons, tz)),
               dash.csv_safe(s.gpu_type), s.gpu_count if s.gpu_count is not None else '', ' '.join(s.models),
               format(s.weight_share, 'f') if s.weight_share is not None else '',
               s.inference_count if s.inference_count is not None else '',
               s.missed_requests if s.missed_requests is not None else '',
               dash.gnk_exact(s.per_day_ngonka) if s.per_day_ngonka is not None else '',
               dash.gnk_exact(s.total_ngonka), s.settled_epochs]
        if currency != 'GNK':
            if used is None:
                row += ['', '', '', _('no rate known'), '']
            else:
                per_day = dash.currency_amount(s.per_day_ngonka, currency, rates) if s.per_day_ngonka is not None else None
                row += ['' if per_day is None else format(per_day, 'f'),
                        format(dash.currency_amount(s.total_ngonka, currency, rates), 'f'),
                        format(used.rate, 'f'), used.source, used.as_of.isoformat() if used.as_of else '']
        writer.writerow(row)
    return ('\ufeff' + buffer.getvalue()).encode('utf-8')  # BOM: spreadsheets then read UTF-8 labels correctly


# ================================================================================================= node details
@dataclass(frozen=True)
class DetailData:
    detail: node_reads.NodeDetail
    network: node_reads.NetworkStatus
    rates: rate_service.Rates
    epoch_points: list[node_reads.StatusPoint]


def load_detail(db: Session, address: str, user_id: int, is_admin: bool) -> DetailData | None:
    detail = node_reads.node_detail(db, address, user_id=user_id, is_admin=is_admin)
    if detail is None:
        return None
    epoch = detail.view.get('epoch_id')
    points = node_reads.status_history(db, detail.summary.node_id, since=utcnow() - timedelta(days=3))
    points = [p for p in points if epoch is not None and p.epoch_id == epoch]
    return DetailData(detail, node_reads.network_status(db), rate_service.current_rates(db), points)


def load_uptimes(node_id: int) -> dict[str, Any]:
    now = utcnow()
    with session_scope() as db:
        points = node_reads.status_history(db, node_id, since=now - PERIODS['30d'][0])
    return {key: node_reads.uptime_share([p for p in points if p.observed_at >= now - delta])
            for key, (delta, _label) in PERIODS.items()}


class NodeDetailPage:
    def __init__(self, user: SessionUser, address: str, data: DetailData, tz: tzinfo, tab: str) -> None:
        self.user = user
        self.address = address
        self.data = data
        self.tz = tz
        self.tab = tab if tab in TABS else 'overview'
        self.period = '24h'
        self.history: list[node_reads.StatusPoint] | None = None
        self.uptimes: dict[str, Any] | None = None

    @property
    def s(self) -> NodeSummary:
        return self.data.detail.summary

    @property
    def view(self) -> dict[str, Any]:
        return self.data.detail.view

    async def reload(self) -> None:
        loaded = await in_db(lambda db: (load_detail(db, self.address, self.user.user_id, self.user.is_admin),))
        if loaded is None:  # the app is shutting down
            return
        data = loaded[0]
        if data is None:  # unassigned meanwhile: the page no longer belongs to this user
            ui.navigate.to('/nodes')
            return
        self.data = data
        self.header.refresh()
        self.overview.refresh()
        self.metrics.refresh()
        if self.history is not None:
            await self.load_history()

    async def load_history(self) -> None:
        self.history = await in_db(node_reads.status_history, self.s.node_id,
                                   since=utcnow() - PERIODS[self.period][0])
        self.uptimes = await run.io_bound(load_uptimes, self.s.node_id)
        self.history_panel.refresh()

    def timezone_changed(self, tz: tzinfo) -> None:
        self.tz = tz
        ui.timer(0, self.reload, once=True)

    async def on_tab(self, value: str) -> None:
        self.tab = value
        ui.navigate.history.replace(f'{node_href(self.address)}?tab={value}' if value != 'overview'
                                    else node_href(self.address))
        if value == 'history' and self.history is None:
            await self.load_history()

    # ------------------------------------------------------------------------------------------------ parts
    def build(self) -> None:
        ui.link(_('← My nodes'), '/nodes').classes('text-sm')
        self.header()
        with ui.tabs(value=self.tab, on_change=lambda e: self.on_tab(e.value)).classes('w-full') \
                .props('align=left outside-arrows mobile-arrows dense no-caps').mark('node-tabs') as tabs:
            for key, label in (('overview', _('Overview')), ('metrics', _('Metrics')), ('history', _('History')),
                               ('jobs', _('Jobs'))):
                ui.tab(key, label).mark(f'tab-{key}')
        with ui.tab_panels(tabs, value=self.tab).classes('w-full bg-transparent').props('keep-alive=false'):
            with ui.tab_panel('overview').classes('px-0'):
                self.overview()
            with ui.tab_panel('metrics').classes('px-0'):
                self.metrics()
            with ui.tab_panel('history').classes('px-0'):
                self.history_panel()
            with ui.tab_panel('jobs').classes('px-0'):
                self.jobs()

    @ui.refreshable_method
    def header(self) -> None:
        s = self.s
        with ui.row().classes('w-full items-center gap-3'):
            ui.label(node_name(s.label, s.address)).classes('text-2xl font-semibold break-all').mark('node-title')
            status_badge(s.status, s.reasons, tz=self.tz)
        with ui.row().classes('items-center gap-1 min-w-0 max-w-full'):
            ui.label(s.address).classes('font-mono text-sm text-gray-600 break-all').mark('node-address')
            ui.button(icon='content_copy', on_click=lambda: (ui.clipboard.write(s.address),
                                                             ui.notify(_('Address copied'), type='positive'))) \
                .props('flat dense round size=sm').tooltip(_('Copy address'))
        freshness_stamp(s.fetched_at, s.source, stale=s.stale, reason=s.stale_reason, tz=self.tz)

    def _fact(self, label: str, value: str, marker: str | None = None) -> None:
        with ui.column().classes('gap-0 min-w-0'):
            ui.label(label).classes('text-xs text-gray-500')
            # anywhere: a long URL or address wraps inside its grid cell instead of running into the next one
            element = ui.label(value or '—').style('overflow-wrap: anywhere')
            if marker:
                element.mark(marker)

    @ui.refreshable_method
    def overview(self) -> None:
        s, v = self.s, self.view
        currency = self.user.currency
        with ui.card().classes('w-full').props('flat bordered').mark('status-reasons'):
            ui.label(_('Status: {status}', status=status_label(s.status))).classes('text-lg font-semibold')
            if s.reasons:
                for reason in s.reasons:
                    with ui.row().classes('items-start gap-2 no-wrap'):
                        ui.icon('error_outline').classes('text-negative shrink-0')
                        ui.label(reason_text(reason, self.tz)).classes('break-words').mark('reason')
            elif s.status == 'healthy':
                ui.label(_('Everything the network checks is in order.')).classes('text-positive')
            for note in v.get('notes') or []:
                with ui.row().classes('items-start gap-2 no-wrap text-gray-600'):
                    ui.icon('info').classes('shrink-0')
                    ui.label(reason_text(note, self.tz)).classes('break-words').mark('note')
            if v.get('is_jailed'):
                until = v.get('jailed_until')
                ui.label(_('Jailed until {until}', until=datetime_text(datetime.fromisoformat(until), self.tz)
                           if until else '—')).mark('jail-until')
                ui.label(_('Ready to unjail: {answer}', answer=_('yes') if v.get('ready_to_unjail') else _('no')))
            elif v.get('is_jailed') is None and v:
                ui.label(_('Jail state: n/a')).classes('text-gray-500')
        with ui.element('div').classes('grid w-full gap-3 grid-cols-1 sm:grid-cols-3'):
            with ui.card().props('flat bordered').classes('gap-1'):
                ui.label(_('Earnings per day')).classes('text-xs text-gray-500')
                amount(s.per_day_ngonka, currency, self.data.rates, tz=self.tz, big=True)
            with ui.card().props('flat bordered').classes('gap-1'):
                ui.label(_('Total earned ({n} settled epochs)', n=s.settled_epochs)).classes('text-xs text-gray-500')
                amount(s.total_ngonka, currency, self.data.rates, tz=self.tz, big=True)
                ui.label(gnk_full_text(s.total_ngonka)).classes('text-xs text-gray-500').mark('total-exact')
            with ui.card().props('flat bordered').classes('gap-1'):
                ui.label(_('This epoch so far (estimate)')).classes('text-xs text-gray-500')
                amount((s.reward_estimate_ngonka or 0) + (s.epoch_work_ngonka or 0), currency, self.data.rates,
                       tz=self.tz, big=True, estimate=True)
        with ui.card().classes('w-full').props('flat bordered'):
            with ui.element('div').classes('grid w-full gap-3 grid-cols-1 sm:grid-cols-2 lg:grid-cols-3'):
                self._fact(_('GPU'), f'{s.gpu_count} × {s.gpu_type}' if s.gpu_type and s.gpu_count else (s.gpu_type or ''),
                           'fact-gpu')
                self._fact(_('Region'), s.region or '')
                self._fact(_('Gcore instance'), s.gcore_instance_id or '')
                self._fact(_('Inference URL'), v.get('inference_url') or '', 'fact-url')
                self._fact(_('Weight'), number_text(s.weight) if s.weight is not None else '')
                self._fact(_('Network share'), percent_text(s.weight_share, 3), 'fact-share')
                self._fact(_('Chain status'), str(v.get('chain_status') or ''))
                self._fact(_('Data source'), source_label(s.source) if s.source else '')
                self._fact(_('Data age'), ago_text(s.data_as_of) if s.data_as_of else '')
                self._fact(_('Assigned to you'), datetime_text(s.assigned_at, self.tz))
            ui.label(_('Models')).classes('text-xs text-gray-500 pt-2')
            with ui.row().classes('gap-1'):
                for model in s.models or []:
                    ui.chip(model).props('dense outline').classes('max-w-full')
                if not s.models:
                    ui.label('—')
        ml_nodes = v.get('ml_nodes') or []
        with ui.card().classes('w-full').props('flat bordered').mark('ml-nodes'):
            ui.label(_('ML nodes')).classes('text-lg font-semibold')
            if not ml_nodes:
                ui.label(_('No ML nodes reported.')).classes('text-gray-500')
            for ml in ml_nodes:
                with ui.row().classes('w-full items-center gap-x-4 gap-y-1 py-1 border-b border-gray-100 '
                                      'dark:border-gray-800'):
                    ui.label(str(ml.get('node_id') or '?')).classes('font-medium w-24')
                    state = ml.get('status')
                    bad = state in ('FAILED', 'STOPPED')
                    ui.badge(str(state or _('unknown')), color='negative' if bad else 'grey-7').props('outline')
                    ui.label(_('PoC weight {weight}', weight=number_text(ml['poc_weight']) if ml.get('poc_weight')
                               is not None else '—')).classes('text-sm')
                    hardware = ', '.join(f'{h.get("count")} × {h.get("type")}' for h in ml.get('hardware') or [])
                    ui.label(hardware or '—').classes('text-sm text-gray-600 break-words')
                    ui.label(', '.join(ml.get('models') or [])).classes('text-sm text-gray-600 break-all')

    @ui.refreshable_method
    def metrics(self) -> None:
        v = self.view
        counters = v.get('counters') or {}
        missed = v.get('missed_test') or {}
        invalid = v.get('invalidation_test') or {}
        with ui.element('div').classes('grid w-full gap-3 grid-cols-1 sm:grid-cols-2 lg:grid-cols-3').mark('metrics'):
            self._metric(_('Inferences this epoch'), number_text(counters.get('inference_count') or 0),
                         _('Epoch {epoch}', epoch=v.get('epoch_id') or '—'))
            self._metric(_('Missed requests'), _('{missed} of {total}', missed=number_text(missed.get('missed') or 0),
                                                 total=number_text(missed.get('total') or 0)),
                         _('allowed: up to {critical} missed (the network zeroes rewards above)',
                           critical=number_text(_allowed(missed['critical']))) if missed.get('critical') is not None
                         else _('too few requests to judge yet'),
                         bad=missed.get('passed') is False, marker='metric-missed')
            self._metric(_('Invalidated inferences'),
                         _('{missed} of {total}', missed=number_text(invalid.get('missed') or 0),
                           total=number_text(invalid.get('total') or 0)),
                         _('allowed: up to {critical}', critical=number_text(_allowed(invalid['critical'])))
                         if invalid.get('critical') is not None else _('too few validations to judge yet'),
                         bad=invalid.get('passed') is False)
            ratio = v.get('confirmation_poc_ratio')
            self._metric(_('Confirmation PoC ratio'), percent_text(_dec(ratio)) if ratio is not None else '—',
                         _('needs at least 50 %'), bad=ratio is not None and _dec(ratio) < _dec('0.5'))
            self._metric(_('Work coins this epoch'), gnk_text(counters.get('earned_coins') or 0, 4),
                         _('settle with the epoch'))
            self._metric(_('Validated inferences'), number_text(counters.get('validated_inferences') or 0), '')
        with ui.card().classes('w-full').props('flat bordered'):
            ui.label(_('This epoch, from our snapshots')).classes('text-lg font-semibold')
            points = self.data.epoch_points
            if len(points) < 2 or points[-1].observed_at - points[0].observed_at < EPOCH_CHART_MIN_SPAN:
                ui.label(_('The chart fills in as refreshes run during the epoch.')).classes('text-gray-500')
            else:
                charts.plotly(charts.epoch_counters_figure(self.data.epoch_points, self.tz), marker='epoch-chart',
                              height='h-64')

    def _metric(self, label: str, value: str, hint: str, *, bad: bool = False, marker: str | None = None) -> None:
        with ui.card().props('flat bordered').classes('gap-1' + (' border-red-400' if bad else '')):
            ui.label(label).classes('text-xs text-gray-500')
            element = ui.label(value).classes('text-xl font-semibold' + (' text-negative' if bad else ''))
            if marker:
                element.mark(marker)
            if hint:
                ui.label(hint).classes('text-xs text-gray-500')

    @ui.refreshable_method
    def history_panel(self) -> None:
        with ui.card().classes('w-full').props('flat bordered').mark('health-history'):
            with ui.row().classes('w-full items-center'):
                ui.label(_('Health timeline')).classes('text-lg font-semibold')
                ui.space()
                ui.toggle({k: _(label) for k, (_d, label) in PERIODS.items()}, value=self.period,
                          on_change=self.set_period).props('dense no-caps').mark('history-period')
            if self.history is None:
                with ui.row().classes('items-center gap-2 text-gray-500'):
                    ui.spinner(size='sm')
                    ui.label(_('Loading history…'))
            else:
                with ui.row().classes('gap-x-6 gap-y-1'):
                    for key, (_delta, label) in PERIODS.items():
                        share = (self.uptimes or {}).get(key)
                        ui.label(_('Uptime {period}: {share}', period=_(label), share=percent_text(share)
                                   if share is not None else _('no data'))).mark(f'uptime-{key}')
                now = utcnow()
                start = now - PERIODS[self.period][0]
                if not self.history:
                    ui.label(_('No observations in this period yet.')).classes('text-gray-500')
                else:
                    runs = dash.status_runs(self.history, until=now)
                    charts.plotly(charts.timeline_figure(runs, start=start, end=now, tz=self.tz),
                                  marker='timeline-chart', height='h-40')
                    periods = dash.uptime_by_period(self.history, tz=self.tz, hours=self.period == '24h')
                    ui.label(_('Uptime per hour') if self.period == '24h' else _('Uptime per day')) \
                        .classes('text-sm text-gray-500')
                    charts.plotly(charts.uptime_figure(periods, tz=self.tz, hourly=self.period == '24h',
                                                       start=start, end=now),
                                  marker='uptime-chart', height='h-40')
        rows = self.data.detail.earnings
        with ui.card().classes('w-full').props('flat bordered').mark('epoch-earnings'):
            ui.label(_('Earnings per epoch')).classes('text-lg font-semibold')
            if not rows:
                ui.label(_('No settled epochs yet.')).classes('text-gray-500')
                return
            charts.plotly(charts.epoch_earnings_figure(rows), marker='epoch-earnings-chart')
            columns = [
                {'name': 'epoch', 'label': _('Epoch'), 'field': 'epoch', 'align': 'left', 'sortable': True},
                {'name': 'reward', 'label': _('Reward coins (GNK)'), 'field': 'reward', 'align': 'right'},
                {'name': 'work', 'label': _('Work coins (GNK)'), 'field': 'work', 'align': 'right'},
                {'name': 'claimed', 'label': _('Claimed'), 'field': 'claimed', 'align': 'left'},
                {'name': 'inferences', 'label': _('Inferences'), 'field': 'inferences', 'align': 'right'},
                {'name': 'missed', 'label': _('Missed'), 'field': 'missed', 'align': 'right'},
                {'name': 'settled', 'label': _('Settled'), 'field': 'settled', 'align': 'left'},
            ]
            table_rows = [{'epoch': r.epoch_id, 'reward': gnk_full_text(r.reward_ngonka),
                           'work': gnk_full_text(r.work_ngonka),
                           'claimed': _('yes') if r.claimed else (_('burned') if r.burned else _('not yet')),
                           'inferences': number_text(r.inference_count), 'missed': number_text(r.missed_requests),
                           'settled': datetime_text(r.settled_at, self.tz, 'short')} for r in reversed(rows)]
            ui.table(columns=columns, rows=table_rows, row_key='epoch', pagination=10) \
                .props('flat dense').classes('w-full').mark('epochs-table')

    async def set_period(self, e: Any) -> None:
        self.period = e.value
        await self.load_history()

    def jobs(self) -> None:
        jobs = self.view.get('recent_jobs') or []
        with ui.card().classes('w-full').props('flat bordered').mark('jobs'):
            ui.label(_('Recent inference jobs')).classes('text-lg font-semibold')
            if not jobs:
                with ui.column().classes('items-center w-full py-6 text-center gap-1').mark('jobs-empty'):
                    ui.icon('work_history').classes('text-4xl text-gray-400')
                    ui.label(_('Recent jobs appear once the tracker reports them.')).classes('text-gray-600')
                return
            for job in jobs[:50]:
                with ui.column().classes('w-full gap-1 py-2 border-b border-gray-100 dark:border-gray-800') \
                        .mark('job'):
                    with ui.row().classes('items-center gap-3'):
                        label, colour = JOB_STATUSES.get(str(job.get('status')), (None, 'grey'))
                        ui.badge(_(label) if label else str(job.get('status') or '?'), color=colour) \
                            .props('outline').mark('job-status')
                        ui.label(str(job.get('model') or '—')).classes('font-medium break-all')
                        started = job.get('started_at')
                        ui.label(datetime_text(datetime.fromisoformat(started), self.tz) if isinstance(started, str)
                                 else '—').classes('text-sm text-gray-500')
                    ui.label(_('Tokens: {prompt} prompt, {completion} completion',
                               prompt=job.get('prompt_tokens', '—'), completion=job.get('completion_tokens', '—'))) \
                        .classes('text-sm')
                    if job.get('validated_by'):
                        ui.label(_('Validated by {who}', who=str(job['validated_by']))).classes('text-sm break-all')
                    for key, title in (('prompt', _('Prompt')), ('response', _('Response'))):
                        if job.get(key):
                            with ui.expansion(title).classes('w-full').props('dense'):
                                ui.label(str(job[key])).classes('whitespace-pre-wrap break-words font-mono text-xs')


# The chain's inference states (upstream-apis.md); an unknown one is shown as it came.
JOB_STATUSES = {'FINISHED': (N_('Finished'), 'positive'), 'VALIDATED': (N_('Validated'), 'positive'),
                'EXPIRED': (N_('Expired'), 'warning'), 'INVALIDATED': (N_('Invalidated'), 'negative'),
                'STARTED': (N_('Started'), 'info'), 'VOTING': (N_('Being validated'), 'info')}


def _allowed(critical: Any) -> Decimal:
    """Whole requests: the test passes while missed ≤ critical, so 549.8 allows 549."""
    return _dec(critical).to_integral_value(rounding=ROUND_FLOOR)


def _dec(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)


def register() -> None:
    @auth.protected_page('/nodes')
    async def my_nodes(request: Request, user: SessionUser) -> None:
        tz = page_timezone(user)
        summaries, rates = await in_db(load_list, user.user_id)
        view = NodesPage(user, dash.NodeQuery.from_params(dict(request.query_params)), summaries, rates, tz)
        with frame(_('My nodes'), user):
            ui.label(_('My nodes')).classes('text-2xl font-semibold').mark('page-title')
            if not summaries:
                with ui.card().classes('w-full items-center text-center gap-2 py-8').mark('nodes-empty'):
                    ui.label(_('You have no nodes yet.')).classes('text-lg')
                    ui.button(_('Request a node'), icon='add', on_click=lambda: ui.navigate.to('/requests/new')) \
                        .mark('request-node')
            view.build_filters()
            view.build_table()
            if rates and user.currency != 'GNK':
                hint = rate_text(user.currency, rates, tz)
                ui.label(hint or _('No {currency} rate is known yet, so amounts are shown in GNK only.',
                                   currency=user.currency)).classes('text-xs text-gray-500').mark('rate-hint')
        on_data_changed(user.user_id, view.reload)

        def tz_changed(new_tz: tzinfo) -> None:
            view.tz = new_tz
            view.apply(view.query, push_url=False)
        ui.timer(0.1, lambda: learn_browser_timezone(user, view.tz, tz_changed), once=True)

    @auth.protected_page('/nodes/{address}')
    async def node_details(request: Request, user: SessionUser, address: str) -> None:
        data = await in_db(load_detail, address[:100], user.user_id, user.is_admin)
        if data is None:
            from minegnk.pages.errors import render_error
            render_error(404, user)  # the same page whether the node is missing or someone else's
            return
        tz = page_timezone(user)
        view = NodeDetailPage(user, data.detail.summary.address, data, tz, request.query_params.get('tab', 'overview'))
        with frame(node_name(data.detail.summary.label, data.detail.summary.address), user):
            view.build()
        on_data_changed(user.user_id, view.reload)
        if view.tab == 'history':
            ui.timer(0, view.load_history, once=True)
        ui.timer(0.1, lambda: learn_browser_timezone(user, view.tz, view.timezone_changed), once=True)
