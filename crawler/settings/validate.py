"""Checking `-s NAME=VALUE` overrides before a crawl starts: nianbao's own settings by their declared
type, range or choices, Scrapy's numeric ones as numbers, unknown NIANBAO_* names with a suggestion."""

from __future__ import annotations

import difflib
import re
from typing import Any

from scrapy.settings import default_settings

from crawler.settings.declared import SETTINGS

__all__ = ["check_overrides"]

_DECLARED = {s.name: s for s in SETTINGS}
# Declared settings that count something: at least 1 (0 would stop every list or walk at once).
_AT_LEAST_ONE = {"NIANBAO_MAX_LIST_PAGES", "NIANBAO_MAX_NAV_DEPTH", "NIANBAO_WARC_MAX_SIZE",
                 "NIANBAO_MAX_PAGES_PER_SEED", "NIANBAO_MAX_LINKS_PER_PAGE"}
_RANGES = {"NIANBAO_WARC_GZIP_LEVEL": (0, 9)}
# Declared text settings that take one of a few values, a kind of URL, or a name used in file names.
_CHOICES = {"NIANBAO_MODE": ("full", "incremental", "resume")}
_SCHEMES = {"NIANBAO_CLUSTER": ("redis://", "rediss://", "unix://")}
_FILE_NAMES = {"NIANBAO_RUN_ID", "NIANBAO_CLUSTER_WORKER"}
_BOOLEAN = {"1", "0", "true", "false", "yes", "no", "on", "off"}
# Scrapy settings whose default is a whole number but which Scrapy reads as a float.
_SCRAPY_FLOATS = {"DOWNLOAD_DELAY", "DOWNLOAD_TIMEOUT", "AUTOTHROTTLE_START_DELAY", "AUTOTHROTTLE_MAX_DELAY",
                  "AUTOTHROTTLE_TARGET_CONCURRENCY", "LOGSTATS_INTERVAL", "MEMUSAGE_CHECK_INTERVAL_SECONDS"}


def _number(text: str, kind: type) -> float | None:
    try:
        return float(int(text)) if kind is int else float(text)
    except ValueError:
        return None


def _check_typed(name: str, value: str, default: Any) -> str | None:
    """Why `value` does not fit a setting whose default is `default`, or None."""
    if isinstance(default, bool):
        return None if value.strip().lower() in _BOOLEAN else f"{name}={value!r}: expected True or False"
    if isinstance(default, (int, float)):
        kind = int if isinstance(default, int) and name not in _SCRAPY_FLOATS else float
        number = _number(value.strip(), kind)
        if number is None:
            return f"{name}={value!r}: expected {'a whole number' if kind is int else 'a number'}"
        low, high = _RANGES.get(name, (1 if name in _AT_LEAST_ONE else 0, None))
        if number < low or (high is not None and number > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            return f"{name}={value!r}: must be {bounds}"
    return None


def _check_text(name: str, value: str) -> str | None:
    """Why `value` does not fit the text setting `name`, or None (an empty value keeps the default)."""
    text = value.strip()
    if not text:
        return None
    if name in _CHOICES and text not in _CHOICES[name]:
        return f"{name}={value!r}: expected one of {', '.join(_CHOICES[name])}"
    if name in _SCHEMES and not text.startswith(_SCHEMES[name]):
        return (f"{name}: expected a Redis URL, redis://[:PASSWORD@]HOST:6379/0 (the value is not shown: "
                f"it may hold a password)")
    if name in _FILE_NAMES and not re.fullmatch(r"[A-Za-z0-9_.-]+", text):
        return f"{name}={value!r}: only letters, digits, '_', '.' and '-' (it names files in the archive)"
    return None


def check_overrides(overrides: dict[str, str]) -> list[str]:
    """Problems with the overrides, one line each ([] when they are all usable)."""
    problems = []
    for name, value in overrides.items():
        if name.startswith("NIANBAO_") and name not in _DECLARED:
            close = difflib.get_close_matches(name, list(_DECLARED), n=1)
            hint = f"; did you mean {close[0]}?" if close else "; `python -m crawler.settings.declared` lists them"
            problems.append(f"{name}: not a nianbao setting{hint}")
            continue
        default = _DECLARED[name].default if name in _DECLARED else getattr(default_settings, name, None)
        problem = _check_typed(name, value, default) if default is not None else None
        problem = problem or (_check_text(name, value) if isinstance(value, str) else None)
        if problem:
            problems.append(problem)
    return problems
