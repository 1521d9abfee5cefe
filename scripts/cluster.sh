#!/usr/bin/env bash
# Installs everything siths-desk needs and starts it as several server processes behind HAProxy, with demo
# data: a throwaway PostgreSQL and Redis, N processes (--processes N, default 2), pcscd with a virtual SITHS
# card and one card-agent that reaches the processes through the balancer.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-debian-deps.sh
bash scripts/install-node-deps.sh
npx remix build >/dev/null
exec node --import tsx scripts/cluster.ts "$@"
