"""The opt-in answer to a busy server: wait as long as the 429 says, then send again.

Off by default, as in the original: a caller that would rather try another server, or tell its
user, still sees ``busy`` at once. Only ``busy`` is retried; every other error would fail the
same way again (the server says so with ``x-should-retry: false``).
"""

from __future__ import annotations

import email.utils
import time
from typing import NamedTuple, Optional, Union

UNKNOWN_WAIT = 1.0  # a busy answer that says nothing about when to come back (the server's own fallback)


class RetryBusy(NamedTuple):
    """``retries``: how many times a busy transcription is sent again; ``max_wait``: the longest
    one wait lasts, in seconds (a longer advertised wait is cut to this)."""

    retries: int = 3
    max_wait: float = 60.0


RetryBusyOption = Union[bool, RetryBusy, None]
NO_RETRY = RetryBusy(retries=0, max_wait=0.0)


def retry_policy(option: RetryBusyOption) -> RetryBusy:
    """``True`` means the defaults, ``None``/``False`` no retries."""
    if option is None or option is False:
        return NO_RETRY
    if option is True:
        return RetryBusy()
    if isinstance(option, RetryBusy):
        return RetryBusy(max(0, int(option.retries)), max(0.0, float(option.max_wait)))
    raise TypeError(f"retry_busy must be a bool or a RetryBusy, not {type(option).__name__}")


def _number(value: Optional[str]) -> Optional[float]:
    try:
        return float(value) if value is not None and value.strip() else None
    except ValueError:
        return None


def busy_wait(retry_after_ms: Optional[str], retry_after: Optional[str], max_wait: float, now: Optional[float] = None) -> float:
    """Seconds to wait: ``retry-after-ms`` (the server's estimate to the millisecond), else
    ``Retry-After`` (seconds, or an HTTP date), else a second; never more than ``max_wait``."""
    ms, seconds = _number(retry_after_ms), _number(retry_after)
    if ms is not None and ms >= 0:
        wait = ms / 1000
    elif seconds is not None:
        wait = max(0.0, seconds)
    else:
        try:
            when = email.utils.parsedate_to_datetime(retry_after or "").timestamp()
            wait = max(0.0, when - (time.time() if now is None else now))
        except (TypeError, ValueError, IndexError):
            wait = UNKNOWN_WAIT
    return min(wait, max_wait)
