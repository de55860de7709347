"""The server's logs: one stream, as text or as JSON lines, with the call they concern as fields.

``configure_logging`` sets loguru up once at the edge (``frontdesk serve``) and sends the standard
library's records (uvicorn's access and error logs, httpx, pipecat's dependencies) through it, so
every line has one format. ``FRONTDESK_LOG_FORMAT=json`` (on in the Docker image) writes one
JSON object a line: ``time``, ``level``, ``logger``, ``message``, and the fields bound to it:
``call_sid`` and ``stream_sid`` for everything a call's tasks log (``call_context``), and a
turn's ``turn``, ``latency_ms``, ``intent``, ``route``... on the one line each turn writes
(``telephony.call.session``). Settings are never logged; the values a line carries are the ones
its code binds, and no code binds a secret.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from loguru import logger

__all__ = ["call_context", "configure_logging", "json_line"]

TEXT_FORMAT = ("<green>{time:YYYY-MM-DD HH:mm:ss.SSS}</green> | <level>{level: <8}</level> | "
               "<cyan>{extra[_logger]}</cyan> - <level>{message}</level>{extra[_fields]}")
# Loggers of the standard library that would otherwise write in their own format.
STDLIB_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "fastapi")


def json_line(record: dict[str, Any]) -> str:
    """One loguru record as a JSON object (a pure function of the record)."""
    data: dict[str, Any] = {
        "time": record["time"].isoformat(timespec="milliseconds"),
        "level": record["level"].name,
        "logger": record["extra"].get("_logger") or record["name"],
        "message": record["message"],
    }
    data.update((k, v) for k, v in record["extra"].items() if not k.startswith("_"))
    if record["exception"] is not None:
        kind, value, tb = record["exception"]
        data["exception"] = "".join(traceback.format_exception(kind, value, tb))
    return json.dumps(data, ensure_ascii=False, default=str)


def _json_sink(stream: TextIO) -> Callable[[Any], None]:
    def write(message: Any) -> None:
        stream.write(json_line(message.record) + "\n")
        stream.flush()
    return write


def _text_fields(record: dict[str, Any]) -> bool:
    """Shows the bound fields after a text line's message ("call_sid=CA...") and the standard
    library's logger name; always keeps the line."""
    extra = record["extra"]
    fields = " ".join(f"{k}={v}" for k, v in extra.items() if not k.startswith("_"))
    extra["_fields"] = f" [{fields}]" if fields else ""
    extra.setdefault("_logger", record["name"])
    return True


class _ToLoguru(logging.Handler):
    """A standard-library record, written by loguru (loguru's own recipe)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        logger.bind(_logger=record.name).opt(exception=record.exc_info).log(
            level, record.getMessage())


def configure_logging(level: str, fmt: str, stream: TextIO = sys.stderr) -> None:
    """Every log line of the process to ``stream``, at ``level`` and up, as text or JSON."""
    logger.remove()
    if fmt == "json":
        logger.add(_json_sink(stream), level=level, backtrace=False, diagnose=False)
    else:
        logger.add(stream, level=level, format=TEXT_FORMAT, filter=_text_fields,
                   diagnose=False)
    handler = _ToLoguru()
    # Other libraries' warnings and errors only (faster-whisper logs each transcription at
    # INFO, httpx each request); uvicorn's own loggers keep the levels uvicorn gives them.
    logging.basicConfig(handlers=[handler], level=logging.WARNING, force=True)
    for name in STDLIB_LOGGERS:
        std = logging.getLogger(name)
        std.handlers, std.propagate = [handler], False


@contextmanager
def call_context(call_sid: str, stream_sid: str) -> Iterator[None]:
    """Within it (and in the tasks and threads it starts), every line carries the call."""
    with logger.contextualize(call_sid=call_sid, stream_sid=stream_sid):
        yield
