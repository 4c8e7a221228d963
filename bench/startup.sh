#!/usr/bin/env bash
# Start-up of the commands git runs most (issue 12): `git theta --version`, `git theta help`, a filter process
# (handshake and one clean of a tiny checkpoint, as git starts it on add/checkout/status) and the merge driver on
# a tiny checkpoint. Several launchers (e.g. a clone of an older commit, built, and this one) are measured
# interleaved: blocks of runs alternate between launchers, so that a loaded machine slows all of them alike.
# Usage: bench/startup.sh [launcher...]   (default: this tree's bin/git-theta); needs hyperfine and jq.
# Prints min/median/max wall time per command and launcher, and each launcher's median against the first one's.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bin/lib/java.sh"
launchers=()
for l in "${@:-$root/bin/git-theta}"; do launchers+=("$(readlink -f "$l")"); done
blocks=${BLOCKS:-4} runs=${RUNS:-5} warmup=${WARMUP:-3} # 4 blocks of 5 runs: 20 runs per command and launcher
for tool in hyperfine jq git; do
  command -v "$tool" >/dev/null || { echo "bench/startup.sh: needs $tool (apt-get install $tool)" >&2; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/theta-startup.XXXXXX")
trap 'rm -rf "$work"' EXIT
export HOME=$work/home GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=$work/home/.gitconfig
export GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@example.com GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@example.com
mkdir -p "$HOME"

pkt() { printf '%04x%s' $((${#1} + 4)) "$1"; }
theta_tiny_checkpoint "$work/model.safetensors"
{ # what git sends a filter process: handshake, then one clean request with the file as content
  pkt $'git-filter-client\n'; pkt $'version=2\n'; printf 0000
  pkt $'capability=clean\n'; pkt $'capability=smudge\n'; printf 0000
  pkt $'command=clean\n'; pkt $'pathname=model.safetensors\n'; printf 0000
  printf '%04x' $(($(stat -c %s "$work/model.safetensors") + 4)); cat "$work/model.safetensors"; printf 0000
} >"$work/filter-input"

for i in "${!launchers[@]}"; do # a repository per launcher, with its filter installed and the checkpoint added
  l=${launchers[$i]} repo=$work/repo$i
  "$l" --version >/dev/null # builds if needed, outside the measurement
  git init -q -b main "$repo"
  (cd "$repo" && "$l" install --local >/dev/null 2>&1 && "$l" track '*.safetensors' >/dev/null && cp "$work/model.safetensors" . \
    && git add .gitattributes model.safetensors && git cat-file -p :model.safetensors >"$work/base$i")
  grep -q '^git-theta manifest' "$work/base$i"
done

commands=(version help filter-process merge-driver)
command_line() { # $1 command, $2 launcher index
  local l=${launchers[$2]} repo=$work/repo$2 base=$work/base$2
  case $1 in
    version) printf '%q --version' "$l" ;;
    help) printf '%q help' "$l" ;;
    filter-process) printf 'cd %q && %q filter-process <%q >/dev/null' "$repo" "$l" "$work/filter-input" ;;
    merge-driver) printf 'cd %q && cp %q ours && %q merge-driver %q ours %q model.safetensors 2>/dev/null' \
      "$repo" "$base" "$l" "$base" "$base" ;;
  esac
}

for c in "${commands[@]}"; do
  for ((b = 0; b < blocks; b++)); do
    for i in "${!launchers[@]}"; do
      # through bash (hyperfine subtracts the shell's own start): the filter and driver commands cd and redirect
      hyperfine --style none -S bash --warmup $((b == 0 ? warmup : 1)) --runs "$runs" \
        --export-json "$work/$c.$i.$b.json" "$(command_line "$c" "$i")" >/dev/null
    done
  done
done

# wall times on a loaded machine vary with the load; CPU time (user + system, mean) varies less
echo "| command | launcher | min (ms) | median (ms) | max (ms) | median vs first | CPU (ms) |"
echo "|---|---|---|---|---|---|---|"
for c in "${commands[@]}"; do
  first=
  for i in "${!launchers[@]}"; do
    read -r min med max cpu < <(jq -rs '([.[].results[0].times[]] | sort | [.[0], .[(length-1)/2|floor], .[-1]])
      + [[.[].results[0] | .user + .system] | add / length] | map(.*1000|round) | @sh' "$work/$c.$i".*.json)
    first=${first:-$med}
    printf '| %s | %s | %d | %d | %d | %s | %d |\n' "$c" "${launchers[$i]}" "$min" "$med" "$max" \
      "$(awk -v a="$med" -v b="$first" 'BEGIN { printf "%.2f", a / b }')" "$cpu"
  done
done
