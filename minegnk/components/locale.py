"""The UI's translation functions. The language of the current page lives in the client's storage."""

from __future__ import annotations

import copy

from nicegui import app, context

from minegnk import i18n

QUASAR_LANGUAGES = {'en': 'en-US', 'ru': 'ru'}  # our language codes -> NiceGUI's (Quasar's) language names


def current_language() -> str:
    try:
        return app.storage.client.get('language', i18n.DEFAULT_LANGUAGE)
    except RuntimeError:  # outside a UI context (e.g. a plain HTTP route)
        return i18n.DEFAULT_LANGUAGE


def set_page_language(language: str) -> None:
    language = language if language in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE
    app.storage.client['language'] = language
    # NiceGUI takes <html lang> and Quasar's own texts (table pagination, "No data") from the page object, which all
    # visitors of a route share: this client gets its own copy in its language.
    client = context.client
    client.page = copy.copy(client.page)
    client.page.language = QUASAR_LANGUAGES[language]


def _(message: str, **params: object) -> str:
    """Translate an English UI string into the page's language."""
    return i18n.translate(current_language(), message, **params)


def _n(singular: str, plural: str, n: int, **params: object) -> str:
    return i18n.translate_plural(current_language(), singular, plural, n, **params)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark a string for translation where it is defined; ``_`` translates it where it is shown."""
    return message
