#!/bin/sh
# npm test: type-check, check the direction of imports, then every unit and end-to-end
# test in one node:test run. End-to-end tests make real LXC nodes (the local provider
# installs what it needs on first use), so they run one file at a time.
set -e
cd "$(dirname "$0")/.."
# dist/ first: examples and the packaged API type-check against its declarations.
npm run --silent build
npx tsc --noEmit -p .
npm run --silent check:deps
# No kept-sessions daemon outlives the tests (kept-sessions.test.ts turns it on for its own).
export FORKLIFT_SESSIONS="${FORKLIFT_SESSIONS:-off}"
# Stack files the tests compile are cached in a folder of the run's own, removed after it.
XDG_CACHE_HOME="$(mktemp -d "${TMPDIR:-/tmp}/forklift-test-cache.XXXXXX")"
export XDG_CACHE_HOME
trap 'rm -rf "$XDG_CACHE_HOME"' EXIT
node --import tsx --test --test-concurrency=1 test/unit/*.test.ts test/e2e/*.test.ts
