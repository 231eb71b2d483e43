"""Database work for UI handlers on a worker thread: blocking DB work never runs on the event loop of a UI handler."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nicegui import run

from minegnk.db.engine import session_scope


async def in_db(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Run ``fn(db, *args, **kwargs)`` in a unit of work on a worker thread (never on the event loop).

    Returns what ``fn`` returns, or None when the app is shutting down (as ``run.io_bound`` does)."""

    def work() -> Any:
        with session_scope() as db:
            return fn(db, *args, **kwargs)
    return await run.io_bound(work)
