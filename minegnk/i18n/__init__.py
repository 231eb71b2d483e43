"""Translations. Source strings are English; other languages come from gettext catalogs (``locale/<lang>/LC_MESSAGES/messages.po``).

Pure functions of (language, message): the UI decides the language (``minegnk.components.locale``).
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

LANGUAGES = {'en': 'English', 'ru': 'Русский'}
DEFAULT_LANGUAGE = 'en'
LOCALE_DIR = Path(__file__).parent / 'locale'


@lru_cache(maxsize=None)
def catalog(language: str) -> Catalog | None:
    path = LOCALE_DIR / language / 'LC_MESSAGES' / 'messages.po'
    if not path.exists():
        return None
    with path.open('rb') as f:
        return read_po(f, locale=language)


@lru_cache(maxsize=4096)
def _lookup(language: str, msgid: str) -> str:
    cat = catalog(language) if language != DEFAULT_LANGUAGE else None
    message = cat.get(msgid) if cat is not None else None
    if message is None or not message.string or message.fuzzy:
        return msgid
    return message.string if isinstance(message.string, str) else message.string[0]


def translate(language: str, msgid: str, **params: object) -> str:
    text = _lookup(language, msgid)
    return text.format(**params) if params else text


def translate_plural(language: str, singular: str, plural: str, n: int, **params: object) -> str:
    """Plural forms follow the language's rules (Russian has three)."""
    cat = catalog(language) if language != DEFAULT_LANGUAGE else None
    message = cat.get((singular, plural)) if cat is not None else None
    if message is None or not isinstance(message.string, tuple) or not all(message.string):
        text = singular if n == 1 else plural
    else:
        index = _plural_index(cat.plural_expr, n)
        text = message.string[min(index, len(message.string) - 1)]
    return text.format(n=n, **params)


@lru_cache(maxsize=None)
def _plural_rule(expression: str):
    return gettext.c2py(expression)


def _plural_index(expression: str, n: int) -> int:
    """Which plural form the catalog's gettext rule picks for ``n`` (Babel's Catalog has no callable for it)."""
    return _plural_rule(expression)(n)


def negotiate(accept_language: str | None) -> str:
    """Pick a supported language from an HTTP Accept-Language header."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    ranked: list[tuple[float, str]] = []
    for index, part in enumerate(accept_language.split(',')):
        pieces = part.strip().split(';')
        tag = pieces[0].strip().lower()
        quality = 1.0
        for piece in pieces[1:]:
            if piece.strip().startswith('q='):
                try:
                    quality = float(piece.strip()[2:])
                except ValueError:
                    quality = 0.0
        ranked.append((-quality, index, tag))  # type: ignore[arg-type]
    for _, _, tag in sorted(ranked):  # type: ignore[misc]
        base = tag.split('-')[0]
        if base in LANGUAGES:
            return base
    return DEFAULT_LANGUAGE


def babel_locale(language: str) -> Locale:
    return Locale.parse(language if language in LANGUAGES else DEFAULT_LANGUAGE)
