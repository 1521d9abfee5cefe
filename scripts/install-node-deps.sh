#!/usr/bin/env bash
# Installs the npm dependencies when node_modules is missing or older than the lockfile.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  exit 0
fi
echo "Installing npm dependencies (native add-ons compile from source, this takes a few minutes)"
# `npm ci` refuses this lockfile under npm 11 (it wants entries for other platforms' optional
# binaries, which npm itself does not write here); `npm install` installs exactly the locked versions.
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund
