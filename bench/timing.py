"""How time is measured: each entry's batch size is calibrated to a target duration, then the
entries are run round by round in a rotating order (interleaved, so that a noisy neighbour on a
shared machine slows all of them alike), with the garbage collector paused during a batch, as
``timeit`` does. Each entry keeps its per-request time of every round.

Time is the thread's CPU time, not wall time: on a shared machine a process waits for a core
for milliseconds at a time, and wall time would count that wait as the middleware's cost.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

#: The clock every timed loop reads: this thread's CPU time, in seconds.
clock = time.thread_time

#: A function that runs ``n`` requests and returns the seconds they took.
Run = Callable[[int], float]


@dataclass
class Entry:
    """One thing to time: a contender (or a baseline) on one request."""

    key: str
    run: Run
    batch: int = 0
    samples: list[float] = field(default_factory=list)  # seconds per request, one per round

    def best(self, statistic: str) -> float:
        """The entry's own time per request: the fastest round, or the median one."""
        if statistic == "min":
            return min(self.samples)
        return statistics.median(self.samples)

    def spread(self) -> float:
        """How far the lower quartile of rounds sits above the fastest: the noise in ``min``."""
        ordered = sorted(self.samples)
        return ordered[len(ordered) // 4] - ordered[0]

    def added_to(self, baseline: Entry, statistic: str) -> float:
        """Seconds per request this entry takes beyond ``baseline``.

        ``min``: fastest round minus fastest round (interference only ever adds time).
        ``median``: the median over rounds of the difference within each round, which cancels
        slow drifts in the machine's load.
        """
        if statistic == "min":
            return min(self.samples) - min(baseline.samples)
        return statistics.median(a - b for a, b in zip(self.samples, baseline.samples, strict=True))


def calibrate(run: Run, batch_seconds: float) -> int:
    """How many requests make a batch of about ``batch_seconds`` (this also warms ``run`` up)."""
    n = 1
    while True:
        elapsed = run(n)
        if elapsed >= batch_seconds / 4:
            return max(1, round(n * batch_seconds / elapsed))
        n = max(2 * n, round(n * (batch_seconds / 3) / max(elapsed, 1e-7)))


def timed_batch(run: Run, n: int) -> float:
    """Seconds per request over one batch of ``n``, with the garbage collector paused."""
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        return run(n) / n
    finally:
        if enabled:
            gc.enable()


def measure(entries: Sequence[Entry], *, repeats: int, batch_seconds: float) -> None:
    """Fill every entry's ``samples`` with ``repeats`` interleaved rounds."""
    # The apps under test hold large structures (10,000 origins); frozen, they are not
    # rescanned by the collection that precedes every batch.
    gc.collect()
    gc.freeze()
    try:
        for entry in entries:
            entry.batch = calibrate(entry.run, batch_seconds)
        for round_ in range(repeats):
            shift = round_ % len(entries)
            order = [*entries[shift:], *entries[:shift]]
            if round_ % 2:
                order.reverse()
            for entry in order:
                entry.samples.append(timed_batch(entry.run, entry.batch))
    finally:
        gc.unfreeze()
