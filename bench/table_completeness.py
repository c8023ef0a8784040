"""Table completeness: the share of fixture reports whose tables parsed completely.

A report is complete when every standard figure of 二, 三 and 四 was read (a pre-2019 report: its 统计表)
and every check the format defines could run. The set is the fixture reports made the way agencies make
them (tests/fixtures/reports: ruled PDFs with wrapped labels, blank cells, damaged labels, the 2019 form,
a 统计表) and the real seed reports 001–003 (tables flattened into text). Where the fixture states its
figures, `exact` also requires every value to match.

    python -m bench.table_completeness
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
REPORTS = HERE / "tests" / "fixtures" / "reports"
SEEDS = HERE / "tests" / "fixtures" / "seeds"


@dataclass(frozen=True)
class Outcome:
    """One report's result."""

    name: str
    complete: bool
    exact: bool | None  # None where the expected figures are not known
    checks_run: int
    checks: int
    missing: int
    seconds: float


def _measure(name: str, body: bytes, url: str, expected: dict[tuple[str, str, str], float] | None) -> Outcome:
    from extract.document import document
    from extract.tables import missing_figures, parse_report

    start = time.perf_counter()
    doc = document(body, {"Content-Type": "text/plain; charset=utf-8"} if url.endswith(".txt") else {}, url)
    parse = parse_report(doc.text, doc.tables, doc.year)
    seconds = time.perf_counter() - start
    missing = missing_figures(parse)
    ran = sum(1 for check in parse.checks if check.ran)
    got = {(f.section, f.row_label, f.col_label): f.value for f in parse.figures}
    exact = None if expected is None else got == expected
    return Outcome(name, not missing and ran == len(parse.checks) and bool(parse.checks), exact, ran,
                   len(parse.checks), len(missing), seconds)


def outcomes() -> list[Outcome]:
    """The outcome of every report in the set."""
    import sys

    sys.path.insert(0, str(HERE))
    from tests.fixtures.reports.cases import all_reports

    results = []
    for report, kind, _options in all_reports():
        body = (REPORTS / f"{report.name}.{kind}").read_bytes()
        results.append(_measure(report.name, body, f"http://127.0.0.2/{report.name}.{kind}", report.expected))
    for number in (1, 2, 3):
        [path] = SEEDS.glob(f"{number:03d}_*.txt")
        results.append(_measure(path.stem, path.read_bytes(), f"http://127.0.0.2/{path.name}", None))
    return results


def main() -> None:
    """Print each report's result and the share of complete reports."""
    results = outcomes()
    for outcome in results:
        exact = "" if outcome.exact is None else f"  exact={'yes' if outcome.exact else 'NO'}"
        print(f"  {outcome.name:32} complete={'yes' if outcome.complete else 'NO'}{exact}  "
              f"checks run {outcome.checks_run}/{outcome.checks}  missing figures {outcome.missing}  "
              f"{outcome.seconds * 1000:.0f} ms")
    complete = sum(outcome.complete for outcome in results)
    known = [outcome for outcome in results if outcome.exact is not None]
    print(f"table completeness: {complete}/{len(results)} reports complete ({complete / len(results):.0%}), "
          f"{sum(bool(o.exact) for o in known)}/{len(known)} fixture reports exact")


if __name__ == "__main__":
    main()
