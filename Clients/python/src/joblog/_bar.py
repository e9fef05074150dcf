"""A local progress bar on stderr, as tqdm draws it (issue 19 #12).

    Syncing  40%|████████▍            | 4/10 [00:02<00:03, 1.98users/s]

Drawn only when stderr is a terminal (unless forced), at most 10 times a
second, and once more at the end; it never raises into the job.
"""

from __future__ import annotations

import shutil
import sys
import time
from typing import IO, Optional

__all__ = ["Bar", "format_interval"]


def format_interval(seconds: float) -> str:
    """``MM:SS``, or ``H:MM:SS`` from an hour on (tqdm's format)."""
    s = int(max(0, seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return "%d:%02d:%02d" % (h, m, s) if h else "%02d:%02d" % (m, s)


class Bar:
    """One bar: ``update(n)`` after each item, ``close()`` at the end."""

    interval = 0.1

    def __init__(self, total: Optional[int], unit: Optional[str] = None, desc: Optional[str] = None,
                 stream: Optional[IO[str]] = None, width: Optional[int] = None) -> None:
        self.total = total
        self.unit = unit or "it"
        self.desc = desc
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.n = 0
        self.start = time.monotonic()
        self._last = 0.0
        self._closed = False
        self.draw()

    def update(self, n: int = 1) -> None:
        self.n += n
        now = time.monotonic()
        if now - self._last >= self.interval:
            self.draw(now)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.draw()
        self._write("\n")

    def line(self, now: Optional[float] = None) -> str:
        """The text of the bar now, fitted to the terminal's width."""
        now = time.monotonic() if now is None else now
        elapsed = now - self.start
        rate = self.n / elapsed if elapsed > 0 else 0.0
        rate_text = ("%.2f%s/s" % (rate, self.unit)) if rate > 0 else "?%s/s" % self.unit
        prefix = (self.desc + ": ") if self.desc else ""
        width = self.width or shutil.get_terminal_size((80, 24)).columns
        if self.total:
            frac = min(1.0, self.n / self.total)
            left = (self.total - self.n) / rate if rate > 0 and self.n < self.total else 0.0
            eta = format_interval(left) if rate > 0 or self.n >= self.total else "?"
            head = "%s%3d%%|" % (prefix, int(frac * 100))
            tail = "| %d/%d [%s<%s, %s]" % (self.n, self.total, format_interval(elapsed), eta, rate_text)
            room = width - len(head) - len(tail) - 1
            if room < 4:
                return (head.rstrip("|") + " " + tail.lstrip("| "))[: max(0, width - 1)]
            full = frac * room
            whole = int(full)
            parts = " ▏▎▍▌▋▊▉"
            bar = "█" * whole
            if whole < room:
                bar += parts[int((full - whole) * 8)] + " " * (room - whole - 1)
            return head + bar + tail
        text = "%s%d%s [%s, %s]" % (prefix, self.n, "" if self.unit == "it" else " " + self.unit,
                                    format_interval(elapsed), rate_text)
        return text[: max(0, width - 1)]

    def draw(self, now: Optional[float] = None) -> None:
        now = time.monotonic() if now is None else now
        self._last = now
        self._write("\r" + self.line(now) + "\x1b[K")

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except Exception:
            pass
