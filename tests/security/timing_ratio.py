"""How a cost grows: time an operation on an input and on one twice its size, in the same run,
and return the ratio. On a shared, noisy machine absolute times mean little, but linear work
stays near 2 and quadratic work near 4.

Noise only ever adds time, so: CPU time of this process (time spent waiting for the CPU while
other processes run is not counted), the two sizes timed in alternating rounds, each keeping
its best round, a round repeating the operation until it lasts a few milliseconds, and the
lowest ratio of up to three attempts (a quadratic cost is ~4 in every attempt)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

#: The bound the security tests use: linear is ~2, quadratic ~4.
LINEAR = 3.0


def _ratio(operation: Callable[[T], object], small: T, large: T, loops: int, rounds: int) -> float:
    best = [float("inf"), float("inf")]
    for _ in range(rounds):
        for which, value in enumerate((small, large)):
            started = time.process_time()
            for _ in range(loops):
                operation(value)
            best[which] = min(best[which], time.process_time() - started)
    return best[1] / max(best[0], 1e-9)


def growth(
    operation: Callable[[T], object], small: T, large: T, *, rounds: int = 5, attempts: int = 3
) -> float:
    """``time(operation(large)) / time(operation(small))``, ``large`` being twice ``small``."""
    started = time.process_time()
    operation(small)
    once = max(time.process_time() - started, 1e-6)
    loops = max(1, min(2000, int(0.005 / once)))
    lowest = float("inf")
    for _ in range(attempts):
        lowest = min(lowest, _ratio(operation, small, large, loops, rounds))
        if lowest < LINEAR:
            break
    return lowest
