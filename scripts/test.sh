#!/usr/bin/env bash
# Every test of siths-desk, on a bare machine too: installs what it needs, then lint, typecheck,
# unit and integration tests (real pcscd + vpcd), and Playwright against Debian's Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-debian-deps.sh
bash scripts/install-node-deps.sh

step() { printf '\n== %s\n' "$*"; }

step "lint and format (biome)"
npx biome check .
step "typecheck (tsc, strict)"
npx tsc --noEmit
step "build (remix)"
npx remix build >/dev/null
step "unit and integration tests (vitest)"
npx vitest run
step "browser tests (playwright, /usr/bin/chromium)"
npx playwright test
