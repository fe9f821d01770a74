#!/usr/bin/env bash
# `npm run bench:load`: raises the open-file limit (each process holds one descriptor per socket),
# then runs the load bench, bounded in time.
set -euo pipefail
cd "$(dirname "$0")/../.."

CLIENTS="${LOAD_CLIENTS:-10000}"
# The server holds one socket per client, plus files, pipes and listeners.
NEEDED_FDS=$((CLIENTS + 1024))
# The bench stops itself after 15 minutes; this is the backstop.
HARD_TIMEOUT_S=1000

hard_limit="$(ulimit -Hn)"
if [ "$hard_limit" != unlimited ] && [ "$hard_limit" -lt "$NEEDED_FDS" ] && ulimit -Hn "$NEEDED_FDS" 2>/dev/null; then
  hard_limit="$NEEDED_FDS" # raised (root may)
fi
if [ "$hard_limit" != unlimited ] && [ "$hard_limit" -lt "$NEEDED_FDS" ]; then
  echo "bench:load needs $NEEDED_FDS open files per process, but the hard limit (ulimit -Hn) is $hard_limit." >&2
  echo "Raise it (e.g. in /etc/security/limits.conf, or run as root with 'ulimit -Hn $NEEDED_FDS'), or set LOAD_CLIENTS lower." >&2
  exit 1
fi
ulimit -n "$hard_limit"
echo "ulimit -n: $(ulimit -n)"
exec timeout --kill-after=10 "$HARD_TIMEOUT_S" node --import tsx bench/load/main.ts
