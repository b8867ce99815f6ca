#!/usr/bin/env bash
# The test command (README, .ci/run): prepares the machine, then runs every check and test.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/dev-env.sh                   # Docker engine, registry, strace, test oracles, base images
[ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund
npm run typecheck
npm run lint
npm run build
npx vitest run "$@"
