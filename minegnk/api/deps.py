"""What every API route needs: the configured state, one unit of work per request, and who is calling.

Authentication is by ``Authorization: Bearer <access token>`` only. Cookies are never read here, so a browser that
is logged into the portal cannot be made to call the API on its owner's behalf (no CSRF exposure).

The database is synchronous (SQLAlchemy); a route's database work runs as one unit of work in one thread hop
(``db_call``). The hot path needs none: verified tokens, the principal of a token family and the caller's node list
are served from memory while fresh.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from minegnk.api.errors import ApiError, rate_limited, unauthenticated
from minegnk.api.ratelimit import Limits, MovingWindow, RateLimiters
from minegnk.api.readcache import UserNodesCache
from minegnk.api.tokens import AccessTokens, TokenError
from minegnk.db.engine import session_scope
from minegnk.services import api_tokens, assignment_events
from minegnk.services.api_tokens import Principal

R = TypeVar('R')
PRINCIPAL_TTL_S = 5.0  # how long a token family's user (role, active) is trusted from memory
PRINCIPAL_CACHE_MAX = 100_000


@dataclass
class ApiState:
    tokens: AccessTokens
    limiters: RateLimiters
    nodes: UserNodesCache
    principal_ttl_s: float = PRINCIPAL_TTL_S
    clock: Callable[[], float] = time.monotonic
    # family id -> (principal or None when revoked, expires at); a plain dict: revocations arrive from other threads
    principals: dict[str, tuple[Principal | None, float]] = field(default_factory=dict)

    def forget_families(self, families: frozenset[str]) -> None:
        for family in families:
            self.principals.pop(family, None)

    def forget_user_nodes(self, user_id: int) -> None:
        self.nodes.invalidate(user_id)


_state: ApiState | None = None


def configure(secret: str, *, limits: Limits | None = None, nodes_ttl_s: float = 5.0,
              principal_ttl_s: float = PRINCIPAL_TTL_S) -> ApiState:
    """(Re)build the API's process state: called once by each app that serves the API (and by each test app)."""
    global _state  # noqa: PLW0603
    old = _state
    if old is not None:
        assignment_events.assignments_changed.disconnect(old.forget_user_nodes)
    state = ApiState(tokens=AccessTokens(secret), limiters=(limits or Limits()).build(),
                     nodes=UserNodesCache(ttl_s=nodes_ttl_s), principal_ttl_s=principal_ttl_s)
    api_tokens.on_revoked(_forget_families)
    assignment_events.assignments_changed.connect(state.forget_user_nodes)
    _state = state
    return state


def _forget_families(families: frozenset[str]) -> None:
    if _state is not None:
        _state.forget_families(families)


def state() -> ApiState:
    if _state is None:
        raise RuntimeError('the API is not configured: call minegnk.api.deps.configure() first')
    return _state


def _unit_of_work(fn: Callable[..., R], args: tuple, kwargs: dict) -> R:
    with session_scope() as db:
        return fn(db, *args, **kwargs)


async def db_call(fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
    """Run ``fn(db, *args, **kwargs)`` as one unit of work (commit on success, rollback on error) off the loop."""
    return await run_in_threadpool(_unit_of_work, fn, args, kwargs)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else 'unknown'


def check_limit(window: MovingWindow, key: str) -> None:
    decision = window.hit(key)
    if not decision.allowed:
        raise rate_limited(decision.retry_after)


def bearer_token(request: Request) -> str:
    header = request.headers.get('authorization')
    if not header:
        raise unauthenticated()
    scheme, _, token = header.partition(' ')
    token = token.strip()
    if scheme.lower() != 'bearer' or not token:
        raise unauthenticated('token_invalid')
    return token


async def current_principal(request: Request) -> Principal:
    st = state()
    try:
        claims = st.tokens.verify(bearer_token(request))
    except TokenError as e:
        raise unauthenticated(e.code) from None
    now = st.clock()
    cached = st.principals.get(claims.family_id)
    if cached is not None and cached[1] > now:
        principal = cached[0]
    else:
        principal = await db_call(api_tokens.family_principal, claims.family_id, claims.user_id)
        if len(st.principals) >= PRINCIPAL_CACHE_MAX:
            st.principals.clear()
        st.principals[claims.family_id] = (principal, now + st.principal_ttl_s)
    if principal is None or principal.user_id != claims.user_id:
        raise unauthenticated('token_revoked')
    check_limit(st.limiters.token, claims.family_id)
    return principal


async def admin_principal(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    if not principal.is_admin:
        raise ApiError(403, 'forbidden')
    return principal


CurrentUser = Annotated[Principal, Depends(current_principal)]
Admin = Annotated[Principal, Depends(admin_principal)]
