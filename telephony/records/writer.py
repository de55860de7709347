"""A call's record writes, in order, off the event loop and off the frame path.

Writes are queued without waiting (a frame processor never blocks on the database)
and run one at a time in a thread; `aclose` waits for the queue to drain, so what
a call queued is written even when the call ends abruptly. A failed write is
logged and the call goes on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from loguru import logger

__all__ = ["RecordWriter"]


class RecordWriter:
    def __init__(self, name: str) -> None:
        self._name = name
        self._queue: asyncio.Queue[tuple[Callable[..., Any], tuple, dict] | None] = (
            asyncio.Queue())
        self._task = asyncio.get_running_loop().create_task(self._run())

    def put(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self._queue.put_nowait((fn, args, kwargs))

    async def _run(self) -> None:
        while (item := await self._queue.get()) is not None:
            fn, args, kwargs = item
            try:
                await asyncio.to_thread(fn, *args, **kwargs)
            except Exception as exc:  # a record that cannot be written must not end the call
                logger.error(f"{self._name}: could not write {fn.__name__}: {exc}")
            finally:
                self._queue.task_done()

    async def drain(self) -> None:
        """Wait until everything queued so far is written (the writer stays open)."""
        await self._queue.join()

    async def aclose(self) -> None:
        self._queue.put_nowait(None)
        await asyncio.shield(self._task)
