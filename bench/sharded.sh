#!/usr/bin/env bash
# Bytes stored by a sharded model's everyday steps: base (3 shards), a fine-tune of one parameter, the same
# values re-sharded into 2 files with other names (every parameter new to its file), and back to 3 shards.
# Usage: bench/sharded.sh [MiB per shard, default 64]. The shards come from org.gittheta.bench.ShardedModel
# (the bench module is built first).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$here/bin:$PATH"
mib="${1:-64}"
. "$here/bin/lib/java.sh"
theta_find_java
(cd "$here" && JAVA_HOME=$THETA_JAVA_HOME MAVEN_OPTS=--sun-misc-unsafe-memory-access=allow \
    mvn -q -B -ntp -DskipTests package -pl bench -am >&2)
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
  "$THETA_JAVA" -cp "$here/bench/target/git-theta-bench.jar:$here/bench/target/lib/*" \
    org.gittheta.bench.ShardedModel . "$1" "$mib" $([ "$2" = 1 ] && echo tuned)
}
step() { # step <label> <shards> <tuned>
  gen "$2" "$3"
  local before; before=$(du -sb .git/theta/objects 2>/dev/null | cut -f1 || echo 0)
  local t0; t0=$(date +%s.%N)
  git add -A && git -c user.name=b -c user.email=b@b commit -qm "$1"
  local t1; t1=$(date +%s.%N)
  local after; after=$(du -sb .git/theta/objects | cut -f1)
  printf '| %s | %s | %d | %d | %.1f |\n' "$1" "$(du -sbc model-*.safetensors | tail -1 | cut -f1)" \
    "$((after - ${before:-0}))" "$(find .git/theta/objects -type f | wc -l)" "$(echo "$t1 - $t0" | bc)"
}
echo "| step | checkpoint bytes | bytes stored | objects in store | add+commit s |"
echo "|---|---|---|---|---|"
step "base, 3 shards" 3 0
step "fine-tune: 0.1 % of one parameter" 3 1
step "re-sharded into 2 files (same values)" 2 1
step "back to 3 shards (same values)" 3 1
echo
echo "value index: $(find .git/theta/values -type f | wc -l) entries, $(du -sb .git/theta/values | cut -f1) bytes (apparent)"
git theta diff --stat HEAD~1 HEAD
git theta diff HEAD~2 HEAD~1 -- model.safetensors.index.json | tail -3
