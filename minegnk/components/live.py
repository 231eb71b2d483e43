"""The bridge from the background refresh to open pages: one Event, emitted after every refresh cycle."""

from __future__ import annotations

from nicegui import Event

# Pages subscribe inside their UI context (so the subscription ends with the page) and refresh in place.
data_refreshed: Event = Event()
