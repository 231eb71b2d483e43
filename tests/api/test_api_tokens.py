"""Access and refresh tokens: expiry, tampering, algorithm pinning, claims, rotation, reuse detection, revocation."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey
from sqlalchemy import select

from minegnk.api import deps
from minegnk.api.tokens import AccessTokens, TokenError
from minegnk.config import get_settings
from minegnk.db.engine import session_scope
from minegnk.db.models import ApiRefreshToken, utcnow
from minegnk.services import accounts, api_tokens
from tests.api.conftest import PASSWORD

ME = '/api/v1/auth/me'


def b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b'=').decode()


def claims_for(account, **overrides) -> dict:
    now = int(time.time())
    claims = {'iss': 'minegnk', 'sub': str(account.id), 'sid': account.family, 'jti': 'x' * 32, 'iat': now,
              'exp': now + 600}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def sign(claims: dict, *, alg: str = 'HS256', secret: str | None = None, header: dict | None = None) -> str:
    key = OctKey.import_key(secret or get_settings().resolved_secret('jwt_secret'))
    return jwt.encode(header or {'alg': alg, 'typ': 'JWT'}, claims, key, algorithms=[alg])


async def me(client, token: str):
    return await client.get(ME, headers={'Authorization': f'Bearer {token}'})


async def test_a_valid_token_works_and_its_claims_are_the_documented_ones(client, alice):
    assert (await me(client, alice.token)).json()['email'] == 'alice@example.com'
    payload = json.loads(base64.urlsafe_b64decode(alice.token.split('.')[1] + '=='))
    header = json.loads(base64.urlsafe_b64decode(alice.token.split('.')[0] + '=='))
    assert header == {'alg': 'HS256', 'typ': 'JWT'}
    assert set(payload) == {'iss', 'sub', 'sid', 'jti', 'iat', 'exp'}
    assert payload['exp'] - payload['iat'] == 15 * 60 and payload['sub'] == str(alice.id)


@pytest.mark.parametrize(('case', 'code'), [
    ('expired', 'token_expired'),
    ('tampered_signature', 'token_invalid'),
    ('tampered_payload', 'token_invalid'),
    ('alg_none', 'token_invalid'),
    ('alg_hs512', 'token_invalid'),
    ('alg_hs256_other_secret', 'token_invalid'),
    ('missing_jti', 'token_invalid'),
    ('missing_exp', 'token_invalid'),
    ('wrong_issuer', 'token_invalid'),
    ('iat_in_future', 'token_invalid'),
    ('lifetime_too_long', 'token_invalid'),
    ('sub_not_a_user_id', 'token_invalid'),
    ('other_users_family', 'token_revoked'),
    ('garbage', 'token_invalid'),
])
async def test_bad_access_tokens_are_refused_with_401(client, alice, bob, case, code):
    now = int(time.time())
    token = {
        'expired': lambda: sign(claims_for(alice, iat=now - 1000, exp=now - 100)),
        'tampered_signature': lambda: alice.token[:-2] + ('AA' if not alice.token.endswith('AA') else 'BB'),
        'tampered_payload': lambda: '.'.join([alice.token.split('.')[0], b64(claims_for(alice, sub=str(bob.id))),
                                              alice.token.split('.')[2]]),
        'alg_none': lambda: f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims_for(alice))}.",
        'alg_hs512': lambda: sign(claims_for(alice), alg='HS512'),
        'alg_hs256_other_secret': lambda: sign(claims_for(alice), secret='another-secret-' + 'x' * 40),
        'missing_jti': lambda: sign(claims_for(alice, jti=None)),
        'missing_exp': lambda: sign(claims_for(alice, exp=None)),
        'wrong_issuer': lambda: sign(claims_for(alice, iss='someone-else')),
        'iat_in_future': lambda: sign(claims_for(alice, iat=now + 300, exp=now + 900)),
        'lifetime_too_long': lambda: sign(claims_for(alice, exp=now + 86_400)),
        'sub_not_a_user_id': lambda: sign(claims_for(alice, sub='alice')),
        'other_users_family': lambda: sign(claims_for(alice, sid=bob.family)),  # a valid signature is not enough
        'garbage': lambda: 'not.a.jwt',
    }[case]()
    response = await me(client, token)
    assert response.status_code == 401, case
    assert response.json()['error']['code'] == code
    assert response.headers['www-authenticate'] == 'Bearer'


async def test_missing_or_non_bearer_authorization_is_401(client, alice):
    assert (await client.get(ME)).json()['error']['code'] == 'unauthenticated'
    for header in (f'Basic {alice.token}', 'Bearer', f'Token {alice.token}'):
        response = await client.get(ME, headers={'Authorization': header})
        assert response.status_code == 401 and response.json()['error']['code'] == 'token_invalid'


def test_a_remembered_token_still_expires():
    tokens = AccessTokens('s' * 48, lifetime_s=60)
    start = int(time.time())
    token, claims = tokens.issue(7, 'family', now=start)
    assert tokens.verify(token, now=start + 30).user_id == 7  # verified once, then remembered
    with pytest.raises(TokenError) as error:
        tokens.verify(token, now=start + 60)
    assert error.value.code == 'token_expired'
    with pytest.raises(TokenError):
        tokens.verify(token[:-1] + ('A' if token[-1] != 'A' else 'B'), now=start + 30)


async def login(client, email: str = 'alice@example.com') -> dict:
    response = await client.post('/api/v1/auth/login', json={'email': email, 'password': PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()


async def refresh(client, token: str):
    return await client.post('/api/v1/auth/refresh', json={'refresh_token': token})


async def test_refresh_rotates_and_the_stored_token_is_only_a_hash(client, alice):
    first = await login(client)
    response = await refresh(client, first['refresh_token'])
    assert response.status_code == 200 and response.headers['cache-control'] == 'no-store'
    second = response.json()
    assert second['refresh_token'] != first['refresh_token'] and second['access_token'] != first['access_token']
    assert (await me(client, second['access_token'])).status_code == 200
    with session_scope() as db:
        rows = db.scalars(select(ApiRefreshToken).where(ApiRefreshToken.user_id == alice.id)
                          .order_by(ApiRefreshToken.id)).all()
        stored = {r.token_hash for r in rows}
        assert first['refresh_token'] not in stored and api_tokens.hash_token(first['refresh_token']) in stored
        login_rows = [r for r in rows if r.family_id == rows[-1].family_id]
        assert len(login_rows) == 2 and login_rows[0].rotated_at is not None and login_rows[1].rotated_at is None
        assert timedelta(days=29, hours=23) < login_rows[1].expires_at - utcnow() <= timedelta(days=30)


async def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(client, alice):
    first = await login(client)
    second = (await refresh(client, first['refresh_token'])).json()
    other_login = await login(client)  # a separate family must survive
    reuse = await refresh(client, first['refresh_token'])
    assert reuse.status_code == 401 and reuse.json()['error']['code'] == 'refresh_reused'
    # the thief's (or the client's) newer tokens die with the family
    assert (await refresh(client, second['refresh_token'])).json()['error']['code'] == 'refresh_revoked'
    assert (await me(client, second['access_token'])).json()['error']['code'] == 'token_revoked'
    assert (await me(client, other_login['access_token'])).status_code == 200
    assert (await refresh(client, other_login['refresh_token'])).status_code == 200
    with session_scope() as db:
        reasons = set(db.scalars(select(ApiRefreshToken.revoked_reason)))
    assert 'reuse_detected' in reasons


async def test_unknown_and_expired_refresh_tokens(client, alice):
    assert (await refresh(client, 'nope')).json()['error']['code'] == 'refresh_invalid'
    pair = await login(client)
    with session_scope() as db:
        row = db.scalar(select(ApiRefreshToken).where(
            ApiRefreshToken.token_hash == api_tokens.hash_token(pair['refresh_token'])))
        row.expires_at = utcnow() - timedelta(seconds=1)
    response = await refresh(client, pair['refresh_token'])
    assert response.status_code == 401 and response.json()['error']['code'] == 'refresh_expired'


async def test_logout_revokes_the_refresh_token_and_its_access_tokens(client, alice):
    pair = await login(client)
    assert (await me(client, pair['access_token'])).status_code == 200  # now remembered in memory
    response = await client.post('/api/v1/auth/logout', json={'refresh_token': pair['refresh_token']})
    assert response.status_code == 204
    assert (await me(client, pair['access_token'])).json()['error']['code'] == 'token_revoked'
    assert (await refresh(client, pair['refresh_token'])).json()['error']['code'] == 'refresh_revoked'
    assert (await me(client, alice.token)).status_code == 200  # another login of the same user is untouched
    # logging out twice, or with an unknown token, is not an error and reveals nothing
    assert (await client.post('/api/v1/auth/logout', json={'refresh_token': 'unknown'})).status_code == 204


async def test_password_change_revokes_every_api_login(client, alice):
    pair = await login(client)
    assert (await me(client, pair['access_token'])).status_code == 200
    with session_scope() as db:
        accounts.change_password(db, alice.id, PASSWORD, 'a brand new passphrase', keep_token_hash=None)
    for token in (pair['access_token'], alice.token):
        assert (await me(client, token)).json()['error']['code'] == 'token_revoked'
    assert (await refresh(client, pair['refresh_token'])).json()['error']['code'] == 'refresh_revoked'
    with session_scope() as db:
        assert set(db.scalars(select(ApiRefreshToken.revoked_reason))) == {'password_change'}


async def test_deactivation_revokes_every_api_login(client, alice, admin):
    assert (await me(client, alice.token)).status_code == 200
    with session_scope() as db:
        accounts.set_active(db, actor_id=admin.id, user_id=alice.id, active=False)
    assert (await me(client, alice.token)).json()['error']['code'] == 'token_revoked'
    assert (await refresh(client, alice.refresh)).json()['error']['code'] == 'refresh_revoked'
    response = await client.post('/api/v1/auth/login', json={'email': alice.email, 'password': PASSWORD})
    assert response.status_code == 401 and response.json()['error']['code'] == 'invalid_credentials'


async def test_another_process_sees_a_revocation_within_the_principal_ttl(client, alice, monkeypatch):
    """A revocation made elsewhere (another worker) reaches this process when its memory of the family expires."""
    assert (await me(client, alice.token)).status_code == 200
    with session_scope() as db:  # revoke without telling this process's cache
        db.query(ApiRefreshToken).filter(ApiRefreshToken.family_id == alice.family).update(
            {'revoked_at': utcnow(), 'revoked_reason': 'logout'})
    assert (await me(client, alice.token)).status_code == 200  # still remembered
    state = deps.state()
    now = state.clock()
    monkeypatch.setattr(state, 'clock', lambda: now + state.principal_ttl_s + 0.1)
    assert (await me(client, alice.token)).json()['error']['code'] == 'token_revoked'
