#!/usr/bin/env bash
# One model in three formats, side by side in one run: a ~1 GiB pytorch_model.bin (torch.save layout, BF16), the same
# values as model.safetensors (BF16) and as model.gguf (converted to F16). Per format, in a fresh repository:
#   add      git add + git commit of the base version (s)
#   checkout the file deleted, then git checkout -- <file> (s), compared byte for byte with what was added
#   1 %      bytes the store gains for a version that changes 1 % of the tensors
# then, in the .bin repository: the .bin replaced by model.safetensors of the same (fine-tuned) values, committed:
# the bytes the store gains (values already stored are found by value, whatever the file or format).
# usage: bench/formats.sh [MiB, default 1024]   (builds with mvn -DskipTests package first)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MIB=${1:-1024}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
. "$ROOT/bin/lib/java.sh"
theta_find_java
(cd "$ROOT" && JAVA_HOME=$THETA_JAVA_HOME MAVEN_OPTS=--sun-misc-unsafe-memory-access=allow \
    mvn -q -B -ntp -DskipTests package >&2)
"$ROOT/bin/git-theta" --version >/dev/null
. "$ROOT/bench/lib/git-sandbox.sh"
git_sandbox "$W"
export PATH=$ROOT/bin:$PATH
gen() { "$THETA_JAVA" -cp "$ROOT/bench/target/git-theta-bench.jar:$ROOT/bench/target/lib/*" \
    org.gittheta.bench.FormatsCheckpoint "$@"; }
gen "$W/base" "$MIB"
gen "$W/tuned" "$MIB" tuned

seconds() {
    local s e
    s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N)
    echo "scale=1; ($e - $s) / 1000000000" | bc
}
stored() { du -sb .git/theta/objects | cut -f1; }
commit() { git add "$1" && git commit -qm "$2"; }

echo "| format | file | add + commit s | checkout s | stored (base) | stored by a 1 % version |"
echo "|---|---|---|---|---|---|"
for file in pytorch_model.bin model.gguf model.safetensors; do
    repo=$W/repo-$file
    git init -q -b main "$repo"
    cd "$repo"
    git theta install --local >/dev/null
    git theta track '*.bin' '*.gguf' '*.safetensors' >/dev/null
    git add .gitattributes && git commit -qm attributes
    cp "$W/base/$file" "$file"
    add=$(seconds commit "$file" base)
    base=$(stored)
    rm "$file"
    checkout=$(seconds git checkout -- "$file")
    cmp "$file" "$W/base/$file"
    cp "$W/tuned/$file" "$file"
    commit "$file" "1 % of the tensors"
    tuned=$(( $(stored) - base ))
    printf '| %s | %s MiB | %s | %s | %s MiB | %s MiB |\n' "$(git cat-file -p "HEAD:$file" | sed -n 's/^format //p')" \
        "$(( $(stat -c %s "$W/base/$file") >> 20 ))" "$add" "$checkout" "$(( base >> 20 ))" \
        "$(echo "scale=1; $tuned / 1048576" | bc)"
done

cd "$W/repo-pytorch_model.bin"
before=$(stored)
git rm -q pytorch_model.bin
cp "$W/tuned/model.safetensors" model.safetensors
convert=$(seconds commit model.safetensors "converted to safetensors")
echo
echo "Converting the .bin to model.safetensors (same values) and committing it stores $(( $(stored) - before )) bytes" \
    "(add + commit ${convert} s)."
