"""Password hashing (argon2id via pwdlib, bcrypt accepted for old hashes) and the password policy."""

from __future__ import annotations

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher

MIN_LENGTH = 10
MAX_LENGTH = 128

_hasher = PasswordHash((Argon2Hasher(), BcryptHasher()))

# A small list of the most common passwords of 10+ characters (shorter ones fail the length rule anyway).
COMMON_PASSWORDS = frozenset({
    '1234567890', '0123456789', '12345678910', '123456789a', '1q2w3e4r5t', '1qaz2wsx3edc', 'qwertyuiop',
    'qwerty1234', 'qwerty12345', 'qwerty123456', 'password12', 'password123', 'password1234', 'passw0rd123',
    'iloveyou123', 'administrator', 'adminadmin', 'admin12345', 'admin123456', 'letmein123', 'welcome123',
    'football123', 'baseball123', 'monkey12345', 'dragon12345', 'sunshine123', 'princess123', 'abc1234567',
    'abcdefghij', 'aaaaaaaaaa', '1111111111', '0000000000', '9876543210', 'zaq12wsxcde', 'asdfghjkl1',
    'trustno1234', 'changeme123', 'p@ssw0rd123', 'p@ssword123', 'passwordpassword', 'gonkagonka', 'minegnk123',
    'demo-password',
})


class PasswordPolicyError(ValueError):
    """The password breaks a rule; ``code`` says which (translated by the caller)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def check_policy(password: str, *, email: str | None = None, allow_demo: bool = False) -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordPolicyError('password_too_short')
    if len(password) > MAX_LENGTH:
        raise PasswordPolicyError('password_too_long')
    if email and password.strip().lower() == email.strip().lower():
        raise PasswordPolicyError('password_equals_email')
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS and not (allow_demo and lowered == 'demo-password'):
        raise PasswordPolicyError('password_too_common')
    if len(set(password)) < 4:
        raise PasswordPolicyError('password_too_common')


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> tuple[bool, str | None]:
    """Returns (valid, new_hash); new_hash is set when an old (e.g. bcrypt) hash should be upgraded to argon2id."""
    try:
        return _hasher.verify_and_update(password, password_hash)
    except Exception:  # an unparseable stored hash never authenticates
        return False, None


# Verified against when the account does not exist, so both paths cost the same time (no account enumeration).
DUMMY_HASH = _hasher.hash('not-a-real-password-but-the-same-cost')
