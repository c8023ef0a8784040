"""Undo HTTP Content-Encoding (gzip, deflate, br, zstd, stacked) in bounded memory.

A stored body is inflated step by step, never in one call: output stops at `max_bytes`, and at
`max_ratio` times the compressed bytes consumed so far once past `RATIO_FLOOR` bytes, so a 1 MB answer
that would inflate to 1 GiB is cut after about a MiB. What is cut is reported, never dropped silently:
`Decoded.error` starts with 'too-large' and `Decoded.body` holds the prefix decoded so far. A coding that
cannot be undone (unknown, corrupt, or a stream that ends early) is 'bad-encoding: ...': the body is then
the bytes before that coding was tried (or, for a stream that ends early, what it decoded), never empty.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

__all__ = ["MAX_DECODED_BYTES", "MAX_RATIO", "RATIO_FLOOR", "Decoded", "dechunk", "inflate", "parse_codings"]

# The crawler's DOWNLOAD_MAXSIZE: nothing Scrapy accepted is cut, and no body costs a process more.
MAX_DECODED_BYTES = 64 * 1024 * 1024
# Text and HTML inflate 3-20 times, repetitive tables rarely 50; a bomb of zeros about 1000.
MAX_RATIO = 100
# Below this much output the ratio is not checked: a small, very repetitive page is no threat.
RATIO_FLOOR = 1024 * 1024

_IN_STEP = 64 * 1024  # compressed bytes fed per step
_OUT_STEP = 256 * 1024  # decoded bytes produced per step
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class Decoded:
    """A payload with its content codings undone (or as far as they could be, with `error` saying why)."""

    body: bytes
    error: str = ""  # '' | 'too-large: ...' | 'bad-encoding: ...'
    codings: tuple[str, ...] = ()  # the codings undone, in the order they were undone

    @property
    def too_large(self) -> bool:
        return self.error.startswith("too-large")


class _TooLarge(Exception):
    def __init__(self, reason: str, prefix: bytes) -> None:
        super().__init__(reason)
        self.prefix = prefix


class _EndsEarly(Exception):
    def __init__(self, output: bytes) -> None:
        super().__init__("stream ends early")
        self.output = output


@dataclass
class _Limits:
    max_bytes: int
    max_ratio: float

    def check(self, out: bytearray, consumed: int) -> None:
        """Raise _TooLarge when `out` (decoded from `consumed` compressed bytes) passes a limit."""
        if len(out) > self.max_bytes:
            raise _TooLarge(f"decoded body over {self.max_bytes} bytes", bytes(out[:self.max_bytes]))
        if len(out) > RATIO_FLOOR and len(out) > self.max_ratio * max(consumed, 1):
            raise _TooLarge(f"inflates over {self.max_ratio:g} times its size", bytes(out))


def parse_codings(values: Iterable[str]) -> list[str]:
    """The content codings named by Content-Encoding header values, in the order they were applied."""
    return [c.strip().lower() for value in values for c in value.split(",") if c.strip()]


def inflate(data: bytes, codings: Sequence[str], max_bytes: int = MAX_DECODED_BYTES,
            max_ratio: float = MAX_RATIO) -> Decoded:
    """Undo `codings` (listed in the order applied, so undone last first) within the limits."""
    limits = _Limits(max_bytes, max_ratio)
    body, done = data, list[str]()
    pending = [c for c in reversed(codings) if c != "identity"]
    for index, coding in enumerate(pending):
        if not body:  # an empty body (a redirect, a 304) needs no undoing
            break
        decoder = _DECODERS.get(coding)
        if decoder is None:
            return Decoded(body, f"bad-encoding: unknown content coding {coding!r}", tuple(done))
        try:
            body = decoder(body, limits)
        except _TooLarge as cut:
            prefix = _prefix_through(cut.prefix, pending[index + 1:], limits)
            return Decoded(prefix, f"too-large: {coding} body {cut}; the first {len(prefix)} bytes kept",
                           tuple(done))
        except _EndsEarly as early:
            return Decoded(early.output, f"bad-encoding: {coding} stream ends early "
                                         f"({len(early.output)} bytes decoded)", tuple(done))
        except Exception as exc:  # zlib.error, brotli.error, ZstdError: the body is not what it says
            return Decoded(body, f"bad-encoding: {coding}: {exc}", tuple(done))
        done.append(coding)
    return Decoded(body, "", tuple(done))


def _prefix_through(prefix: bytes, codings: Sequence[str], limits: _Limits) -> bytes:
    """A cut body's prefix with the codings still on it undone as far as they go."""
    for coding in codings:
        try:
            prefix = _DECODERS[coding](prefix, limits)
        except _TooLarge as cut:
            prefix = cut.prefix
        except _EndsEarly as early:
            prefix = early.output
        except Exception:  # unknown or broken further down: the prefix as far as it was decoded
            break
    return prefix


