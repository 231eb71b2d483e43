"""Aggregations behind the customer pages: dashboard cards, earnings buckets, the activity feed, the node list
(filter/sort/page) and CSV export rows. Reads only our database; never imports the UI.

Money stays integer ngonka here; the pages turn it into GNK text and the user's currency at the edge.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from minegnk.db.models import (AuditLog, EarningsHistory, Node, NodeAssignment, NodeStatusChange, SupportRequest,
                               SupportRequestEvent, utcnow)
from minegnk.services import nodes as node_reads
from minegnk.services import rates as rate_service
from minegnk.services.nodes import ATTENTION_ORDER, NetworkStatus, NodeSummary
from minegnk.services.units import ngonka_to_gnk

OPEN_REQUEST_STATUSES = ('pending', 'in_progress')
ATTENTION_STATUSES = ('jailed', 'offline', 'unhealthy', 'inactive')
FEED_HORIZON = timedelta(days=90)
# Share of the network failing at once above which pages say "it's the network, not (only) you".
NETWORK_INCIDENT_SHARE = Decimal('0.20')


# ================================================================================================= cards
@dataclass(frozen=True)
class DashboardCards:
    total_nodes: int
    healthy_nodes: int
    attention_nodes: int
    by_status: dict[str, int]
    total_gpus: int
    nodes_without_gpu_info: int
    earnings_30d_ngonka: int
    earnings_month_ngonka: int
    month_start: datetime  # first instant of this month in the user's timezone (aware)
    open_requests: int


def month_start(now: datetime, tz: tzinfo) -> datetime:
    local = now.astimezone(tz)
    return datetime.combine(local.date().replace(day=1), time(0), tzinfo=tz)


def open_request_count(db: Session, user_id: int) -> int:
    return db.scalar(select(func.count()).select_from(SupportRequest).where(
        SupportRequest.user_id == user_id, SupportRequest.status.in_(OPEN_REQUEST_STATUSES))) or 0


def dashboard_cards(db: Session, user_id: int, summaries: Sequence[NodeSummary], *, tz: tzinfo,
                    now: datetime | None = None,
                    rows: Sequence[tuple[int, datetime | None, int]] | None = None) -> DashboardCards:
    """``rows``: the user's settled epochs as (node_id, settled_at, total ngonka) covering at least the last 31
    days, when the caller already has them; otherwise they are read here."""
    now = now or utcnow()
    counts = node_reads.count_by_status(list(summaries))
    start_30 = now - timedelta(days=30)
    start_month = month_start(now, tz)
    if rows is None:
        rows = user_earning_rows(db, user_id, since=min(start_30, start_month))
    last_30 = sum(amount for _n, at, amount in rows if at is not None and at >= start_30)
    month = sum(amount for _n, at, amount in rows if at is not None and at >= start_month)
    return DashboardCards(
        total_nodes=len(summaries), healthy_nodes=counts.get('healthy', 0),
        attention_nodes=sum(counts.get(s, 0) for s in ATTENTION_STATUSES), by_status=counts,
        total_gpus=sum(s.gpu_count or 0 for s in summaries),
        nodes_without_gpu_info=sum(1 for s in summaries if not s.gpu_count),
        earnings_30d_ngonka=last_30, earnings_month_ngonka=month, month_start=start_month,
        open_requests=open_request_count(db, user_id))


# ================================================================================================= earnings chart
@dataclass(frozen=True)
class EarningsSeries:
    """Settled earnings per bucket (and per node), plus the current epoch's estimate in the current bucket."""

    bucket: str  # day | week
    days: int
    starts: list[date]  # first day of each bucket, oldest first (local dates in the user's timezone)
    node_ids: list[int]
    settled: dict[int, list[int]]  # node_id -> ngonka per bucket
    estimate: dict[int, list[int]]  # node_id -> ngonka per bucket (only the current bucket is non-zero)

    def settled_totals(self) -> list[int]:
        return [sum(values[i] for values in self.settled.values()) for i in range(len(self.starts))]

    def estimate_totals(self) -> list[int]:
        return [sum(values[i] for values in self.estimate.values()) for i in range(len(self.starts))]

    @property
    def settled_sum(self) -> int:
        return sum(self.settled_totals())

    @property
    def estimate_sum(self) -> int:
        return sum(self.estimate_totals())


def _bucket_start(day: date, bucket: str) -> date:
    return day - timedelta(days=day.weekday()) if bucket == 'week' else day


