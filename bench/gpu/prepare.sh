#!/usr/bin/env bash
# Run on the dev machine (with Node 20 and pnpm), from anywhere: writes what
# run.sh needs on the GPU machine, which has Python and torch but no Node and
# no package registry, into bench/gpu/.artifacts/ (ignored by git):
#   node.xz           this machine's `node` binary, xz -9 (run.sh unpacks it with python3's lzma)
#   llmux.tar.xz      a pruned production install of @llmux/cli (`pnpm deploy --prod`), built first
# Then check the size: the run tool carries at most 64 MiB (working tree included).
set -euo pipefail
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
repo=$(CDPATH= cd -- "$here/../.." && pwd)
art="$here/.artifacts"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

mkdir -p "$art"
echo "building @llmux/cli and its dependencies"
(cd "$repo" && pnpm --filter "@llmux/cli..." build >/dev/null)

echo "deploying @llmux/cli (production dependencies only)"
(cd "$repo" && pnpm --filter @llmux/cli deploy --prod "$stage/llmux" >/dev/null)
# Someone may rebuild a package while we copy: prove the copy runs before packing it.
node "$stage/llmux/dist/cli.js" --version >/dev/null
tar -C "$stage/llmux" -cJf "$art/llmux.tar.xz.tmp" . && mv "$art/llmux.tar.xz.tmp" "$art/llmux.tar.xz"

node_bin=$(command -v node)
if [ ! -f "$art/node.xz" ] || [ "$node_bin" -nt "$art/node.xz" ] || [ "$(cat "$art/node.version" 2>/dev/null)" != "$(node --version)" ]; then
  echo "compressing $node_bin ($(node --version)) with xz -9 (a few minutes)"
  xz -9 -T0 -c "$node_bin" > "$art/node.xz.tmp" && mv "$art/node.xz.tmp" "$art/node.xz"
  node --version > "$art/node.version"
fi

total=$(du -sb "$art" | cut -f1)
tree=$(cd "$repo" && git ls-files -z --cached --others --exclude-standard | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)
limit=$((64 * 1024 * 1024))
echo "artifacts: $((total / 1024 / 1024)) MiB; working tree that travels: $((tree / 1024 / 1024)) MiB; limit 64 MiB"
ls -l "$art"
if [ $((total + tree)) -ge "$limit" ]; then
  echo "too large for the run tool's 64 MiB" >&2
  exit 1
fi
