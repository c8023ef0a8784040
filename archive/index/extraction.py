"""Extraction for the indexer: `extract.document` on each capture, in a process pool, each document
under a wall-clock time limit (a pathological PDF or page is indexed with `error='timeout: …'`)."""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from archive.converters import default_converters
from extract.attachments import kind_of
from extract.document import Document, document
from extract.options import ExtractOptions

__all__ = ["EXTRACT_TIME_LIMIT", "ExtractJob", "ExtractionPool", "extract_job"]

logger = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")

EXTRACT_TIME_LIMIT = 120.0  # seconds of wall clock per document


@dataclass(frozen=True)
class ExtractJob:
    """What one document's extraction needs: the decoded payload, its headers and the capture's context."""

    body: bytes
    headers: list[tuple[str, str]]
    url: str
    agency: str = ""
    title: str = ""  # an attachment's link text: its title until the file says otherwise
    decode_error: str = ""  # the stored body could not be decoded whole ('too-large: …', 'bad-encoding: …')


class _ExtractTimeout(BaseException):
    """Raised by the alarm inside `document`, which turns every Exception into an error field."""


def _on_alarm(_signum: int, _frame: object) -> None:
    raise _ExtractTimeout


def extract_job(job: ExtractJob, time_limit: float | None = None) -> Document:
    """`extract.document` on one capture, stopped after `time_limit` seconds (EXTRACT_TIME_LIMIT): a
    document that takes longer is indexed with the error `timeout`, and indexing goes on."""
    if job.decode_error:  # not extracted: a prefix or undecodable bytes would be indexed as if whole
        content_type = next((v for k, v in job.headers if k.lower() == "content-type"), "")
        return Document(url=job.url, kind=kind_of(job.url, content_type, job.body[:8]), agency=job.agency,
                        title=job.title, error=job.decode_error)
    options = ExtractOptions(agency=job.agency, title=job.title, converters=default_converters())
    limit = EXTRACT_TIME_LIMIT if time_limit is None else time_limit
    if threading.current_thread() is not threading.main_thread() or limit <= 0:
        return document(job.body, dict(job.headers), job.url, options)  # signals work on the main thread only
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        return document(job.body, dict(job.headers), job.url, options)
    except _ExtractTimeout:
        content_type = next((v for k, v in job.headers if k.lower() == "content-type"), "")
        logger.warning("%s: extraction ran over %g s; indexed without text", job.url, limit)
        return Document(url=job.url, kind=kind_of(job.url, content_type, job.body[:8]), agency=job.agency,
                        title=job.title, error=f"timeout: extraction ran over {limit:g} s")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class ExtractionPool:
    """Runs `extract_job` on `workers` processes (in this process for one worker or a handful of jobs)."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self._pool: ProcessPoolExecutor | None = None

    def map(self, jobs: list[ExtractJob]) -> Iterator[Document]:
        """Documents of `jobs`, in order."""
        return self.run(extract_job, jobs)

    def run(self, func: Callable[[T], R], items: list[T]) -> Iterator[R]:
        """`func` over `items` on the same workers, in order (here for one worker or a handful of items)."""
        if self.workers == 1 or len(items) < 4:
            return (func(item) for item in items)
        return self._executor().map(func, items, chunksize=4)

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # forkserver: the workers do not inherit the indexer's open SQLite connection and WARC handles
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("forkserver"))
        return self._pool

    def close(self) -> None:
        """Stop the worker processes."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
