"""A one-line progress bar on stderr: trials done, rate, ETA and the best value of each objective so far
(each objective's best on its own: usually from different designs, and labelled so).

On a terminal the line redraws in place; otherwise (a log file, CI) one line is
printed every ``log_every_s`` seconds and at the end.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress"]

#: No ETA before this many seconds and trials: the first trials' rate includes start-up.
ETA_AFTER_S = 2.0
ETA_AFTER_TRIALS = 10


def _fmt_s(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    m, s = divmod(seconds, 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


class Progress:
    """Tracks trials against a target and the best feasible value of each objective."""

    def __init__(self, total: int, start: int, objectives, enabled: bool = True,
                 stream: TextIO | None = None, width: int = 24, log_every_s: float = 5.0):
        self.total = total
        self.start = start
        self.done = start
        self.objectives = list(objectives)
        self.best: dict[str, float] = {}
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.width = width
        self.log_every_s = log_every_s
        self._t0 = time.monotonic()
        self._last_draw = 0.0
        self._drawn_done = -1

    def observe(self, metrics: dict[str, float], feasible: bool) -> None:
        if not feasible:
            return
        for o in self.objectives:
            v = metrics[o.name]
            old = self.best.get(o.name)
            if old is None or (v < old if o.direction == "minimize" else v > old):
                self.best[o.name] = v

    def update(self, done: int) -> None:
        self.done = done
        now = time.monotonic()
        interval = 0.1 if self.tty else self.log_every_s
        if self.enabled and (now - self._last_draw >= interval or done >= self.total):
            self._last_draw = now
            self._draw(now)

    def line(self, now: float | None = None) -> str:
        now = time.monotonic() if now is None else now
        elapsed = now - self._t0
        ran = self.done - self.start
        todo = max(self.total - self.start, 1)
        frac = min(max(ran / todo, 0.0), 1.0)
        filled = int(round(frac * self.width))
        bar = "#" * filled + "-" * (self.width - filled)
        rate = ran / elapsed if elapsed > 0 else 0.0
        settled = elapsed >= ETA_AFTER_S and ran >= ETA_AFTER_TRIALS  # early rates include start-up
        eta = (self.total - self.done) / rate if rate > 0 and settled else float("nan")
        eta_s = _fmt_s(eta) if eta == eta else "--:--"
        best = "  ".join(f"{o.name}{'↓' if o.direction == 'minimize' else '↑'}={self.best[o.name]:.4g}"
                         for o in self.objectives if o.name in self.best)
        return (f"sweep [{bar}] {self.done}/{self.total} trials  {rate:.0f}/s  "
                f"elapsed {_fmt_s(elapsed)}  ETA {eta_s}  best per objective: {best or 'no feasible design yet'}")

    def _draw(self, now: float) -> None:
        self._drawn_done = self.done
        text = self.line(now)
        if self.tty:
            self.stream.write("\r\x1b[2K" + text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            if self._drawn_done != self.done:
                self._draw(time.monotonic())
            if self.tty:
                self.stream.write("\n")
            self.stream.flush()

    def message(self, text: str) -> None:
        if self.enabled:
            if self.tty:
                self.stream.write("\r\x1b[2K")
            self.stream.write(text + "\n")
            self.stream.flush()
