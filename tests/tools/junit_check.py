#!/usr/bin/env python3
"""Check a junit.xml the way CI consumers read it.

    python tests/tools/junit_check.py JUNIT_XML OUT_DIR EXPECTED [--schema XSD | --no-schema]

EXPECTED is a JSON object, given inline or as a path to a file, with any of
the keys tests, failures, errors, skipped, for example
'{"tests": 9, "failures": 3, "errors": 1, "skipped": 2}'.

The checks:
  1. schema: `xmllint --noout --schema XSD JUNIT_XML` passes (XSD defaults
     to tests/schemas/junit-10.xsd beside this script; --no-schema skips it).
  2. junitparser: counts computed from the testcases' own result elements
     (<failure>, <error>, <skipped>, one count per element, as junitparser's
     update_statistics does) equal EXPECTED.
  3. the counts the attributes claim agree: each <testsuite>'s tests,
     failures, errors and skipped attributes (where present) equal what its
     testcases hold; the root <testsuites>' attributes (or, where one is
     absent, the sum of the suites' claims) equal EXPECTED.
  4. no testcase carries more than one of <failure>, <error>, <skipped>
     (the schema allows it, but consumers then disagree: junitparser counts
     each element, junit2html calls the case skipped).
  5. junit2html: its own parse counts the same tests, failed (failure or
     error) and skipped; it renders OUT_DIR/junit.html; that page's text
     names every testcase (names are compared after HTML parsing, so a name
     that was not escaped properly does not count as shown).

Prints a JSON summary on stdout. Exit status 0 if every check passes, 1 on
any mismatch or exception, 2 on bad usage.

Install what it needs with:
    python3 -m pip install --require-hashes -r tests/tools/requirements.lock
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import traceback
from html.parser import HTMLParser
from pathlib import Path

COUNTS = ("tests", "failures", "errors", "skipped")
DEFAULT_SCHEMA = Path(__file__).resolve().parent.parent / "schemas" / "junit-10.xsd"


class Checks:
    """Collects named checks for the summary."""

    def __init__(self) -> None:
        self.items: list[dict] = []

    def add(self, name: str, ok: bool, **detail) -> bool:
        self.items.append({"check": name, "ok": bool(ok), **detail})
        return ok

    def compare(self, name: str, expected: dict, got: dict) -> bool:
        keys = [k for k in COUNTS if k in expected]
        diff = {k: {"expected": expected[k], "got": got.get(k)} for k in keys if got.get(k) != expected[k]}
        return self.add(name, not diff, expected={k: expected[k] for k in keys},
                        got={k: got.get(k) for k in keys}, **({"diff": diff} if diff else {}))

    @property
    def ok(self) -> bool:
        return all(i["ok"] for i in self.items)


def load_expected(arg: str) -> dict:
    text = arg
    if not arg.lstrip().startswith("{") and os.path.isfile(arg):
        text = Path(arg).read_text(encoding="utf-8")
    value = json.loads(text)
    if not isinstance(value, dict) or not value:
        raise ValueError("EXPECTED must be a non-empty JSON object")
    unknown = sorted(set(value) - set(COUNTS))
    if unknown:
        raise ValueError(f"EXPECTED has unknown keys {unknown}; allowed: {list(COUNTS)}")
    for k, v in value.items():
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise ValueError(f"EXPECTED[{k!r}] must be a non-negative integer, got {v!r}")
    return value


def check_schema(checks: Checks, xml: Path, xsd: Path) -> None:
    xmllint = shutil.which("xmllint")
    if xmllint is None:
        raise RuntimeError("xmllint not found (Debian package libxml2-utils); pass --no-schema to skip")
    run = subprocess.run([xmllint, "--noout", "--schema", str(xsd), str(xml)],
                         capture_output=True, text=True, check=False)
    said = [line for line in run.stderr.splitlines() if line.strip()]
    violations = [line for line in said if "validity error" in line or "parser error" in line]
    checks.add("schema", run.returncode == 0, schema=str(xsd), xmllint_rc=run.returncode,
               **({"violations": violations or said} if run.returncode else {}))


def claimed(elem) -> dict:
    """The counts an element's attributes claim, read raw: junitparser's
    IntAttr fills in a missing count by recomputing (and writing) it, which
    would make a missing claim look right."""
    out = {}
    for k in COUNTS:
        raw = elem._elem.attrib.get(k)  # noqa: SLF001 (raw attribute, see above)
        if raw is not None:
            try:
                out[k] = int(raw)
            except ValueError:
                out[k] = raw
    return out


def computed(cases) -> dict:
    from junitparser import Error, Failure, Skipped

    got = dict.fromkeys(COUNTS, 0)
    for case in cases:
        got["tests"] += 1
        for r in case.result:
            if isinstance(r, Failure):
                got["failures"] += 1
            elif isinstance(r, Error):
                got["errors"] += 1
            elif isinstance(r, Skipped):
                got["skipped"] += 1
    return got


def walk_suites(suite, path=()):
    """A suite and the suites nested in it (junit-10 allows nesting)."""
    here = path + (suite.name,)
    yield here, suite
    for child in suite.testsuites():
        yield from walk_suites(child, here)


def check_junitparser(checks: Checks, xml: Path, expected: dict) -> list[str]:
    from junitparser import JUnitXml

    doc = JUnitXml.fromfile(str(xml))
    top = list(doc)
    cases = [case for suite in top for case in suite]
    names = [case.name for case in cases]

    total = computed(cases)
    checks.compare("junitparser: computed from testcases = expected", expected, total)

    bad_suites = []
    for path, suite in (p for s in top for p in walk_suites(s)):
        claim = claimed(suite)
        own = computed(list(suite))
        diff = {k: {"claimed": v, "computed": own[k]} for k, v in claim.items() if v != own[k]}
        if diff:
            bad_suites.append({"suite": " / ".join(map(str, path)), "diff": diff})
    checks.add("junitparser: each testsuite's attributes = its testcases", not bad_suites,
               suites=sum(1 for s in top for _ in walk_suites(s)),
               **({"mismatches": bad_suites} if bad_suites else {}))

    root = claimed(doc) if doc._elem.tag == "testsuites" else {}  # noqa: SLF001
    source = {}
    claim_total = {}
    for k in COUNTS:
        if k in root:
            claim_total[k], source[k] = root[k], "testsuites attribute"
        else:
            parts = [claimed(s).get(k) for s in top]
            if parts and all(isinstance(p, int) for p in parts):
                claim_total[k], source[k] = sum(parts), "sum of testsuite attributes"
            else:
                claim_total[k], source[k] = None, "not claimed"
    # A count nobody claims is None, which never equals an expected number.
    checks.compare("claimed totals = expected", expected, claim_total)
    checks.items[-1]["source"] = {k: source[k] for k in COUNTS if k in expected}

    ambiguous = []
    for case in cases:
        kinds = [type(r).__name__.lower() for r in case.result]
        if len(kinds) > 1:
            ambiguous.append({"testcase": case.name, "classname": case.classname, "results": kinds})
    checks.add("one outcome element per testcase", not ambiguous,
               **({"testcases": ambiguous} if ambiguous else {}))
    return names


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.chunks.append(data)


def check_junit2html(checks: Checks, xml: Path, out_dir: Path, expected: dict, names: list[str]) -> Path:
    from junit2htmlreport import parser as j2h

    report = j2h.Junit(str(xml))
    cases = [case for suite in report for case in suite.all()]
    got = {
        "tests": len(cases),
        "failed (failure or error)": sum(len(s.failed()) for s in report),
        "skipped": sum(len(s.skipped()) for s in report),
    }
    want = {}
    if "tests" in expected:
        want["tests"] = expected["tests"]
    if "failures" in expected and "errors" in expected:
        want["failed (failure or error)"] = expected["failures"] + expected["errors"]
    if "skipped" in expected:
        want["skipped"] = expected["skipped"]
    diff = {k: {"expected": v, "got": got[k]} for k, v in want.items() if got[k] != v}
    checks.add("junit2html: its counts = expected", not diff, expected=want, got=got,
               **({"diff": diff} if diff else {}))

    j2h_names = sorted(c.name or "" for c in cases)
    checks.add("junit2html: reads the same testcases as junitparser", j2h_names == sorted(names),
               **({"junit2html": j2h_names, "junitparser": sorted(names)} if j2h_names != sorted(names) else {}))

    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / "junit.html"
    html = report.html()
    html_path.write_text(html, encoding="utf-8")

    text = _Text()
    text.feed(html)
    text.close()
    page = "\n".join(text.chunks)
    absent = [n for n in names if n not in page]
    checks.add("junit2html: junit.html names every testcase", not absent,
               html=str(html_path), testcases=len(names), **({"absent": absent} if absent else {}))
    return html_path


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("junit_xml", type=Path)
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("expected", help="JSON object or a path to a JSON file")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--schema", type=Path, default=DEFAULT_SCHEMA, help=f"XSD for xmllint (default {DEFAULT_SCHEMA})")
    g.add_argument("--no-schema", action="store_true", help="skip the xmllint schema check")
    opts = ap.parse_args(argv)

    checks = Checks()
    summary: dict = {"file": str(opts.junit_xml)}
    try:
        from importlib.metadata import version

        summary["versions"] = {p: version(p) for p in ("junitparser", "junit2html")}
        expected = load_expected(opts.expected)
        summary["expected"] = expected
        if not opts.junit_xml.is_file():
            raise FileNotFoundError(f"no such file: {opts.junit_xml}")
        if not opts.no_schema:
            check_schema(checks, opts.junit_xml, opts.schema)
        names = check_junitparser(checks, opts.junit_xml, expected)
        check_junit2html(checks, opts.junit_xml, opts.out_dir, expected, names)
    except Exception as e:  # any exception fails the check, with its story
        summary["exception"] = f"{type(e).__name__}: {e}"
        summary["traceback"] = traceback.format_exc().splitlines()[-6:]
    summary["checks"] = checks.items
    summary["ok"] = checks.ok and "exception" not in summary
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
