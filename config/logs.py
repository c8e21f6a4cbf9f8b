"""Log lines: plain text for `make run`, one JSON object per line in
production (LOG_FORMAT=json), each carrying the request it belongs to.

    {"time": "...", "level": "INFO", "logger": "request", "message": "GET /api/v1/scan/ 200",
     "request_id": "...", "user_id": 7, "event_id": 3, "path": "/api/v1/scan/",
     "status": 200, "duration_ms": 4.1}

The request id, user id and event id live in context variables for the
request (config/request_log.py binds them), for a Celery task (bound from
its message's headers, below), and for an import thread (copied into it).
Lines say ids, never names, emails, codes or tokens
(config/tests/test_logs.py checks).

This module is imported by the settings: nothing here may need Django set up.
"""

from __future__ import annotations

import contextvars
import logging
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
user_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("user_id", default=None)
event_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("event_id", default=None)

CONTEXT: dict[str, contextvars.ContextVar[Any]] = {
    "request_id": request_id,
    "user_id": user_id,
    "event_id": event_id,
}
# The Celery message header that carries the request id to the worker.
REQUEST_ID_HEADER = "request_id"


class ContextFilter(logging.Filter):
    """Put the bound request id, user id and event id on every record (a
    value passed with `extra=` wins: a line logged for another request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in CONTEXT.items():
            if getattr(record, name, None) is None:
                setattr(record, name, var.get())
        return True


# uvicorn's copy of its message with terminal colour codes.
DROPPED_FIELDS = frozenset({"color_message"})


class JsonFormatter(_JsonFormatter):
    """python-json-logger, with our field names; fields that are None are
    left out (a line outside any request has no request_id)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", "time")
        super().__init__("%(levelname)s %(name)s %(message)s", *args, **kwargs)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in log_data.items() if v is not None and k not in DROPPED_FIELDS}


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    """settings.LOGGING for LOG_FORMAT "json" or "plain"."""
    if log_format not in ("json", "plain"):
        raise ValueError(f'LOG_FORMAT must be "json" or "plain", not "{log_format}"')
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "config.logs.ContextFilter"}},
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
            "json": {"()": "config.logs.JsonFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["context"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # SQL with its parameters (names, emails) at DEBUG: never.
            "django.db.backends": {"level": "WARNING"},
            # uvicorn's own lines in our format; our request lines replace
            # its access log.
            "uvicorn": {"handlers": ["console"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }


def bind(**values: Any) -> list[tuple[contextvars.ContextVar, contextvars.Token]]:
    """Bind request_id/user_id/event_id; give the result to unbind()."""
    return [(CONTEXT[name], CONTEXT[name].set(value)) for name, value in values.items()]


def unbind(tokens: list[tuple[contextvars.ContextVar, contextvars.Token]]) -> None:
    for var, token in reversed(tokens):
        var.reset(token)


# --- Celery: the request id travels in the task message's headers -------------------


def add_request_id_header(headers: dict | None = None, **kwargs: Any) -> None:
    """before_task_publish: the sender's request id into the message."""
    current = request_id.get()
    if headers is not None and current and REQUEST_ID_HEADER not in headers:
        headers[REQUEST_ID_HEADER] = current


def bind_task_request_id(task: Any = None, **kwargs: Any) -> None:
    """task_prerun: the message's request id onto the worker's log lines."""
    if task is None:
        return
    value = getattr(task.request, REQUEST_ID_HEADER, None)
    if value is None:
        value = (getattr(task.request, "headers", None) or {}).get(REQUEST_ID_HEADER)
    task.request.log_context_tokens = bind(request_id=value, user_id=None, event_id=None)


def unbind_task_request_id(task: Any = None, **kwargs: Any) -> None:
    """task_postrun: the worker thread's next task starts unbound."""
    tokens = getattr(getattr(task, "request", None), "log_context_tokens", None)
    if tokens:
        unbind(tokens)
        task.request.log_context_tokens = None
