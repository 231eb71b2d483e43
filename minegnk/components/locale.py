"""The UI's translation functions. The language of the current page lives in the client's storage."""

from __future__ import annotations

from nicegui import app, context

from minegnk import i18n


def current_language() -> str:
    try:
        return app.storage.client.get('language', i18n.DEFAULT_LANGUAGE)
    except RuntimeError:  # outside a UI context (e.g. a plain HTTP route)
        return i18n.DEFAULT_LANGUAGE


def set_page_language(language: str) -> None:
    app.storage.client['language'] = language if language in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE
    context.client.language = app.storage.client['language']  # <html lang> and Quasar's own texts


def _(message: str, **params: object) -> str:
    """Translate an English UI string into the page's language."""
    return i18n.translate(current_language(), message, **params)


def _n(singular: str, plural: str, n: int, **params: object) -> str:
    return i18n.translate_plural(current_language(), singular, plural, n, **params)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark a string for translation where it is defined; ``_`` translates it where it is shown."""
    return message
