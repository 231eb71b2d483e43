"""English texts for the codes services raise about a field, shared by the pages (translated with ``_`` where
shown) and the API (English, in each error's ``details``). No UI imports: the standalone API uses them too."""

from __future__ import annotations

from collections.abc import Callable
from string import Formatter
from typing import Any

from minegnk.i18n.address_errors import describe_address_error


def N_(message: str) -> str:  # noqa: N802 - the gettext convention: marks a string for extraction
    return message


# English texts for the codes the request, catalog and profile services raise (translated when shown).
SERVICE_ERRORS = {
    'gpu_required': N_('Choose a GPU type.'),
    'gpu_unknown': N_('This GPU type is not available. Choose another one.'),
    'quantity_required': N_('Enter how many GPUs you need.'),
    'quantity_invalid': N_('Enter a whole number.'),
    'quantity_range': N_('Choose between 1 and 100 GPUs.'),
    'budget_invalid': N_('Enter an amount such as 1500 or 1500.50.'),
    'budget_not_positive': N_('The amount must be greater than zero.'),
    'budget_too_precise': N_('Use at most two decimal places.'),
    'budget_too_large': N_('This amount is too large.'),
    'budget_order': N_('The maximum must not be lower than the minimum.'),
    'network_unavailable': N_('This network is coming soon; only Gonka can be requested now.'),
    'network_invalid': N_('Choose a network.'),
    'region_invalid': N_('Choose a region.'),
    'comments_too_long': N_('Comments can be at most 2,000 characters long.'),
    'idempotency_key_invalid': N_('This form has expired. Reload the page and try again.'),
    'idempotency_conflict': N_('This form has expired. Reload the page and try again.'),
    'forbidden': N_("You don't have permission to do this."),
    'not_cancellable': N_('Only pending requests can be cancelled; this one has already been picked up.'),
    'transition_invalid': N_('This request has changed in the meantime. The list has been updated.'),
    'reason_required': N_('Give a reason for the rejection; the customer will see it.'),
    'reason_too_long': N_('The reason can be at most 2,000 characters long.'),
    'text_required': N_('Write something first.'),
    'text_too_long': N_('The text can be at most 2,000 characters long.'),
    'price_invalid': N_('Enter a price such as 2.50, or leave it empty for "contact sales".'),
    'price_not_positive': N_('The price must be greater than zero.'),
    'price_too_precise': N_('Use at most four decimal places.'),
    'price_too_large': N_('This price is too large.'),
    'order_invalid': N_('Enter a whole number.'),
    'name_invalid': N_('Enter a name of at most 100 characters.'),
    'code_invalid': N_('Use 1–32 letters, digits, "-" or "_".'),
    'code_taken': N_('This GPU type already exists.'),
    'vram_invalid': N_('Enter the memory in whole GB.'),
    'telegram_invalid': N_('A Telegram username has 5–32 letters, digits or underscores.'),
    'discord_invalid': N_('A Discord username has 2–32 lower-case letters, digits, "_" or "." (no "..").'),
    'currency_invalid': N_('Choose USD, EUR or GNK.'),
    'timezone_invalid': N_('Choose a time zone from the list.'),
    'language_invalid': N_('Choose a language from the list.'),
    'notifications_invalid': N_('These notification settings are not valid.'),
    'email_unchanged': N_('This is already your email address.'),
}


ADMIN_ERRORS = {
    'already_assigned': N_('This address is already assigned to {email}.'),
    'duplicate_in_paste': N_('Repeated in this paste (first on line {first_line}).'),
    'not_on_network': N_('The network does not list this address yet; it was assigned anyway.'),
    'not_assigned': N_('This address is not assigned to anyone.'),
    'user_not_found': N_('Choose an existing user.'),
    'label_too_long': N_('The label may have at most {limit} characters.'),
    'gpu_type_too_long': N_('The GPU type may have at most {limit} characters.'),
    'region_too_long': N_('The region may have at most {limit} characters.'),
    'gcore_instance_id_too_long': N_('The Gcore instance id may have at most {limit} characters.'),
    'gpu_count_invalid': N_('The GPU count must be a whole number from 1 to {limit}.'),
    'bulk_empty': N_('Paste at least one address.'),
    'bulk_too_many': N_('At most {limit} addresses at once (this paste has {count}).'),
    'rate_invalid': N_('Enter the rate as a number, for example 0.0123.'),
    'rate_not_positive': N_('The rate must be greater than zero.'),
    'rate_too_many_decimals': N_('The rate may have at most {limit} decimal places.'),
    'rate_too_many_digits': N_('The rate may have at most {limit} significant digits.'),
    'rate_too_large': N_('The rate is too large.'),
    'pair_invalid': N_('Choose a currency pair.'),
    'as_of_invalid': N_('Enter the date and time the rate is valid for.'),
    'as_of_future': N_('The "as of" time cannot be in the future.'),
    'role_invalid': N_('Unknown role.'),
}


def field_error_text(code: str, params: dict[str, Any] | None, _: Callable[..., str]) -> str | None:
    """The plain-language text for a service's field code, or None when there is none (or it needs a parameter the
    caller does not have)."""
    if code.startswith('address_'):
        return describe_address_error(code, params, _)
    message = SERVICE_ERRORS.get(code) or ADMIN_ERRORS.get(code)
    if message is None:
        return None
    needed = {name for _text, name, _spec, _conv in Formatter().parse(message) if name}
    values = {k: v for k, v in (params or {}).items() if k in needed and isinstance(v, str | int)}
    return _(message, **values) if needed <= values.keys() else None
