#!/usr/bin/env bash
# Bytes stored by a sharded model's everyday steps: base (3 shards), a fine-tune of one parameter, the same
# values re-sharded into 2 files with other names (every parameter new to its file), and back to 3 shards.
# Usage: bench/sharded.sh [MiB per shard, default 64]. Needs python3 with numpy (to write the shards).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$here/bin:$PATH"
mib="${1:-64}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL="$work/home/gitconfig"
mkdir -p "$HOME" "$work/repo"
cd "$work/repo"
git init -q -b main
git theta install --local >/dev/null
git theta track '*.safetensors'
git -c user.name=b -c user.email=b@b add .gitattributes && git -c user.name=b -c user.email=b@b commit -qm attrs

gen() { # gen <shards> <tuned 0|1>
python3 - "$1" "$2" "$mib" <<'PY'
import json, struct, sys, os, numpy as np
shards, tuned, mib = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(0)
n = 24  # parameters, 4 MiB-ish each scaled to the shard size
per = mib * 3 * (1 << 20) // n // 2   # bf16 elements per parameter (3 shards' worth of bytes in total)
params = {f"layers.{i:02d}.weight": (rng.standard_normal(per).astype(np.float32).view(np.uint32) >> 16).astype(np.uint16)
          for i in range(n)}
if tuned:
    v = params["layers.05.weight"]; idx = rng.choice(per, per // 1000, replace=False); v[idx] ^= 1
for f in os.listdir("."):
    if f.startswith("model"): os.remove(f)
names = sorted(params); wm = {}
for k in range(shards):
    part = names[k * n // shards:(k + 1) * n // shards]
    fn = f"model-{k + 1:05d}-of-{shards:05d}.safetensors"
    hdr, off = {"__metadata__": {"format": "pt"}}, 0
    for p in part:
        hdr[p] = {"dtype": "BF16", "shape": [per], "data_offsets": [off, off + 2 * per]}; off += 2 * per; wm[p] = fn
    h = json.dumps(hdr).encode(); h += b" " * (-len(h) % 8)
    with open(fn, "wb") as f:
        f.write(struct.pack("<Q", len(h))); f.write(h)
        for p in part: f.write(params[p].tobytes())
json.dump({"metadata": {"total_size": 2 * per * n}, "weight_map": wm}, open("model.safetensors.index.json", "w"), indent=2)
PY
}
step() { # step <label> <shards> <tuned>
  gen "$2" "$3"
  local before; before=$(du -sb .git/lfs/objects 2>/dev/null | cut -f1 || echo 0)
  local t0; t0=$(date +%s.%N)
  git add -A && git -c user.name=b -c user.email=b@b commit -qm "$1"
  local t1; t1=$(date +%s.%N)
  local after; after=$(du -sb .git/lfs/objects | cut -f1)
  printf '| %s | %s | %d | %d | %.1f |\n' "$1" "$(du -sbc model-*.safetensors | tail -1 | cut -f1)" \
    "$((after - ${before:-0}))" "$(find .git/lfs/objects -type f | wc -l)" "$(echo "$t1 - $t0" | bc)"
}
echo "| step | checkpoint bytes | bytes stored | objects in store | add+commit s |"
echo "|---|---|---|---|---|"
step "base, 3 shards" 3 0
step "fine-tune: 0.1 % of one parameter" 3 1
step "re-sharded into 2 files (same values)" 2 1
step "back to 3 shards (same values)" 3 1
echo
echo "value index: $(find .git/lfs/theta/values -type f | wc -l) entries, $(du -sb .git/lfs/theta/values | cut -f1) bytes (apparent)"
git theta diff --stat HEAD~1 HEAD
git theta diff HEAD~2 HEAD~1 -- model.safetensors.index.json | tail -3
