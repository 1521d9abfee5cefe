#!/usr/bin/env bash
# Every test of siths-desk, on a bare machine too: installs what it needs, then lint, typecheck,
# unit and integration tests (real pcscd + vpcd), and Playwright against Debian's Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-debian-deps.sh
bash scripts/install-node-deps.sh

step() { printf '\n== %s\n' "$*"; }
# Not under test-results/: Playwright empties that folder when it starts.
reports=.test-reports
rm -rf "$reports" && mkdir -p "$reports"

# APDUs to the virtual cards take ~0.5 ms instead of ~44 ms (see the script); put back when the run ends.
quickack_routes=$(mktemp)
trap 'bash scripts/loopback-quickack.sh off "$quickack_routes"' EXIT
bash scripts/loopback-quickack.sh on "$quickack_routes"

step "lint and format (biome)"
npx biome check --error-on-warnings .
npx tsx scripts/check-layers.ts
step "typecheck (tsc, strict)"
npx tsc --noEmit
step "build (remix)"
npx remix build >/dev/null

# Both suites run even when the first fails, so one run shows every failure.
status=0
step "unit and integration tests (vitest, real pcscd + vpcd)"
npx vitest run --project sqlite --reporter=default --reporter=json --outputFile.json="$reports/vitest.json" || status=1
# Its own run, after the card tests: the PostgreSQL suites never share the machine with pcscd's timing.
step "the db, server and route suites again on PostgreSQL (vitest, throwaway cluster)"
npx vitest run --project postgres --reporter=default --reporter=json --outputFile.json="$reports/vitest-postgres.json" || status=1
step "several server processes behind HAProxy (vitest, throwaway PostgreSQL, Redis and HAProxy)"
npx vitest run --project cluster --reporter=default --reporter=json --outputFile.json="$reports/vitest-cluster.json" || status=1
step "browser tests (playwright, /usr/bin/chromium)"
PLAYWRIGHT_JSON_OUTPUT_NAME="$reports/playwright.json" npx playwright test --reporter=list,json || status=1

step "summary"
node --import tsx scripts/test-summary.ts "$reports/vitest.json" "$reports/vitest-postgres.json" "$reports/vitest-cluster.json" "$reports/playwright.json" || status=1
exit "$status"