def earnings_series(rows: Iterable[tuple[int, datetime | None, int]], *, node_ids: Sequence[int],
                    estimates: dict[int, int] | None = None, days: int = 30, bucket: str = 'day',
                    tz: tzinfo = timezone.utc, now: datetime | None = None) -> EarningsSeries:
    """``rows``: (node_id, settled_at, total ngonka). The window is the last ``days`` local days including today;
    a settled amount counts in the bucket of its local settlement date. Pure: no database."""
    if bucket not in ('day', 'week'):
        raise ValueError('bucket must be day or week')
    now = now or utcnow()
    today = now.astimezone(tz).date()
    first_day = today - timedelta(days=days - 1)
    starts: list[date] = []
    day = _bucket_start(first_day, bucket)
    step = timedelta(days=7 if bucket == 'week' else 1)
    while day <= today:
        starts.append(day)
        day += step
    index = {start: i for i, start in enumerate(starts)}
    ids = list(node_ids)
    settled = {node_id: [0] * len(starts) for node_id in ids}
    for node_id, settled_at, amount in rows:
        if settled_at is None or node_id not in settled:
            continue
        local = settled_at.astimezone(tz).date()
        if local < first_day or local > today:
            continue
        settled[node_id][index[_bucket_start(local, bucket)]] += amount
    estimate = {node_id: [0] * len(starts) for node_id in ids}
    current = index[_bucket_start(today, bucket)]
    for node_id, amount in (estimates or {}).items():
        if node_id in estimate and amount:
            estimate[node_id][current] += amount
    return EarningsSeries(bucket, days, starts, ids, settled, estimate)


def current_estimates(summaries: Iterable[NodeSummary]) -> dict[int, int]:
    """This epoch so far, per node: the reward estimate (if weights hold) plus work coins earned to date."""
    result = {}
    for s in summaries:
        amount = (s.reward_estimate_ngonka or 0) + (s.epoch_work_ngonka or 0)
        if amount:
            result[s.node_id] = amount
    return result


def user_earning_rows(db: Session, user_id: int, *, since: datetime) -> list[tuple[int, datetime | None, int]]:
    """(node_id, settled_at, reward + work) of the nodes the user owns now: plain columns, no ORM objects."""
    query = (select(EarningsHistory.node_id, EarningsHistory.settled_at,
                    EarningsHistory.reward_ngonka, EarningsHistory.work_ngonka)
             .join(NodeAssignment, NodeAssignment.node_id == EarningsHistory.node_id)
             .where(NodeAssignment.user_id == user_id, NodeAssignment.unassigned_at.is_(None),
                    EarningsHistory.settled_at >= since))
    return [(node_id, at, int(reward) + int(work)) for node_id, at, reward, work in db.execute(query)]


# ================================================================================================= activity feed
@dataclass(frozen=True)
class ActivityItem:
    at: datetime
    kind: str  # status_change | epoch_settled | reward_unclaimed | reward_burned | request_status | node_assigned | node_unassigned
    address: str | None = None
    label: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ActivityPage:
    items: list[ActivityItem]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _owned_names(db: Session, user_id: int) -> dict[int, tuple[str, str | None]]:
    return {node_id: (address, label) for node_id, address, label in db.execute(
        select(Node.id, Node.address, Node.label).join(NodeAssignment, NodeAssignment.node_id == Node.id)
        .where(NodeAssignment.user_id == user_id, NodeAssignment.unassigned_at.is_(None)))}


def _open_changes(user_id: int, since: datetime) -> Select:
    """Status changes of the nodes the user owns now, while they own them (node_status_changes, indexed by node and
    time: a few rows per node, however long the status history)."""
    c = NodeStatusChange
    return (select(c.node_id, c.changed_at, c.from_status, c.to_status, c.reasons)
            .join(NodeAssignment, NodeAssignment.node_id == c.node_id)
            .where(NodeAssignment.user_id == user_id, NodeAssignment.unassigned_at.is_(None),
                   c.changed_at >= since, c.changed_at >= NodeAssignment.assigned_at))


def _status_change_items(db: Session, user_id: int, names: dict[int, tuple[str, str | None]], since: datetime,
                         limit: int | None = None) -> list[ActivityItem]:
    """The newest ``limit`` status changes (all without a limit), newest first."""
    query = _open_changes(user_id, since).order_by(NodeStatusChange.changed_at.desc(), NodeStatusChange.id.desc())
    if limit is not None:
        query = query.limit(limit)
    items = []
    for node_id, at, before, after, reasons in db.execute(query):
        address, label = names[node_id]
        items.append(ActivityItem(at, 'status_change', address, label,
                                  {'from': before, 'to': after, 'reasons': list(reasons or [])}))
    return items


