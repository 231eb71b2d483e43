"""Auth: register, log in (access + refresh token), refresh (rotation), log out, who am I."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from minegnk.api import deps
from minegnk.api.deps import CurrentUser, check_limit, client_ip, db_call
from minegnk.api.errors import ApiError, ApiRoute, invalid, rate_limited, responses
from minegnk.api.schemas import LoginIn, Me, RefreshIn, RegisterIn, TokenPair
from minegnk.services import accounts, api_tokens, profile
from minegnk.services.accounts import AccountError
from minegnk.services.api_tokens import IssuedRefresh, RefreshError

router = APIRouter(prefix='/auth', tags=['auth'], route_class=ApiRoute)
NO_STORE = {'Cache-Control': 'no-store'}


def _pair(issued: IssuedRefresh, status: int = 200) -> JSONResponse:
    tokens = deps.state().tokens
    access, _claims = tokens.issue(issued.user_id, issued.family_id)
    body = TokenPair(access_token=access, expires_in=tokens.lifetime_s, refresh_token=issued.token,
                     refresh_expires_at=issued.expires_at)
    return JSONResponse(body.model_dump(mode='json'), status_code=status, headers=NO_STORE)


def _account_key(email: str) -> str:
    return (email or '').strip().lower()[:320]


def _register(db, email: str, password: str, language: str | None, ip: str) -> IssuedRefresh:  # noqa: ANN001
    user = accounts.register(db, email, password, language=language, ip=ip)
    return api_tokens.issue_family(db, user.id)


@router.post('/register', status_code=201, response_model=TokenPair, responses=responses(422, 429),
             summary='Create an account and log in')
async def register(body: RegisterIn, request: Request) -> JSONResponse:
    st, ip = deps.state(), client_ip(request)
    check_limit(st.limiters.register_ip, ip)
    check_limit(st.limiters.register_account, _account_key(body.email))
    try:
        issued = await db_call(_register, body.email, body.password, body.language, ip)
    except AccountError as e:
        raise invalid({e.field or 'email': e.code}) from None
    return _pair(issued, 201)


@router.post('/login', response_model=TokenPair, responses=responses(401, 422, 429),
             summary='Log in: an access token (15 min) and a refresh token (30 days, single use)')
async def login(body: LoginIn, request: Request) -> JSONResponse:
    st, ip = deps.state(), client_ip(request)
    check_limit(st.limiters.login_ip, ip)
    check_limit(st.limiters.login_account, _account_key(body.email))
    try:
        issued = await db_call(api_tokens.login, body.email, body.password, ip=ip)
    except AccountError as e:
        if e.retry_after is not None:  # the portal's lockout (per account or per address)
            error = rate_limited(e.retry_after)
            error.code, error.message = e.code, ApiError(429, e.code).message
            raise error from None
        raise ApiError(401, 'invalid_credentials', headers={'WWW-Authenticate': 'Bearer'}) from None
    return _pair(issued)


@router.post('/refresh', response_model=TokenPair, responses=responses(401, 422, 429),
             summary='Exchange a refresh token for a new pair (the old refresh token stops working)')
async def refresh(body: RefreshIn, request: Request) -> JSONResponse:
    check_limit(deps.state().limiters.refresh_ip, client_ip(request))
    try:
        issued = await db_call(api_tokens.rotate, body.refresh_token)
    except RefreshError as e:
        raise ApiError(401, f'refresh_{e.code}') from None
    return _pair(issued)


@router.post('/logout', status_code=204, response_class=Response, responses=responses(422, 429),
             summary='End the login of a refresh token (all its tokens; access tokens stop within seconds)')
async def logout(body: RefreshIn, request: Request) -> Response:
    check_limit(deps.state().limiters.refresh_ip, client_ip(request))
    await db_call(api_tokens.logout, body.refresh_token)
    return Response(status_code=204, headers=NO_STORE)


@router.get('/me', response_model=Me, responses=responses(401, 429), summary='The calling user')
async def me(principal: CurrentUser) -> Me:
    try:
        view = await db_call(profile.get_profile, principal.user_id)
    except AccountError:  # deactivated or deleted a moment ago
        raise ApiError(401, 'token_revoked') from None
    return Me(id=view.user_id, email=view.email, role=view.role, language=view.language, timezone=view.timezone,
              currency=view.currency, created_at=view.created_at, last_login_at=view.last_login_at)
