"""JobLogHandler: Python ``logging`` records into the current run.

    logging.getLogger().addHandler(JobLogHandler())
    with run_job("nightly") as ctx:
        log.info("loaded %d rows", n, extra={"table": "users"})

Levels: DEBUG -> debug, INFO -> info, MILESTONE (25, registered by this
module) -> milestone, WARNING -> warning, ERROR and CRITICAL -> error.
The message is ``record.getMessage()``; the record's extras (attributes that
are not standard LogRecord attributes) become the context, with the logger's
name as ``context["logger"]`` (``%(name)s``); an exception (``exc_info``)
goes in as its formatted traceback, ``context["exc"]``, and ``stack_info``
as ``context["stack"]``.

``emit`` costs what buffering costs: the record is encoded and queued in
memory (no syscall, no waiting), with a daemon or without one.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional

from .logger import JobLogger, current_logger

__all__ = ["JobLogHandler", "MILESTONE", "level_for"]

#: A logging level between INFO and WARNING that maps to ``milestone``.
MILESTONE = 25
if logging.getLevelName(MILESTONE) == "Level %d" % MILESTONE:
    logging.addLevelName(MILESTONE, "MILESTONE")

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "taskName"}


_FORMATTER = logging.Formatter()


def level_for(levelno: int) -> str:
    if levelno >= logging.ERROR:
        return "error"
    if levelno >= logging.WARNING:
        return "warning"
    if levelno >= MILESTONE:
        return "milestone"
    if levelno >= logging.INFO:
        return "info"
    return "debug"


class JobLogHandler(logging.Handler):
    """Sends log records to a run: ``logger`` if given, else the run of the
    innermost ``run_job`` in progress (records outside any run are ignored).

    ``include_logger_name=False`` leaves ``"logger": record.name`` out of
    the context.
    """

    def __init__(self, logger: Optional[JobLogger] = None, level: int = logging.NOTSET, *,
                 include_logger_name: bool = True) -> None:
        super().__init__(level)
        self.job_logger = logger
        self.include_logger_name = include_logger_name

    def emit(self, record: logging.LogRecord) -> None:
        jl = self.job_logger if self.job_logger is not None else current_logger()
        if jl is None:
            return
        try:
            jl = getattr(jl, "sync", jl)
            context: Dict[str, Any] = {k: v for k, v in record.__dict__.items() if k not in _STANDARD}
            if self.include_logger_name:
                context["logger"] = record.name
            if record.exc_info:
                context["exc"] = (self.formatter.formatException(record.exc_info) if self.formatter
                                  else _FORMATTER.formatException(record.exc_info))
            elif record.exc_text:
                context["exc"] = record.exc_text
            if record.stack_info:
                context["stack"] = record.stack_info
            jl.log(level_for(record.levelno), record.getMessage(), context or None)
        except Exception:
            self.handleError(record)
