"""Plotly figures in the fast dict form. Amounts travel as exact decimal strings (never floats); plotly reads
them as numbers on a linear axis, and the hover shows our own formatted text."""

from __future__ import annotations

import html
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from functools import lru_cache

from babel.dates import get_day_names, get_month_names
from nicegui import ui

from minegnk import i18n

from minegnk.components.amounts import gnk_text, percent_text
from minegnk.components.freshness import date_text, datetime_text
from minegnk.components.locale import _, current_language
from minegnk.components.status_badge import status_label
from minegnk.services.dashboard import EarningsSeries, StatusRun
from minegnk.services.nodes import EpochEarningRow, StatusPoint
from minegnk.services.units import ngonka_to_gnk

CONFIG = {'displayModeBar': False, 'responsive': True, 'displaylogo': False}
STATUS_HEX = {
    'healthy': '#15803d', 'unhealthy': '#ea580c', 'jailed': '#b91c1c', 'offline': '#7f1d1d', 'inactive': '#6b7280',
    'unknown': '#cbd5e1',
}
NODE_PALETTE = ['#1f6feb', '#0f766e', '#7c3aed', '#b45309', '#be185d', '#4d7c0f', '#0369a1', '#a16207', '#6d28d9',
                '#047857', '#c2410c', '#1d4ed8']


def config() -> dict:
    """Plotly's options, with its date texts (axis ticks, hovers) in the page's language."""
    language = current_language()
    if language == 'en':
        return CONFIG
    return {**CONFIG, 'locale': language, 'locales': {language: {'format': _plotly_dates(language)}}}


@lru_cache(maxsize=8)
def _plotly_dates(language: str) -> dict:
    locale = i18n.babel_locale(language)
    days = get_day_names('wide', 'format', locale=locale)  # babel: Monday = 0; plotly: Sunday first
    short_days = get_day_names('abbreviated', 'format', locale=locale)
    return {
        'days': [days[(i + 6) % 7] for i in range(7)], 'shortDays': [short_days[(i + 6) % 7] for i in range(7)],
        'months': [get_month_names('wide', 'stand-alone', locale=locale)[i] for i in range(1, 13)],
        'shortMonths': [get_month_names('abbreviated', 'format', locale=locale)[i] for i in range(1, 13)],
        'date': '%d.%m.%Y', 'dayMonth': '%-d %b', 'dayMonthYear': '%-d %b %Y', 'month': '%b %Y', 'year': '%Y',
        'periods': ['', ''], 'time': '%H:%M:%S', 'dateTime': '%-d %b %Y, %H:%M:%S',
    }


def _gnk(ngonka: int) -> str:
    return format(ngonka_to_gnk(ngonka), 'f')


def _layout(**extra) -> dict:
    layout = {
        'margin': {'l': 48, 'r': 12, 't': 8, 'b': 40},
        'paper_bgcolor': 'rgba(0,0,0,0)', 'plot_bgcolor': 'rgba(0,0,0,0)',
        'font': {'size': 12, 'color': '#6b7280'},
        'legend': {'orientation': 'h', 'y': -0.2},
        'hovermode': 'closest',
    }
    layout.update(extra)
    return layout


def _local(value: datetime, tz: tzinfo) -> str:
    """Plotly has no timezones: hand it the user's wall-clock time."""
    return value.astimezone(tz).replace(tzinfo=None).isoformat(timespec='seconds')


