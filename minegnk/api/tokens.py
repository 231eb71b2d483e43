"""Access tokens: JWT, HS256 only, 15 minutes, claims ``sub`` ``exp`` ``iat`` ``jti`` plus ``sid`` (the refresh-token
family, so an access token dies with its login) and ``iss``.

joserfc's ``decode`` checks the signature and the algorithm (pinned to HS256: ``none``, RS256 and friends are
refused) but not the claims; every claim is validated explicitly afterwards, expiry included (engineering notes
§5.2). Refresh tokens are not JWTs: they are random strings kept hashed by ``minegnk.services.api_tokens``.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from cachetools import LRUCache
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import OctKey

ALGORITHM = 'HS256'
ISSUER = 'minegnk'
ACCESS_LIFETIME_S = 15 * 60
LEEWAY_S = 30  # clock skew tolerated on iat
MAX_TOKEN_LENGTH = 4096


class TokenError(ValueError):
    """``code``: token_invalid or token_expired."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: int
    family_id: str
    jti: str
    issued_at: int
    expires_at: int


class AccessTokens:
    """Signs and verifies access tokens with one secret.

    Verified tokens are remembered (token text → claims) until they expire: HMAC verification is a pure function of
    the token and the key, so a repeat of the same token needs no second check, only the expiry test done on every
    call. That keeps the per-request cost of authentication near zero for a client that reuses its token.
    """

    def __init__(self, secret: str, *, lifetime_s: int = ACCESS_LIFETIME_S, cache_size: int = 50_000) -> None:
        if not secret:
            raise ValueError('a JWT secret is required')
        self._key = OctKey.import_key(secret)
        self.lifetime_s = lifetime_s
        self._verified: LRUCache[str, AccessClaims] = LRUCache(maxsize=cache_size)
        self._registry = jwt.JWTClaimsRegistry(
            leeway=0,
            iss={'essential': True, 'value': ISSUER},
            sub={'essential': True},
            exp={'essential': True},
            iat={'essential': True},
            jti={'essential': True},
            sid={'essential': True},
        )

    def issue(self, user_id: int, family_id: str, *, now: int | None = None) -> tuple[str, AccessClaims]:
        issued = int(now if now is not None else time.time())
        claims = AccessClaims(user_id=user_id, family_id=family_id, jti=uuid.uuid4().hex, issued_at=issued,
                              expires_at=issued + self.lifetime_s)
        token = jwt.encode({'alg': ALGORITHM, 'typ': 'JWT'},
                           {'iss': ISSUER, 'sub': str(user_id), 'sid': family_id, 'jti': claims.jti,
                            'iat': claims.issued_at, 'exp': claims.expires_at},
                           self._key, algorithms=[ALGORITHM])
        return token, claims

    def verify(self, token: str, *, now: float | None = None) -> AccessClaims:
        current = now if now is not None else time.time()
        claims = self._verified.get(token)
        if claims is None:
            claims = self._verify_fully(token, current)
            self._verified[token] = claims
        if claims.expires_at <= current:
            self._verified.pop(token, None)
            raise TokenError('token_expired')
        return claims

    def _verify_fully(self, token: str, now: float) -> AccessClaims:
        if not token or len(token) > MAX_TOKEN_LENGTH or token.count('.') != 2:
            raise TokenError('token_invalid')
        try:
            decoded = jwt.decode(token, self._key, algorithms=[ALGORITHM])
        except (JoseError, ValueError, TypeError, KeyError):
            raise TokenError('token_invalid') from None
        if decoded.header.get('alg') != ALGORITHM or set(decoded.header) - {'alg', 'typ'}:
            raise TokenError('token_invalid')
        claims = decoded.claims
        try:
            self._registry.validate(claims)
        except ExpiredTokenError:
            raise TokenError('token_expired') from None
        except (JoseError, ValueError, TypeError):
            raise TokenError('token_invalid') from None
        exp, iat, sub = claims.get('exp'), claims.get('iat'), claims.get('sub')
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (exp, iat)):
            raise TokenError('token_invalid')
        if exp <= now:
            raise TokenError('token_expired')
        if iat > now + LEEWAY_S or exp - iat > self.lifetime_s:
            raise TokenError('token_invalid')
        if not isinstance(sub, str) or not sub.isdigit() or len(sub) > 18:
            raise TokenError('token_invalid')
        sid, jti = claims.get('sid'), claims.get('jti')
        if not isinstance(sid, str) or not sid or len(sid) > 36 or not isinstance(jti, str) or not jti:
            raise TokenError('token_invalid')
        return AccessClaims(user_id=int(sub), family_id=sid, jti=jti, issued_at=iat, expires_at=exp)
