#!/usr/bin/env bash
# Micro-benchmarks (JMH) of the hot paths: SHA-256, byte shuffle, zstd/lz4, XOR and sparse delta, bf16/f16
# conversion, safetensors header parse, pkt-line framing. Short by default (1 fork, 2 warmup and 3 measured
# iterations of 1 s); prints JMH's table. Figures in docs/performance.md.
#
# usage: bench/jmh.sh [JMH options, e.g. a benchmark regex 'StoreBench.sha256' or -f 3 -wi 5 -i 10]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bin/lib/java.sh"
theta_find_java
(cd "$root" && JAVA_HOME=$THETA_JAVA_HOME MAVEN_OPTS="--sun-misc-unsafe-memory-access=allow" \
  mvn -q -B -ntp -DskipTests package -pl bench -am >&2)
exec "$THETA_JAVA" --sun-misc-unsafe-memory-access=allow -cp "$root/bench/target/git-theta-bench.jar:$root/bench/target/lib/*" org.openjdk.jmh.Main \
  -f 1 -wi 2 -i 3 -w 1s -r 1s -jvmArgsAppend "--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow" "$@"
