"""English texts for the error codes that services raise (translated with ``_`` when shown)."""

from __future__ import annotations

from minegnk.components.locale import N_, _

ERROR_MESSAGES = {
    'email_invalid': N_('Enter a valid email address.'),
    'email_taken': N_('An account with this email already exists.'),
    'password_too_short': N_('The password must be at least 10 characters long.'),
    'password_too_long': N_('The password must be at most 128 characters long.'),
    'password_equals_email': N_('The password must not be your email address.'),
    'password_too_common': N_('This password is too common. Choose a less predictable one.'),
    'passwords_differ': N_('The two passwords do not match.'),
    'invalid_credentials': N_('Invalid email or password.'),
    'account_disabled': N_('This account has been deactivated. Contact support.'),
    'account_locked': N_('Too many failed attempts for this account. Try again in {minutes} min.'),
    'too_many_attempts_ip': N_('Too many failed attempts from your network. Try again in {minutes} min.'),
    'current_password_wrong': N_('The current password is wrong.'),
    'last_admin': N_('This is the last administrator; make someone else an admin first.'),
    'not_found': N_('Not found.'),
}


def error_text(code: str, *, retry_after: int | None = None) -> str:
    message = ERROR_MESSAGES.get(code, 'Something went wrong. Please try again.')
    minutes = max(1, -(-(retry_after or 60) // 60))
    return _(message, minutes=minutes) if '{minutes}' in message else _(message)
