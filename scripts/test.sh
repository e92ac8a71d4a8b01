#!/usr/bin/env bash
# Set up and run the whole test suite. Browser tests run in a second pytest
# process: Playwright keeps an event loop running that async tests would trip on.
# Extra arguments are passed to pytest (then it runs once, with just those).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --browser

out=${TEST_OUTPUT:-test-output}
mkdir -p "$out"
if [ $# -gt 0 ]; then
  exec .venv/bin/python -m pytest "$@"
fi

status=0
.venv/bin/python -m pytest -m "not browser" --junitxml="$out/junit-main.xml" || status=$?
DJANGO_ALLOW_ASYNC_UNSAFE=true .venv/bin/python -m pytest -m browser \
  --junitxml="$out/junit-browser.xml" || status=$?

# One closing line for both runs; pytest's exit code 5 (no tests) fails too.
.venv/bin/python - "$out/junit-main.xml" "$out/junit-browser.xml" <<'PY'
import sys
import xml.etree.ElementTree as ET

totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
for path in sys.argv[1:]:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        continue
    for suite in root.iter("testsuite"):
        for key in totals:
            totals[key] += int(suite.get(key, 0))
failed = totals["failures"] + totals["errors"]
passed = totals["tests"] - failed - totals["skipped"]
print(f"total: {passed} passed, {failed} failed, {totals['skipped']} skipped")
PY
exit $status
