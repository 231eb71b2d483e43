"""Why an address was refused, in plain words: the admin pages (in the reader's language) and the API (English) say
the same thing for each rule of services.addresses (codes with parameters from ``InvalidAddress``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from minegnk.services.addresses import ADDRESS_LENGTH


def shown_character(char: Any) -> str:
    text = str(char or '')
    if len(text) == 1 and text.isprintable() and not text.isspace():
        return f"'{text}'"
    return f'U+{ord(text):04X}' if len(text) == 1 else '?'


def describe_address_error(code: str, params: dict[str, Any] | None, _: Callable[..., str]) -> str:
    """One refused address in plain words. ``code`` is the rule (``wrong_prefix``; an ``address_`` prefix is
    ignored); ``_`` translates into the reader's language and fills in the parameters."""
    code = code.removeprefix('address_')
    p = params or {}
    if code == 'empty':
        return _('Enter an address.')
    if code == 'mixed_case':
        return _('The address mixes upper- and lower-case letters; an address is all lower case (or all upper case).')
    if code == 'wrong_prefix':
        if p.get('validator'):
            return _("This is a validator operator address; enter the account address, which starts with 'gonka1'.")
        if p.get('prefix'):
            return _("The address must start with 'gonka1', not '{prefix}'.", prefix=str(p['prefix']))
        return _("The address must start with 'gonka1'.")
    if code == 'invalid_characters':
        if p.get('position') is not None:
            char = str(p.get('char') or '')
            if char.isspace():
                return _('The address has a space at position {position}; remove it.', position=p['position'])
            if len(char) == 1 and 33 <= ord(char) <= 126:
                return _("Invalid character {char} at position {position}: after 'gonka1' an address uses only "
                         "digits and lower-case letters except 1, b, i and o.",
                         char=shown_character(char), position=p['position'])
            return _('Invalid character {char} at position {position}: an address has no spaces or non-ASCII '
                     'characters.', char=shown_character(char), position=p['position'])
        return _('The address contains characters that never occur in an address: {chars}',
                 chars=str(p.get('chars') or '?'))
    if code == 'wrong_length':
        length, expected = p.get('length'), p.get('expected') or ADDRESS_LENGTH
        if isinstance(length, int) and length > expected:
            return _('The address is too long: a gonka address has {expected} characters, this one has {length}.',
                     expected=expected, length=length)
        if isinstance(length, int):
            return _('The address is too short: a gonka address has {expected} characters, this one has {length}.',
                     expected=expected, length=length)
        return _('A gonka address has {expected} characters.', expected=expected)
    if code == 'bad_checksum':
        return _('The checksum does not match: a character is wrong, missing or swapped. Copy the address again '
                 'from where it came from.')
    return _('The address is not valid.')


def english(message: str, **params: Any) -> str:
    """The ``_`` for English-only readers (the API): the message itself, filled in."""
    return message.format(**params) if params else message