def earnings_figure(series: EarningsSeries, *, mode: str, names: dict[int, str]) -> dict:
    """``mode``: total (one bar per bucket) | stack (stacked by node) | group (side by side by node).
    Settled amounts are solid; the current epoch's estimate is hatched and translucent."""
    x = [start.isoformat() for start in series.starts]
    period = _('Week of {date}') if series.bucket == 'week' else '{date}'
    dates = [period.format(date=date_text(start)) for start in series.starts]
    data = []
    if mode == 'total':
        groups = [(None, _('Settled'), series.settled_totals(), series.estimate_totals(), NODE_PALETTE[0])]
    else:
        # Labels are user text: plotly renders a few HTML tags in names and hovers, so escape them.
        groups = [(node_id, html.escape(names.get(node_id, str(node_id))), series.settled[node_id],
                   series.estimate[node_id],
                   NODE_PALETTE[i % len(NODE_PALETTE)]) for i, node_id in enumerate(series.node_ids)]
    for node_id, name, settled, _estimate, color in groups:
        data.append({
            'type': 'bar', 'name': name, 'x': x, 'y': [_gnk(v) for v in settled],
            'marker': {'color': color}, 'legendgroup': str(node_id or 'all'), 'offsetgroup': str(node_id or 'all'),
            'customdata': [f'{d}<br>{name}: {gnk_text(v, 4)}' for d, v in zip(dates, settled)],
            'hovertemplate': '%{customdata}<extra></extra>',
        })
    for node_id, name, _settled, estimate, color in groups:
        if not any(estimate):
            continue
        label = _('{name}: current epoch (estimate)', name=name) if node_id is not None else _('Current epoch (estimate)')
        data.append({
            'type': 'bar', 'name': label, 'x': x, 'y': [_gnk(v) for v in estimate],
            'marker': {'color': color, 'opacity': 0.45, 'pattern': {'shape': '/', 'fgcolor': color, 'solidity': 0.4},
                       'line': {'color': color, 'width': 1.5}},
            'legendgroup': str(node_id or 'all'), 'offsetgroup': str(node_id or 'all'),
            'showlegend': node_id is None or node_id == series.node_ids[0],
            'customdata': [f'{d}<br>{label}: ≈ {gnk_text(v, 4)}' for d, v in zip(dates, estimate)],
            'hovertemplate': '%{customdata}<extra></extra>',
        })
    layout = _layout(barmode='group' if mode == 'group' else 'stack',
                     yaxis={'type': 'linear', 'title': {'text': 'GNK'}, 'rangemode': 'tozero', 'fixedrange': True},
                     xaxis={'type': 'date', 'fixedrange': True, 'tickformat': '%d %b', 'automargin': True})
    if len(groups) > 12:
        layout['showlegend'] = False
    return {'data': data, 'layout': layout, 'config': config()}


def epoch_earnings_figure(rows: list[EpochEarningRow]) -> dict:
    """Per settled epoch: claimed / unclaimed / burned bars, and the cumulative total as a line."""
    epochs = [r.epoch_id for r in rows]
    parts = {'claimed': [], 'unclaimed': [], 'burned': []}
    cumulative, running = [], 0
    for r in rows:
        kind = 'claimed' if r.claimed else ('burned' if r.burned else 'unclaimed')
        for key in parts:
            parts[key].append(_gnk(r.total_ngonka) if key == kind else '0')
        if not r.burned:
            running += r.total_ngonka
        cumulative.append(running)
    names = {'claimed': _('Claimed'), 'unclaimed': _('Unclaimed'), 'burned': _('Burned (not claimed in time)')}
    colors = {'claimed': '#15803d', 'unclaimed': '#d97706', 'burned': '#b91c1c'}
    data = [{'type': 'bar', 'name': names[k], 'x': epochs, 'y': v, 'marker': {'color': colors[k]},
             'hovertemplate': _('Epoch') + ' %{x}: %{y:.4f} GNK<extra>' + names[k] + '</extra>'}
            for k, v in parts.items() if any(value != '0' for value in v)]
    data.append({'type': 'scatter', 'mode': 'lines', 'name': _('Cumulative'), 'x': epochs,
                 'y': [_gnk(v) for v in cumulative], 'yaxis': 'y2', 'line': {'color': '#1f6feb', 'width': 2},
                 'hovertemplate': _('Epoch') + ' %{x}: %{y:.2f} GNK<extra></extra>'})
    layout = _layout(barmode='stack',
                     xaxis={'title': {'text': _('Epoch')}, 'fixedrange': True},
                     yaxis={'type': 'linear', 'title': {'text': _('GNK per epoch')}, 'rangemode': 'tozero',
                            'fixedrange': True},
                     yaxis2={'type': 'linear', 'overlaying': 'y', 'side': 'right', 'rangemode': 'tozero',
                             'showgrid': False, 'fixedrange': True, 'title': {'text': _('Cumulative GNK')}})
    layout['margin'] = {'l': 48, 'r': 56, 't': 32, 'b': 40}
    layout['legend'] = {'orientation': 'h', 'x': 0, 'y': 1.02, 'yanchor': 'bottom'}  # below, it hits the axis title
    return {'data': data, 'layout': layout, 'config': config()}


