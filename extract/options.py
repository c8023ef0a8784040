"""Options for `extract.document`: caps, the caller's context and its subprocess converters."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

__all__ = ["ExtractOptions"]


@dataclass(frozen=True)
class ExtractOptions:
    """Caps and context; converters are callables the caller runs with its own timeouts (e.g. antiword)."""

    max_bytes: int = 50 * 1024 * 1024
    max_text_chars: int = 2_000_000
    agency: str = ""  # fallback agency (the seed's) when the page names none
    title: str = ""  # fallback title for an attachment (the link text that led to it)
    converters: Mapping[str, Callable[[bytes], str]] = field(default_factory=dict)