def dechunk(data: bytes) -> bytes:
    """`data` with HTTP/1.1 chunked framing removed; as-is when it is not framed so (already de-chunked).

    A body cut inside a chunk keeps what arrived, as a browser shows it. Never longer than `data`."""
    out = bytearray()
    at = 0
    while at < len(data):
        eol = data.find(b"\n", at)
        try:
            size = int(data[at:eol if eol != -1 else len(data)].split(b";")[0].strip(), 16)
        except ValueError:
            return data
        if eol == -1:  # a framing line without its end: the body was cut there, or is not chunked at all
            return bytes(out) if out else data
        if size == 0:
            break
        out += data[eol + 1:eol + 1 + size]
        at = eol + 1 + size
        at += 2 if data[at:at + 2] == b"\r\n" else 1 if data[at:at + 1] == b"\n" else 0
    return bytes(out)


def _zlib_stream(data: bytes, wbits: int, limits: _Limits, members: bool) -> bytes:
    """Inflate a zlib/gzip/raw deflate stream; with `members`, concatenated gzip members too."""
    out = bytearray()
    start = 0
    while True:
        decompressor = zlib.decompressobj(wbits)
        fed, pending = start, b""
        while not decompressor.eof:
            if not pending:
                if fed >= len(data):
                    break
                pending = data[fed:fed + _IN_STEP]
                fed += len(pending)
            out += decompressor.decompress(pending, _OUT_STEP)
            pending = decompressor.unconsumed_tail
            limits.check(out, fed - len(pending))
        if not decompressor.eof:
            out += decompressor.flush()  # what is left is at most one window (32 KiB)
            limits.check(out, fed)
            raise _EndsEarly(bytes(out))
        start = fed - len(pending) - len(decompressor.unused_data)
        # Trailing bytes after the stream are ignored, as browsers do, unless another gzip member follows.
        if not (members and data[start:start + 2] == _GZIP_MAGIC):
            return bytes(out)


def _gzip(data: bytes, limits: _Limits) -> bytes:
    return _zlib_stream(data, 47, limits, members=True)  # 47: gzip, or zlib sent as "gzip"


def _deflate(data: bytes, limits: _Limits) -> bytes:
    # "deflate" is meant to be zlib-wrapped, but many servers send raw deflate: the header tells them apart.
    wrapped = len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
    return _zlib_stream(data, 15 if wrapped else -15, limits, members=False)


def _brotli(data: bytes, limits: _Limits) -> bytes:
    import brotli

    decompressor = brotli.Decompressor()
    out = bytearray()
    fed = 0
    while not decompressor.is_finished():
        if decompressor.can_accept_more_data() and fed < len(data):
            chunk = data[fed:fed + _IN_STEP]
            fed += len(chunk)
            out += decompressor.process(chunk, output_buffer_limit=_OUT_STEP)
        else:  # output still held back by the limit, or all input given: drain
            piece = decompressor.process(b"", output_buffer_limit=_OUT_STEP)
            if not piece and (fed >= len(data) or not decompressor.can_accept_more_data()):
                raise _EndsEarly(bytes(out))  # (the second: no progress either way, never spin)
            out += piece
        limits.check(out, fed)
    return bytes(out)


def _zstd(data: bytes, limits: _Limits) -> bytes:
    try:
        from compression import zstd  # type: ignore[import-not-found]  # Python 3.14+
    except ImportError:
        from backports import zstd  # type: ignore[import-not-found,no-redef]
    out = bytearray()
    start = 0
    while start < len(data):
        decompressor = zstd.ZstdDecompressor()
        fed = start
        while not decompressor.eof:
            if decompressor.needs_input:
                if fed >= len(data):
                    raise _EndsEarly(bytes(out))
                chunk, fed = data[fed:fed + _IN_STEP], fed + _IN_STEP
            else:
                chunk = b""
            out += decompressor.decompress(chunk, _OUT_STEP)
            limits.check(out, min(fed, len(data)))
        start = min(fed, len(data)) - len(decompressor.unused_data)  # frames may follow one another
    return bytes(out)


_DECODERS: dict[str, Callable[[bytes, _Limits], bytes]] = {
    "gzip": _gzip, "x-gzip": _gzip, "deflate": _deflate, "br": _brotli, "zstd": _zstd}