def timeline_figure(runs: list[StatusRun], *, start: datetime, end: datetime, tz: tzinfo) -> dict:
    """Coloured status bands along time (a Gantt row); gaps without observations stay empty."""
    data = []
    by_status: dict[str, list[StatusRun]] = {}
    for run in runs:
        by_status.setdefault(run.status, []).append(run)
    for status, items in by_status.items():
        label = status_label(status)
        data.append({
            'type': 'bar', 'orientation': 'h', 'name': label, 'y': [''] * len(items),
            'base': [_local(r.start, tz) for r in items],
            'x': [max(1000, int((r.end - r.start).total_seconds() * 1000)) for r in items],
            'marker': {'color': STATUS_HEX.get(status, '#cbd5e1')},
            'customdata': [f'{label}: {datetime_text(r.start, tz, "short")} – {datetime_text(r.end, tz, "short")}'
                           for r in items],
            'hovertemplate': '%{customdata}<extra></extra>',
        })
    layout = _layout(barmode='overlay', height=150, bargap=0.1,
                     xaxis={'type': 'date', 'range': [_local(start, tz), _local(end, tz)], 'fixedrange': True,
                            'automargin': True},
                     yaxis={'visible': False, 'fixedrange': True})
    layout['margin'] = {'l': 8, 'r': 8, 't': 8, 'b': 30}
    layout['legend'] = {'orientation': 'h', 'y': -0.45}
    return {'data': data, 'layout': layout, 'config': config()}


def uptime_figure(periods: list[tuple[datetime, Decimal | None]], *, tz: tzinfo, hourly: bool, start: datetime,
                  end: datetime) -> dict:
    """One bar per hour or day, each filling its own bucket, on the period's whole axis: a node watched for only
    an hour shows one narrow bar, not one stretched over a fraction-of-a-second axis."""
    bucket = timedelta(hours=1) if hourly else timedelta(days=1)
    bucket_ms = int(bucket.total_seconds() * 1000)
    if periods:  # whole buckets at both ends
        start, end = min(start, periods[0][0]), max(end, periods[-1][0] + bucket)
    x = [_local(p, tz) for p, _share in periods]
    y = [str((share * 100).quantize(Decimal('0.1'))) if share is not None else None for _p, share in periods]
    fmt = '%H:%M' if hourly else '%d %b'
    data = [{'type': 'bar', 'x': x, 'y': y, 'name': _('Uptime'), 'marker': {'color': '#15803d'},
             'width': [bucket_ms * 0.9] * len(x), 'offset': bucket_ms * 0.05,  # bars start at their bucket
             'customdata': [percent_text(share) for _p, share in periods],
             'hovertemplate': '%{x|' + fmt + '}: %{customdata}<extra></extra>'}]
    layout = _layout(height=160, yaxis={'type': 'linear', 'range': [0, 100], 'ticksuffix': ' %', 'fixedrange': True},
                     xaxis={'type': 'date', 'fixedrange': True, 'range': [_local(start, tz), _local(end, tz)],
                            'automargin': True},
                     showlegend=False)
    layout['margin'] = {'l': 48, 'r': 8, 't': 8, 'b': 30}
    return {'data': data, 'layout': layout, 'config': config()}


def epoch_counters_figure(points: list[StatusPoint], tz: tzinfo) -> dict:
    """Inferences served and requests missed so far this epoch, from our own snapshots."""
    usable = [p for p in points if p.inference_count is not None]
    x = [_local(p.observed_at, tz) for p in usable]
    data = [
        {'type': 'scatter', 'mode': 'lines+markers', 'name': _('Inferences'), 'x': x,
         'y': [p.inference_count for p in usable], 'line': {'color': '#1f6feb'}},
        {'type': 'scatter', 'mode': 'lines+markers', 'name': _('Missed requests'), 'x': x,
         'y': [p.missed_requests or 0 for p in usable], 'line': {'color': '#b91c1c'}},
    ]
    layout = _layout(height=260, xaxis={'type': 'date', 'fixedrange': True, 'automargin': True},
                     yaxis={'type': 'linear', 'rangemode': 'tozero', 'fixedrange': True})
    return {'data': data, 'layout': layout, 'config': config()}


def plotly(figure: dict, *, marker: str, height: str = 'h-72') -> ui.plotly:
    # The class lets real-browser tests and the benchmark find the chart; the mark is for user-fixture tests.
    return ui.plotly(figure).classes(f'w-full {height} minegnk-{marker}').mark(marker)

