#!/usr/bin/env bash
# `git status` when git re-cleans a ~90 MB checkpoint, git-theta next to git-lfs on the same file in the same run:
#   touch    the file touched (new mtime and ctime): the stat cache misses, git-theta recognises the content by its
#            sums (CRC32C + CRC32 of the mapped file) and answers the manifest recorded for that path
#   rebuilt  the index rebuilt without stat information (`git read-tree HEAD`), the case of the racy-index check
#            and of the refresh after `git theta checkout`: git re-cleans an unchanged file; git-theta answers
#            from its stat cache ("warm"), or cleans in full with the cache emptied first ("cold", as before it)
# The tools alternate which goes first in each run; git-theta's filter counts how each clean was answered
# (GIT_THETA_CLEAN_STATS), and the last column checks that the touch runs were answered without a full clean.
# usage: bench/status-cache.sh [repeats]   (needs `mvn -q -DskipTests package` first, and git-lfs)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
REPEATS=${1:-5}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
. "$ROOT/bench/lib/git-sandbox.sh"
git_sandbox "$W"
export PATH=$ROOT/bin:$PATH
"${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java" \
    -cp "$ROOT/bench/target/git-theta-bench.jar:$ROOT/bench/target/lib/*" org.gittheta.bench.Series "$W/series" 64 >/dev/null
git lfs install --skip-repo >/dev/null
for tool in theta lfs; do
    git init -q -b main "$W/$tool"
    (cd "$W/$tool"
     if [ $tool = theta ]; then git theta install --local >/dev/null && git theta track '*.safetensors' >/dev/null
     else git lfs track '*.safetensors' >/dev/null; fi
     cp "$W/series/v1.safetensors" model.safetensors
     sleep 1.2 # settled: the stat cache records only files whose last change is older than a timestamp tick
     git add . && git commit -qm base)
done

seconds() { local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); echo "scale=2; ($e - $s) / 1000000000" | bc; }
status() { (cd "$W/$1" && git status --porcelain); }
rebuild() { rm "$W/$1/.git/index" && (cd "$W/$1" && git read-tree HEAD); }

stats=$W/clean-stats
echo "| run | git-lfs touch | git-theta touch | git-lfs rebuilt | git-theta rebuilt, cold | git-theta rebuilt, warm | theta touch answered |"
echo "|---|---|---|---|---|---|---|"
for i in $(seq "$REPEATS"); do
    order="lfs theta"; if [ $((i % 2)) = 0 ]; then order="theta lfs"; fi
    for tool in lfs theta; do touch "$W/$tool/model.safetensors"; done
    sleep 1.2
    declare -A t=()
    for tool in $order; do t[$tool]=$(GIT_THETA_CLEAN_STATS=$stats seconds status $tool); done
    answered=$(tail -n1 "$stats" 2>/dev/null || true)
    rebuild lfs; t[lfs_rebuilt]=$(seconds status lfs)
    rm -rf "$W/theta/.git/theta/stat-cache"; rebuild theta; t[cold]=$(seconds status theta)
    rebuild theta; t[warm]=$(seconds status theta)
    echo "| $i | ${t[lfs]} | ${t[theta]} | ${t[lfs_rebuilt]} | ${t[cold]} | ${t[warm]} | $answered |"
    unset t
done
