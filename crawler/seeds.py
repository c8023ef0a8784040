"""Seeds: the UTF-8 CSV of agencies to crawl, validated before any fetch.

Required columns: agency, province, city, county, url. Optional: kind (`aggregator` marks a province's
report aggregation page). Extra columns are kept in `Seed.extra`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

REQUIRED_COLUMNS = ("agency", "province", "city", "county", "url")
SEED_KINDS = ("", "portal", "aggregator")


class SeedsError(ValueError):
    """A seeds file that cannot be used; the message names the file and line and what to do."""


@dataclass(frozen=True)
class Seed:
    agency: str
    province: str
    city: str
    county: str
    url: str
    kind: str = ""
    line: int = 0
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_aggregator(self) -> bool:
        return self.kind == "aggregator"


def _check_url(url: str) -> str | None:
    """Return why `url` is unusable as a seed, or None."""
    if not url:
        return "the url is empty"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return f"the url {url!r} must start with http:// or https://"
    if not parts.hostname:
        return f"the url {url!r} has no host"
    if any(c.isspace() for c in url):
        return f"the url {url!r} contains whitespace"
    try:
        _ = parts.port  # urlsplit checks the port only when asked
    except ValueError:
        return f"the url {url!r} has an invalid port"
    return None


def parse_seeds(data: bytes, source: str = "<seeds>") -> list[Seed]:
    """Parse and validate seeds CSV bytes; raise SeedsError naming `source` and the line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SeedsError(
            f"{source}, line {line}: not UTF-8 ({exc.reason} at byte {exc.start}); "
            "save the file as UTF-8 (e.g. `iconv -f GBK -t UTF-8`)"
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        raise SeedsError(f"{source}, line 1: empty file; expected a header row with {','.join(REQUIRED_COLUMNS)}")
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise SeedsError(
            f"{source}, line 1: header lacks column(s) {', '.join(missing)}; "
            f"the header must include {','.join(REQUIRED_COLUMNS)}"
        )
    reader.fieldnames = header
    seeds: list[Seed] = []
    for row in reader:
        line = reader.line_num
        if None in row:
            raise SeedsError(f"{source}, line {line}: more fields than the header has columns")
        values = {k: (v or "").strip() for k, v in row.items()}
        if not any(values.values()):
            continue
        problem = _check_url(values["url"])
        if problem:
            raise SeedsError(f"{source}, line {line}: {problem}")
        if not values["agency"]:
            raise SeedsError(f"{source}, line {line}: the agency is empty")
        kind = values.get("kind", "")
        if kind not in SEED_KINDS:
            raise SeedsError(f"{source}, line {line}: kind {kind!r} is not one of portal, aggregator (or empty)")
        extra = {k: v for k, v in values.items() if k not in REQUIRED_COLUMNS and k != "kind"}
        seeds.append(Seed(values["agency"], values["province"], values["city"], values["county"],
                          values["url"], kind, line, extra))
    if not seeds:
        raise SeedsError(f"{source}: no seed rows after the header")
    return seeds


def load_seeds(path: Path, province: str | None = None) -> list[Seed]:
    """Read and validate a seeds file, optionally keeping one province's rows."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SeedsError(f"{path}: cannot read the seeds file ({exc.strerror})") from None
    seeds = parse_seeds(data, str(path))
    if province:
        chosen = [s for s in seeds if s.province == province]
        if not chosen:
            known = sorted({s.province for s in seeds})
            raise SeedsError(f"{path}: no seeds for province {province!r}; the file has: {', '.join(known)}")
        return chosen
    return seeds