def _other_items(db: Session, user_id: int, names: dict[int, tuple[str, str | None]], since: datetime,
                 current_epoch: int | None) -> list[ActivityItem]:
    """Everything but status changes: at most a few per epoch, request or assignment."""
    items: list[ActivityItem] = []
    # Settled epochs, one item per epoch across the user's nodes (summed by the database).
    e = EarningsHistory
    owned = (NodeAssignment.node_id == e.node_id) & (NodeAssignment.user_id == user_id) & \
        NodeAssignment.unassigned_at.is_(None)
    for epoch_id, at, total, count in db.execute(
            select(e.epoch_id, func.max(e.settled_at), func.sum(e.reward_ngonka + e.work_ngonka), func.count())
            .join(NodeAssignment, owned).where(e.settled_at >= since).group_by(e.epoch_id)):
        # int(): PostgreSQL sums bigints as numeric (Decimal); the values are whole ngonka either way.
        items.append(ActivityItem(at, 'epoch_settled', None, None, {'epoch': epoch_id, 'ngonka': int(total),
                                                                    'nodes': count}))
    # Rewards still to claim (the last settled epoch) or already burned (older ones).
    if current_epoch is not None:
        for node_id, epoch_id, at, reward in db.execute(
                select(e.node_id, e.epoch_id, e.settled_at, e.reward_ngonka).join(NodeAssignment, owned)
                .where(e.settled_at >= since, e.claimed.is_(False), e.reward_ngonka > 0,
                       e.epoch_id < current_epoch)):
            address, label = names.get(node_id, ('', None))
            kind = 'reward_unclaimed' if epoch_id == current_epoch - 1 else 'reward_burned'
            items.append(ActivityItem(at, kind, address, label, {'epoch': epoch_id, 'ngonka': reward}))

    # Request status changes the customer may see.
    for event, request in db.execute(
            select(SupportRequestEvent, SupportRequest).join(SupportRequest, SupportRequest.id == SupportRequestEvent.request_id)
            .where(SupportRequest.user_id == user_id, SupportRequestEvent.kind == 'status',
                   SupportRequestEvent.visible_to_customer.is_(True), SupportRequestEvent.created_at >= since)):
        items.append(ActivityItem(event.created_at, 'request_status', None, None,
                                  {'request_id': request.id, 'from': event.from_status, 'to': event.to_status,
                                   'gpu_type': request.gpu_type, 'quantity': request.quantity}))

    # Nodes assigned to or removed from this user by support (the audit log is the record of who did what).
    ever = dict(db.execute(select(Node.address, Node.label).join(NodeAssignment, NodeAssignment.node_id == Node.id)
                           .where(NodeAssignment.user_id == user_id)).all())
    if ever:
        for entry in db.scalars(select(AuditLog).where(AuditLog.action.in_(('node.assign', 'node.unassign')),
                                                       AuditLog.target_id.in_(list(ever)),
                                                       AuditLog.created_at >= since)):
            if entry.action == 'node.assign' and (entry.after or {}).get('user_id') == user_id:
                items.append(ActivityItem(entry.created_at, 'node_assigned', entry.target_id, ever[entry.target_id]))
            elif entry.action == 'node.unassign' and (entry.before or {}).get('user_id') == user_id:
                items.append(ActivityItem(entry.created_at, 'node_unassigned', entry.target_id, ever[entry.target_id]))
    return items


def _newest_first(items: list[ActivityItem]) -> list[ActivityItem]:
    return sorted(items, key=lambda i: (i.at, i.kind), reverse=True)


def activity_items(db: Session, user_id: int, *, current_epoch: int | None, now: datetime | None = None,
                   horizon: timedelta = FEED_HORIZON) -> list[ActivityItem]:
    """Everything that happened to the user's nodes and requests within ``horizon``, newest first."""
    since = (now or utcnow()) - horizon
    names = _owned_names(db, user_id)
    return _newest_first(_status_change_items(db, user_id, names, since)
                         + _other_items(db, user_id, names, since, current_epoch))


def activity_page(db: Session, user_id: int, *, page: int = 1, per_page: int = 10, current_epoch: int | None,
                  now: datetime | None = None, horizon: timedelta = FEED_HORIZON) -> ActivityPage:
    """One page of the feed. Status changes are counted by the database and only the newest ``page × per_page`` of
    them are read: the page can hold no older ones."""
    since = (now or utcnow()) - horizon
    per_page = max(1, min(per_page, 100))
    names = _owned_names(db, user_id)
    others = _other_items(db, user_id, names, since, current_epoch)
    changes = db.scalar(select(func.count()).select_from(_open_changes(user_id, since).subquery())) or 0
    total = changes + len(others)
    pages = max(1, -(-total // per_page))
    page = max(1, min(page, pages))
    items = _newest_first(_status_change_items(db, user_id, names, since, limit=page * per_page) + others)
    return ActivityPage(items[(page - 1) * per_page: page * per_page], total, page, per_page)


# ================================================================================================= node list
SORT_KEYS = ('name', 'status', 'gpu', 'weight_share', 'inferences', 'missed', 'per_day', 'total')
PER_PAGE_CHOICES = (10, 25, 50, 100)


@dataclass(frozen=True)
class NodeQuery:
    status: str = ''  # '' all, a status, or 'attention'
    gpu: str = ''
    text: str = ''
    sort: str = 'status'
    descending: bool = False
    page: int = 1
    per_page: int = 25

    @classmethod
    def from_params(cls, params: dict[str, str]) -> NodeQuery:
        """From URL query parameters; anything unknown or malformed falls back to the default."""
        status = params.get('status', '')
        if status not in (*node_reads.STATUSES, 'attention'):
            status = ''
        sort = params.get('sort', 'status')
        if sort not in SORT_KEYS:
            sort = 'status'
        try:
            page = max(1, int(params.get('page', '1')))
        except ValueError:
            page = 1
        try:
            per_page = int(params.get('per', '25'))
        except ValueError:
            per_page = 25
        if per_page not in PER_PAGE_CHOICES:
            per_page = 25
        return cls(status=status, gpu=params.get('gpu', '')[:50], text=params.get('q', '')[:100], sort=sort,
                   descending=params.get('desc', '') in ('1', 'true'), page=page, per_page=per_page)

    def to_params(self) -> dict[str, str]:
        """Only what differs from the defaults, so shared links stay short."""
        params = {}
        if self.status:
            params['status'] = self.status
        if self.gpu:
            params['gpu'] = self.gpu
        if self.text:
            params['q'] = self.text
        if self.sort != 'status':
            params['sort'] = self.sort
        if self.descending:
            params['desc'] = '1'
        if self.page != 1:
            params['page'] = str(self.page)
        if self.per_page != 25:
            params['per'] = str(self.per_page)
        return params


@dataclass(frozen=True)
class NodePage:
    rows: list[NodeSummary]
    total: int  # after filtering
    all_count: int  # before filtering
    query: NodeQuery  # with the page clamped to what exists
    gpu_types: list[str]


def _none_last(value: Any, descending: bool) -> tuple:
    # None sorts after everything in both directions.
    return (1, 0) if value is None else (0, value) if not descending else (0, _Reverse(value))


class _Reverse:
    __slots__ = ('value',)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Reverse) -> bool:
        return other.value < self.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reverse) and other.value == self.value


def _sort_value(s: NodeSummary, key: str) -> Any:
    return {
        'name': (s.label or '').lower() or s.address,
        'status': ATTENTION_ORDER.get(s.status, 9),
        'gpu': (s.gpu_type or '').lower() or None,
        'weight_share': s.weight_share,
        'inferences': s.inference_count,
        'missed': s.missed_rate,
        'per_day': s.per_day_ngonka,
        'total': s.total_ngonka,
    }[key]


