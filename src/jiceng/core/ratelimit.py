"""Rate limits for public endpoints: a fixed window counter per key in the shared cache (Redis in
production, so every app server counts together)."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.utils.translation import gettext as _

from .errors import RateLimitedError


def hit(scope: str, key: str, *, limit: int, window: int) -> bool:
    """Count one request; False once ``limit`` requests were counted in the current window."""
    bucket = int(time.time() // window)
    cache_key = f"jiceng:rl:{scope}:{key}:{bucket}"
    if cache.add(cache_key, 1, timeout=window + 1):
        return True
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window + 1)
        return True
    return count <= limit


def enforce(scope: str, key: str, *, limit: int, window: int, message: str | None = None) -> None:
    if not hit(scope, key, limit=limit, window=window):
        raise RateLimitedError(message or _("请求过于频繁，请稍后再试。"))
