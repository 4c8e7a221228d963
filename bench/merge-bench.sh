#!/usr/bin/env bash
# Merge benchmark (numbers in docs/performance.md): base + two full fine-tunes of a bf16 checkpoint of TENSORS x 16 MiB
# (default 16: 256 MiB; TENSORS=64 for 1 GiB), merged with ties and with fisher. Needs python3 with numpy.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
THETA_BIN=${THETA_BIN:-$(cd "$HERE/../bin" && pwd)}
W=$(mktemp -d); cd "$W"; export HOME=$W GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=$W/gc PATH=$THETA_BIN:$PATH \
  GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@b GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@b
git init -q -b main r; cd r; git theta install --local; git theta track '*.safetensors'
python3 "$HERE/merge-gen.py" m.safetensors 0 0; git add -A; git commit -qm base
git checkout -qb a; python3 "$HERE/merge-gen.py" m.safetensors 1 1; git commit -qam a
git checkout -qb b main; python3 "$HERE/merge-gen.py" m.safetensors 2 1; git commit -qam b
python3 "$HERE/merge-gen.py" ../fa.safetensors 1 1 fisher; python3 "$HERE/merge-gen.py" ../fb.safetensors 2 1 fisher
for s in ties fisher; do
  git checkout -q -B m$s b
  echo "== $s"
  /usr/bin/time -v git theta merge --strategy $s --fisher-ours ../fb.safetensors --fisher-theirs ../fa.safetensors --no-edit a 2>&1 \
    | grep -E "Elapsed|Maximum resident|merged|Merge made|CONFLICT" | grep -v "^  merged"
done
cd /; rm -rf "$W"
