#!/usr/bin/env bash
# Merge benchmark (numbers in docs/performance.md): base + two full fine-tunes of a bf16 checkpoint of TENSORS x 16 MiB
# (default 16: 256 MiB; TENSORS=64 for 1 GiB), merged with ties and with fisher. Checkpoints from bench's MergeCheckpoint.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
THETA_BIN=${THETA_BIN:-$(cd "$HERE/../bin" && pwd)}
. "$HERE/../bin/lib/java.sh"
theta_find_java
(cd "$HERE/.." && JAVA_HOME=$THETA_JAVA_HOME MAVEN_OPTS="--sun-misc-unsafe-memory-access=allow" \
  mvn -q -B -ntp -DskipTests package -pl bench -am >&2)
gen() { "$THETA_JAVA" -cp "$HERE/target/git-theta-bench.jar:$HERE/target/lib/*" org.gittheta.bench.MergeCheckpoint "$@"; }
W=$(mktemp -d); cd "$W"; export HOME=$W GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=$W/gc PATH=$THETA_BIN:$PATH \
  GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@b GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@b
git init -q -b main r; cd r; git theta install --local; git theta track '*.safetensors'
gen m.safetensors 0 0; git add -A; git commit -qm base
git checkout -qb a; gen m.safetensors 1 1; git commit -qam a
git checkout -qb b main; gen m.safetensors 2 1; git commit -qam b
gen ../fa.safetensors 1 1 fisher; gen ../fb.safetensors 2 1 fisher
for s in ties fisher; do
  git checkout -q -B m$s b
  echo "== $s"
  /usr/bin/time -v git theta merge --strategy $s --fisher-ours ../fb.safetensors --fisher-theirs ../fa.safetensors --no-edit a 2>&1 \
    | grep -E "Elapsed|Maximum resident|merged|Merge made|CONFLICT" | grep -v "^  merged"
done
cd /; rm -rf "$W"
