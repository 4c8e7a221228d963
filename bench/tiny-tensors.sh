#!/usr/bin/env bash
# `git add` of a checkpoint of many tiny tensors (per-tensor overhead: hashing, objects, manifest lines), then a
# second version with 1 % of them changed, then a checkout of the first; prints wall times.
# usage: bench/tiny-tensors.sh [count, default 200000] [jfr file: record the first add's filter with JFR]
# (needs `mvn -q -B -ntp -DskipTests package -pl bench -am` first)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
COUNT=${1:-200000}
JFR=${2:-}
JAVA=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
. "$ROOT/bench/lib/git-sandbox.sh"
git_sandbox "$W"
export PATH=$ROOT/bin:$PATH
gen() { "$JAVA" -cp "$ROOT/bench/target/git-theta-bench.jar:$ROOT/bench/target/lib/*" org.gittheta.bench.TinyTensors "$@"; }
gen "$COUNT" 0 "$W/v1.safetensors"
gen "$COUNT" 1 "$W/v2.safetensors"
git init -q -b main "$W/repo" && cd "$W/repo"
git theta install --local >/dev/null && git theta track '*.safetensors' >/dev/null
git add .gitattributes && git commit -qm track
# wall seconds, and the CPU seconds (user + system) of the command and its children: on a shared, loaded machine the
# wall time mostly measures the other processes
seconds() {
    local t=$W/time
    /usr/bin/time -o "$t" -f "%e %U %S" "$@" >/dev/null
    awk '{ printf "%.2f s (cpu %.2f s)", $1, $2 + $3 }' "$t"
}
cp "$W/v1.safetensors" model.safetensors
if [ -n "$JFR" ]; then
    # the start-up cache cannot be used with JFR, and JFR must not say it started on stdout (the filter protocol)
    export GIT_THETA_JAVA_OPTS="-XX:StartFlightRecording=filename=$JFR,settings=profile -XX:AOTMode=off -Xlog:jfr+startup=error:stderr"
fi
echo "add v1 ($COUNT tensors): $(seconds git add model.safetensors)"
unset GIT_THETA_JAVA_OPTS
git commit -qm v1
cp "$W/v2.safetensors" model.safetensors
echo "add v2 (1 % changed): $(seconds git add model.safetensors)"
git commit -qm v2
rm model.safetensors
echo "checkout v1: $(seconds git checkout -q HEAD~1 -- model.safetensors)"
cmp model.safetensors "$W/v1.safetensors"
echo "manifest: $(git cat-file -s HEAD~1:model.safetensors) bytes, store: $(du -sh .git/theta/objects 2>/dev/null | cut -f1 || echo 0)"
