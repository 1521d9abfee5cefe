#!/usr/bin/env bash
# Installs everything siths-desk needs and starts the whole system with demo data: pcscd with the
# virtual reader, a virtual SITHS card, the server on the embedded SQLite database and one card-agent.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-debian-deps.sh
bash scripts/install-node-deps.sh
npx remix build >/dev/null
exec node --import tsx scripts/demo.ts
