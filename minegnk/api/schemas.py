"""Request and response models of the API (they are also its OpenAPI documentation).

Money: every amount is an ``Amount`` — integer ngonka as a string (exact, safe for JavaScript) plus the same value
in GNK as a decimal string with 9 places. Ratios and other decimals are strings too; nothing is a float.
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from minegnk.services.units import ngonka_to_gnk

T = TypeVar('T')


class Model(BaseModel):
    model_config = ConfigDict(extra='forbid')


class Amount(Model):
    ngonka: str = Field(pattern=r'^-?\d+$', description='Integer ngonka (1 GNK = 10^9 ngonka), as a string')
    gnk: str = Field(pattern=r'^-?\d+\.\d{9}$', description='The same amount in GNK, exact, 9 decimal places')


def amount(ngonka: int | None) -> dict[str, str] | None:
    if ngonka is None:
        return None
    return {'ngonka': str(ngonka), 'gnk': f'{ngonka_to_gnk(int(ngonka)):f}'}


def dec(value: Decimal | None) -> str | None:
    return None if value is None else f'{value:f}'


class Page(Model, Generic[T]):
    items: list[T]
    total: int = Field(description='How many items match the filters (all pages)')
    limit: int
    offset: int


# ---- auth ----

class RegisterIn(Model):
    email: str = Field(max_length=320, examples=['alice@example.com'])
    password: str = Field(max_length=1024, description='10–128 characters, not the email, not a common password')
    language: Literal['en', 'ru'] | None = None


class LoginIn(Model):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)


class RefreshIn(Model):
    refresh_token: str = Field(max_length=256)


class TokenPair(Model):
    access_token: str = Field(description='JWT (HS256), send as `Authorization: Bearer <token>`')
    token_type: Literal['bearer'] = 'bearer'
    expires_in: int = Field(description='Seconds until the access token expires (900)')
    refresh_token: str = Field(description='Opaque; single use: every refresh returns a new one')
    refresh_expires_at: datetime


class Me(Model):
    id: int
    email: str
    role: Literal['user', 'admin']
    language: str | None
    timezone: str | None
    currency: str
    created_at: datetime
    last_login_at: datetime | None


# ---- nodes ----

class ReasonOut(Model):
    code: str
    params: dict[str, Any] = Field(default_factory=dict)


NodeStatus = Literal['healthy', 'unhealthy', 'jailed', 'offline', 'inactive', 'unknown']


class NodeItem(Model):
    address: str
    label: str | None
    gpu_type: str | None
    gpu_count: int | None
    region: str | None
    gcore_instance_id: str | None
    assigned_at: datetime
    status: NodeStatus
    needs_attention: bool
    reasons: list[ReasonOut]
    models: list[str]
    weight: int | None
    weight_share: str | None = Field(description='0..1 as a decimal string')
    inference_count: int | None
    missed_requests: int | None
    missed_rate: str | None = Field(description='0..1 as a decimal string')
    epoch_work: Amount | None = Field(description='Work coins earned so far this epoch')
    reward_estimate: Amount | None = Field(description="This epoch's reward if weights hold (an estimate)")
    per_day: Amount | None = Field(description='Average of recent settled epochs, per day')
    total: Amount = Field(description='Sum of every settled epoch we know')
    settled_epochs: int
    source: str | None
    data_as_of: datetime | None
    fetched_at: datetime | None
    stale: bool
    stale_reason: str | None


class NodeList(Page[NodeItem]):
    counts: dict[str, int] = Field(description='Nodes per status over all of the caller\'s nodes (unfiltered)')


class MlNodeOut(Model):
    node_id: str
    status: str | None
    poc_weight: int | None
    models: list[str]


class ChainOut(Model):
    epoch_id: int | None
    registered: bool | None
    in_set: bool | None
    chain_status: str | None
    is_jailed: bool | None
    jailed_until: str | None
    ready_to_unjail: bool | None
    network_weight: int | None
    invalidation_rate: str | None
    confirmation_poc_ratio: str | None
    notes: list[ReasonOut]
    ml_nodes: list[MlNodeOut]


class NodeDetailOut(Model):
    node: NodeItem
    chain: ChainOut


class StatusPointOut(Model):
    observed_at: datetime
    status: str
    reasons: list[ReasonOut]
    inference_count: int | None
    missed_requests: int | None
    epoch_id: int | None


class MetricsOut(Model):
    address: str
    from_: datetime = Field(alias='from')
    to: datetime
    uptime_share: str | None = Field(description='Share of known observations with the node up, 0..1')
    points: list[StatusPointOut]

    model_config = ConfigDict(extra='forbid', populate_by_name=True)


class EpochEarningOut(Model):
    epoch_id: int
    reward: Amount
    work: Amount
    total: Amount
    claimed: bool
    burned: bool = Field(description='An unclaimed reward older than the claim window')
    settled_at: datetime | None
    inference_count: int
    missed_requests: int


class DayEarningOut(Model):
    date: dt.date = Field(description='UTC calendar day the epochs settled on')
    reward: Amount
    work: Amount
    total: Amount
    epochs: list[int]


class EarningsOut(Model):
    address: str
    total: Amount
    settled_epochs: int
    per_day_average: Amount | None
    epochs: list[EpochEarningOut] = Field(description='Newest first')
    days: list[DayEarningOut] = Field(description='Newest first; epochs without a settlement time are left out')


# ---- network ----

class NetworkOut(Model):
    epoch_id: int | None
    phase: str | None
    block_height: int | None
    avg_block_seconds: str | None
    epoch_length: int | None
    epochs_per_day: str | None
    next_poc_start_block: int | None
    next_poc_eta: datetime | None
    taken_at: datetime | None = Field(description='When the portal last refreshed')
    data_age_s: int | None = Field(description='Age of the data in whole seconds')
    source: str | None
    stale: bool
    stale_reason: str | None
    participant_count: int | None
    total_weight: int | None
    failing_share: str | None


# ---- support requests ----

class RequestIn(Model):
    gpu_type: str = Field(max_length=64, examples=['H100'])
    quantity: int = Field(description='1–100')
    budget_min: str | int | None = Field(None, description='Monthly budget, decimal string (e.g. "1500.00")')
    budget_max: str | int | None = None
    network: str = Field('gonka', max_length=32)
    region: str = Field('any', max_length=32)
    comments: str | None = Field(None, max_length=4000)


class RequestEventOut(Model):
    kind: str
    from_status: str | None
    to_status: str | None
    body: str | None
    by: Literal['you', 'support']
    created_at: datetime


RequestStatus = Literal['pending', 'in_progress', 'completed', 'rejected', 'cancelled']


class RequestOut(Model):
    id: int
    status: RequestStatus
    gpu_type: str | None
    quantity: int | None
    budget_min: str | None
    budget_max: str | None
    budget_currency: str | None
    network: str
    region: str | None
    comments: str | None
    can_cancel: bool
    created_at: datetime
    updated_at: datetime
    events: list[RequestEventOut]


class AdminRequestEventOut(Model):
    kind: str
    from_status: str | None
    to_status: str | None
    body: str | None
    visible_to_customer: bool
    actor_email: str | None
    created_at: datetime


class AdminRequestOut(Model):
    id: int
    status: RequestStatus
    user_id: int | None
    user_email: str | None
    gpu_type: str | None
    quantity: int | None
    budget_min: str | None
    budget_max: str | None
    budget_currency: str | None
    network: str
    region: str | None
    comments: str | None
    next_statuses: list[str]
    handled_by_email: str | None
    handled_at: datetime | None
    created_at: datetime
    updated_at: datetime
    events: list[AdminRequestEventOut]


class RequestUpdateIn(Model):
    status: Literal['in_progress', 'completed', 'rejected'] | None = Field(
        None, description='New status (pending → in_progress → completed, or → rejected with a reason)')
    reason: str | None = Field(None, max_length=4000, description='Required when rejecting; the customer sees it')
    comment: str | None = Field(None, max_length=4000, description='A comment (or, with internal, a note)')
    internal: bool = Field(False, description='The comment is an internal note only support sees')


# ---- profile ----

class ProfileOut(Model):
    email: str
    role: Literal['user', 'admin']
    telegram: str | None
    discord: str | None
    currency: str
    timezone: str | None
    language: str | None
    notification_prefs: dict[str, list[str]]
    created_at: datetime
    last_login_at: datetime | None


class ProfileIn(Model):
    """Fields left out keep their current value; ``null`` or ``""`` clears an optional one."""

    telegram: str | None = Field(None, max_length=64)
    discord: str | None = Field(None, max_length=64)
    currency: str | None = Field(None, max_length=8, description='USD, EUR or GNK')
    timezone: str | None = Field(None, max_length=64, description='IANA zone; empty: follow the browser')
    language: str | None = Field(None, max_length=8, description='en or ru; empty: follow the browser')
    notification_prefs: dict[str, list[str]] | None = None


# ---- admin ----

class UserRowOut(Model):
    id: int
    email: str
    role: Literal['user', 'admin']
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None
    node_count: int


class AdminNodeOut(Model):
    address: str
    label: str | None
    gpu_type: str | None
    gpu_count: int | None
    region: str | None
    gcore_instance_id: str | None
    owner_id: int | None
    owner_email: str | None
    assigned_at: datetime | None
    status: str
    stale: bool
    fetched_at: datetime | None
    epoch_id: int | None
    weight: int | None
    inference_count: int | None
    missed_requests: int | None
    epoch_work: Amount | None
    created_at: datetime


class AssignIn(Model):
    user_id: int = Field(ge=1, le=2**31 - 1)  # a database id: anything larger could never exist
    address: str = Field(max_length=128)
    label: str | None = Field(None, max_length=200)
    gpu_type: str | None = Field(None, max_length=100)
    gpu_count: int | None = None
    region: str | None = Field(None, max_length=200)
    gcore_instance_id: str | None = Field(None, max_length=300)


class AssignOut(Model):
    address: str
    user_id: int
    node_created: bool
    known_to_network: bool | None
    warnings: list[str]


class UnassignOut(Model):
    address: str
    user_id: int | None
