#!/bin/sh
# A stand-in for vLLM's API server and its EngineCore worker, for the one thing
# the simulator cannot show: a worker that outlives its leader. The worker
# ignores SIGTERM. FIXTURE_MODE=die: the leader exits 3 at once, leaving the
# worker behind; otherwise the leader exits 0 on SIGTERM. Never serves HTTP.
sh -c 'trap "" TERM; while :; do sleep 0.1; done' &
echo "worker pid $!"
if [ "$FIXTURE_MODE" = "die" ]; then
  echo "RuntimeError: leader dying, worker left behind" >&2
  exit 3
fi
trap 'echo "leader got SIGTERM"; exit 0' TERM
while :; do sleep 0.1; done
