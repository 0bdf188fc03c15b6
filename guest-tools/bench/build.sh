#!/usr/bin/env bash
# Builds the guest benchmark: OUTDIR/emu-bench (gcc -m32 -O2 -static; bench.c with -march=i686 and no SSE,
# bench_x87.c with -mfpmath=387 -mno-sse, bench_sse2.c with -msse2 -mfpmath=sse), checks that each object really uses
# the unit it should, runs it natively once with `all` and writes the BENCH lines to OUTDIR/emu-bench.native (the
# reference checksums). Rebuilds only when a source changes. Installs gcc-multilib (Debian) when 32-bit static
# linking does not work and we are root.
#   usage: guest-tools/bench/build.sh OUTDIR
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
die() { echo "bench/build.sh: error: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: $0 OUTDIR"
out="$1"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
bin="$out/emu-bench"
ref="$out/emu-bench.native"
sources=(bench.c bench_x87.c bench_sse2.c bench.h fpkernel.h build.sh)

up_to_date() {
    [ -x "$bin" ] && [ -s "$ref" ] && [ "$ref" -nt "$bin" ] || return 1
    local s
    for s in "${sources[@]}"; do [ "$bin" -nt "$here/$s" ] || return 1; done
}
if up_to_date; then exit 0; fi

command -v gcc >/dev/null 2>&1 || die "gcc not found (apt-get install gcc gcc-multilib)"
[ "$(uname -m)" = x86_64 ] || [ "$(uname -m)" = i686 ] || die "the native reference run needs an x86 host (this is $(uname -m))"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# Can gcc link a 32-bit static program? If not, install Debian's multilib support.
can_link32() {
    echo 'int main(void){return 0;}' >"$tmp/probe.c"
    gcc -m32 -static -o "$tmp/probe" "$tmp/probe.c" >/dev/null 2>&1
}
if ! can_link32; then
    if [ "$(id -u)" -ne 0 ]; then
        die "gcc cannot build 32-bit static programs; run: sudo apt-get install gcc-multilib libc6-dev-i386"
    fi
    command -v apt-get >/dev/null 2>&1 || die "gcc cannot build 32-bit static programs and apt-get is missing (install gcc-multilib)"
    echo "bench/build.sh: installing gcc-multilib and libc6-dev-i386 (Debian packages)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc-multilib libc6-dev-i386 >/dev/null 2>&1 \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc-multilib libc6-dev-i386 >/dev/null; } \
        || die "apt-get install gcc-multilib libc6-dev-i386 failed"
    can_link32 || die "gcc still cannot build 32-bit static programs after installing gcc-multilib"
fi

cflags=(-m32 -O2 -static -Wall -Wextra -Werror -fno-math-errno -fno-tree-loop-distribute-patterns)
gcc "${cflags[@]}" -march=i686 -mfpmath=387 -mno-sse -c "$here/bench.c" -o "$tmp/bench.o"
gcc "${cflags[@]}" -march=i686 -mfpmath=387 -mno-sse -c "$here/bench_x87.c" -o "$tmp/bench_x87.o"
gcc "${cflags[@]}" -march=i686 -msse2 -mfpmath=sse -c "$here/bench_sse2.c" -o "$tmp/bench_sse2.o"

# Each part must really run on its unit: no XMM register outside bench_sse2.o, x87 arithmetic in bench_x87.o,
# SSE2 double arithmetic in bench_sse2.o.
if command -v objdump >/dev/null 2>&1; then
    objdump -d "$tmp/bench.o" >"$tmp/bench.dis"
    objdump -d "$tmp/bench_x87.o" >"$tmp/x87.dis"
    objdump -d "$tmp/bench_sse2.o" >"$tmp/sse2.dis"
    ! grep -q '%xmm' "$tmp/bench.dis" || die "bench.o uses SSE registers"
    ! grep -q '%xmm' "$tmp/x87.dis" || die "bench_x87.o uses SSE registers"
    grep -qE '\bfsqrt\b' "$tmp/x87.dis" && grep -qE '\bfmul' "$tmp/x87.dis" || die "bench_x87.o has no x87 arithmetic"
    grep -qE '\bsqrtsd\b' "$tmp/sse2.dis" && grep -qE '\bmul[sp]d\b' "$tmp/sse2.dis" || die "bench_sse2.o has no SSE2 arithmetic"
fi

gcc "${cflags[@]}" "$tmp/bench.o" "$tmp/bench_x87.o" "$tmp/bench_sse2.o" -o "$tmp/emu-bench"
"$tmp/emu-bench" all >"$tmp/native.out" || die "the native run failed: $(cat "$tmp/native.out")"
grep '^BENCH ' "$tmp/native.out" >"$tmp/native" || die "the native run printed no BENCH line"
[ "$(grep -c 'checksum=' "$tmp/native")" -eq 5 ] || die "the native run did not finish all five workloads: $(cat "$tmp/native")"
mv -f "$tmp/emu-bench" "$bin"
mv -f "$tmp/native" "$ref"
echo "bench/build.sh: built $bin; native reference in $ref" >&2
