#!/usr/bin/env bash
# `git status` when git re-cleans a ~90 MB checkpoint, git-theta next to git-lfs on the same file in the same run:
#   touch    the file touched (new mtime and ctime: the stat cache cannot know it, git-theta cleans in full)
#   rebuilt  the index rebuilt without stat information (`git read-tree HEAD`), the case of the racy-index check
#            and of the refresh after `git theta checkout`: git re-cleans an unchanged file; git-theta answers
#            from its stat cache ("warm"), or cleans in full with the cache emptied first ("cold", as before it)
# usage: bench/status-cache.sh [repeats]   (needs `mvn -q -DskipTests package` first, and git-lfs)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
REPEATS=${1:-5}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export HOME=$W/home GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=$W/home/gitconfig PATH=$ROOT/bin:$PATH
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
mkdir -p "$HOME"
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

echo "| run | git-lfs touch | git-theta touch | git-lfs rebuilt | git-theta rebuilt, cold | git-theta rebuilt, warm |"
echo "|---|---|---|---|---|---|"
for i in $(seq "$REPEATS"); do
    row="| $i"
    for tool in lfs theta; do touch "$W/$tool/model.safetensors"; done
    sleep 1.2
    for tool in lfs theta; do row="$row | $(seconds status $tool)"; done
    rebuild lfs; row="$row | $(seconds status lfs)"
    rm -rf "$W/theta/.git/lfs/theta-stat-cache"; rebuild theta; row="$row | $(seconds status theta)"
    rebuild theta; row="$row | $(seconds status theta)"
    echo "$row |"
done