def filter_nodes(summaries: Sequence[NodeSummary], query: NodeQuery) -> NodePage:
    """Filter, sort and cut one page on the server; the browser only ever receives that page."""
    result = list(summaries)
    if query.status == 'attention':
        result = [s for s in result if s.status in ATTENTION_STATUSES]
    elif query.status:
        result = [s for s in result if s.status == query.status]
    if query.gpu:
        result = [s for s in result if (s.gpu_type or '') == query.gpu]
    needle = query.text.strip().lower()
    if needle:
        result = [s for s in result if needle in s.address.lower() or needle in (s.label or '').lower()]
    # Stable sorts: the secondary order is attention first, then name.
    result.sort(key=lambda s: ((s.label or '').lower(), s.address))
    result.sort(key=lambda s: ATTENTION_ORDER.get(s.status, 9))
    result.sort(key=lambda s: _none_last(_sort_value(s, query.sort), query.descending))
    pages = max(1, -(-len(result) // query.per_page))
    page = min(query.page, pages)
    clamped = query if page == query.page else replace(query, page=page)
    start = (page - 1) * query.per_page
    gpu_types = sorted({s.gpu_type for s in summaries if s.gpu_type})
    return NodePage(result[start:start + query.per_page], len(result), len(summaries), clamped, gpu_types)


# ================================================================================================= money + CSV
def gnk_exact(ngonka: int) -> str:
    """GNK with all 9 decimals, no grouping: machine-readable and exact."""
    return format(ngonka_to_gnk(ngonka).quantize(Decimal('0.000000001')), 'f')


def currency_amount(ngonka: int, currency: str, rates: rate_service.Rates, places: int = 2) -> Decimal | None:
    """The amount in ``currency`` rounded half-even to ``places`` once, at the end; None without a rate."""
    converted = rate_service.convert(ngonka, currency, rates)
    if converted is None:
        return None
    with localcontext() as ctx:
        ctx.prec = 80
        return converted.amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def rate_used(currency: str, rates: rate_service.Rates) -> rate_service.Converted | None:
    """The GNK→currency rate (and its source and age) the conversion uses."""
    return rate_service.convert(0, currency, rates)


_FORMULA_START = ('=', '+', '-', '@', '\t', '\r')


def csv_safe(text: str | None) -> str:
    """Spreadsheets execute cells that start like a formula; labels are user-controlled, so neutralise them."""
    text = text or ''
    return "'" + text if text.startswith(_FORMULA_START) else text


@dataclass(frozen=True)
class LoadedDashboard:
    network: NetworkStatus
    summaries: list[NodeSummary]
    cards: DashboardCards
    rates: rate_service.Rates
    earning_rows: list[tuple[int, datetime | None, int]]


def load_dashboard(db: Session, user_id: int, *, tz: tzinfo, now: datetime | None = None) -> LoadedDashboard:
    """Everything the dashboard's first paint needs, in one unit of work."""
    now = now or utcnow()
    summaries = node_reads.user_nodes(db, user_id)
    rows = user_earning_rows(db, user_id, since=now - timedelta(days=92))  # chart (90 days) and cards (≤ 31 days)
    return LoadedDashboard(
        network=node_reads.network_status(db, now=now), summaries=summaries,
        cards=dashboard_cards(db, user_id, summaries, tz=tz, now=now, rows=rows),
        rates=rate_service.current_rates(db, now=now), earning_rows=rows)


# ================================================================================================= health timeline
@dataclass(frozen=True)
class StatusRun:
    status: str
    start: datetime
    end: datetime  # the next observation's time (or the last observation's, for the newest run)
    observations: int


def status_runs(points: Sequence[node_reads.StatusPoint], *, max_gap: timedelta = timedelta(minutes=15),
                until: datetime | None = None) -> list[StatusRun]:
    """Consecutive observations with the same status as one band. A silence longer than ``max_gap`` (the portal
    was down, no cycle ran) ends the band, so the chart shows "no data" there instead of guessing."""
    runs: list[StatusRun] = []
    status: str | None = None
    start = last = None
    count = 0
    for point in points:
        gap = last is not None and point.observed_at - last > max_gap
        if status is not None and (point.status != status or gap):
            runs.append(StatusRun(status, start, last if gap else point.observed_at, count))
            status = None
        if status is None:
            status, start, count = point.status, point.observed_at, 0
        count += 1
        last = point.observed_at
    if status is not None:
        end = last
        if until is not None and until - last <= max_gap:
            end = until
        runs.append(StatusRun(status, start, end, count))
    return runs


def uptime_by_period(points: Sequence[node_reads.StatusPoint], *, tz: tzinfo, hours: bool) -> list[tuple[datetime, Decimal | None]]:
    """Uptime share per local hour (``hours``) or per local day, oldest first (periods without data omitted)."""
    groups: dict[datetime, list[node_reads.StatusPoint]] = {}
    for point in points:
        local = point.observed_at.astimezone(tz)
        key = local.replace(minute=0, second=0, microsecond=0) if hours else \
            datetime.combine(local.date(), time(0), tzinfo=tz)
        groups.setdefault(key, []).append(point)
    return [(key, node_reads.uptime_share(group)) for key, group in sorted(groups.items())]
