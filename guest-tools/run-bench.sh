#!/usr/bin/env bash
# Runs the guest benchmark (guest-tools/bench, /bin/emu-bench in the demo initramfs) inside the Linux demo guest under
# emu and, when qemu-system-i386 is installed, under QEMU TCG on the same image in the same run, and prints a table:
# boot time to the `EMU-DEMO: shell ready` line, each workload's time, the ratio emu/QEMU and whether the checksums
# match the native run of the very same binary (extracted from the initramfs and run on this host).
#
# Times are host wall-clock, taken by this script from the serial console lines as they arrive: a workload's time is
# from its `BENCH-BEGIN <name>` line to its `BENCH <name> ...` line (the guest's own clock is shown too, but under emu
# it is virtual time, 1 ns per retired instruction, so it is not comparable to QEMU's).
#
#   usage: guest-tools/run-bench.sh [options]
#     --artifacts DIR   where demo.raw.s2e, demo-vmlinuz, demo-initrd.gz and bin/emu are (default: artifacts/)
#     --emu PATH        the emu to run (default: <artifacts>/bin/emu)
#     --workloads "W…"  the emu-bench arguments (default: all; crc32 sieve memchase x87 sse2)
#     --append STRING   the whole kernel command line (default: console=ttyS0 emurun="emu-bench <workloads>")
#     --no-qemu         only run emu          --no-emu    only run QEMU (to check the image and this script)
#     --timeout SEC     per run (default 1800)
#     --logs DIR        keep the timestamped serial logs there (default: <artifacts>/bench)
#
# Exit status: 0 when every run powered off after `EMU-DEMO: command done (exit 0)` and every checksum equals the
# native one; 1 otherwise (the table still prints); 2 on a usage or setup error. The ratio target (every
# emu/QEMU ratio <= 1.0) is reported, not enforced.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
art="$root/artifacts"
workloads="all"
append=""
run_emu=1
run_qemu=1
timeout_s=1800
logs=""
emu=""

die() { echo "run-bench: error: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --artifacts) [ $# -ge 2 ] || die "$1 needs a value"; art="$2"; shift 2 ;;
        --emu) [ $# -ge 2 ] || die "$1 needs a value"; emu="$2"; shift 2 ;;
        --workloads) [ $# -ge 2 ] || die "$1 needs a value"; workloads="$2"; shift 2 ;;
        --append) [ $# -ge 2 ] || die "$1 needs a value"; append="$2"; shift 2 ;;
        --timeout) [ $# -ge 2 ] || die "$1 needs a value"; timeout_s="$2"; shift 2 ;;
        --logs) [ $# -ge 2 ] || die "$1 needs a value"; logs="$2"; shift 2 ;;
        --no-qemu) run_qemu=0; shift ;;
        --no-emu) run_emu=0; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option '$1' (see --help)" ;;
    esac
done
[[ "$timeout_s" =~ ^[0-9]+$ ]] || die "--timeout: '$timeout_s' is not a number of seconds"
[[ "$workloads" =~ ^[a-z0-9\ ]+$ ]] || die "--workloads: only workload names (letters, digits, spaces)"
[ -n "$append" ] || append="console=ttyS0 emurun=\"emu-bench $workloads\""
art="$(cd "$art" 2>/dev/null && pwd)" || die "no artifacts directory"
[ -n "$logs" ] || logs="$art/bench"
mkdir -p "$logs"

disk="$art/demo.raw.s2e"
kernel="$art/demo-vmlinuz"
initrd="$art/demo-initrd.gz"
[ -n "$emu" ] || emu="$art/bin/emu"
for f in "$disk" "$kernel" "$initrd"; do
    [ -f "$f" ] || die "$f is missing (build the demo image: ./build.sh, guest-tools/make-demo.sh)"
done
if [ "$run_emu" -eq 1 ] && [ ! -x "$emu" ]; then die "$emu is missing (run ./build.sh)"; fi
if [ "$run_qemu" -eq 1 ] && ! command -v qemu-system-i386 >/dev/null 2>&1; then
    echo "run-bench: qemu-system-i386 is not installed (Debian: apt-get install qemu-system-x86); emu only" >&2
    run_qemu=0
fi
[ "$run_emu" -eq 1 ] || [ "$run_qemu" -eq 1 ] || die "nothing to run"
command -v timeout >/dev/null 2>&1 || die "timeout (coreutils) is missing"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# ---- the native reference: the same binary as in the guest, run on this host ----
native="$logs/native.out"
extract_bench() {
    local d="$tmp/initrd"
    mkdir -p "$d"
    local cat_cmd
    case "$(head -c 6 "$initrd" | od -An -tx1 | tr -d ' \n')" in
        1f8b*) cat_cmd=(gzip -dc) ;;
        fd377a585a00) cat_cmd=(xz -dc) ;;
        28b52ffd*) cat_cmd=(zstd -dc) ;;
        *) cat_cmd=(cat) ;;
    esac
    command -v cpio >/dev/null 2>&1 || return 1
    (cd "$d" && "${cat_cmd[@]}" "$initrd" | cpio -i --quiet --make-directories --no-absolute-filenames '*bin/emu-bench' 2>/dev/null) || true
    local b
    for b in "$d/bin/emu-bench" "$d/usr/bin/emu-bench" "$d/usr/local/bin/emu-bench"; do
        if [ -f "$b" ] && [ ! -L "$b" ]; then cp "$b" "$tmp/emu-bench"; chmod +x "$tmp/emu-bench"; return 0; fi
    done
    return 1
}
if extract_bench; then
    # shellcheck disable=SC2086  # the workload names are words
    "$tmp/emu-bench" $workloads >"$tmp/native.raw" 2>&1 || die "the native run of the initramfs's emu-bench failed: $(cat "$tmp/native.raw")"
    grep '^BENCH ' "$tmp/native.raw" >"$native" || die "the native run printed no BENCH line"
    echo "run-bench: native reference from the initramfs's /bin/emu-bench" >&2
elif [ -s "$art/emu-bench.native" ]; then
    cp "$art/emu-bench.native" "$native"
    echo "run-bench: warning: could not extract /bin/emu-bench from $initrd; using $art/emu-bench.native" >&2
else
    die "no native reference: /bin/emu-bench is not in $initrd and $art/emu-bench.native is missing (guest-tools/bench/build.sh $art)"
fi
grep -q 'checksum=' "$native" || die "the native reference has no checksum: $(cat "$native")"

# ---- one run: the serial console, each line prefixed with the host time it arrived ----
# run_vm NAME COMMAND...  → $logs/NAME.log ("<epoch seconds> <line>"; the first line is "<t0> START"), $tmp/NAME.rc
# (the emulator's exit status; "nopoweroff" when it was still running $poweroff_grace s after "command done").
poweroff_grace=30
run_vm() {
    local name="$1"; shift
    local log="$logs/$name.log" fifo="$tmp/$name.fifo"
    echo "run-bench: running $name (timeout ${timeout_s}s): $*" >&2
    printf '%q ' "$@" >"$logs/$name.cmd"; echo >>"$logs/$name.cmd"
    mkfifo "$fifo"
    printf '%s START\n' "$EPOCHREALTIME" >"$log"
    while IFS= read -r line || [ -n "$line" ]; do
        printf '%s %s\n' "$EPOCHREALTIME" "${line//$'\r'/}"
    done <"$fifo" >>"$log" &
    local reader=$!
    timeout --kill-after=10 "$timeout_s" "$@" </dev/null >"$fifo" 2>&1 &
    local vm=$! done_at="" rc
    while kill -0 "$vm" 2>/dev/null; do
        sleep 1
        if [ -z "$done_at" ] && grep -q 'EMU-DEMO: command done' "$log"; then done_at=$SECONDS; fi
        if [ -n "$done_at" ] && [ $((SECONDS - done_at)) -ge "$poweroff_grace" ] && kill -0 "$vm" 2>/dev/null; then
            echo "run-bench: $name did not power off within ${poweroff_grace}s after 'command done'; stopping it" >&2
            kill -TERM "$vm" 2>/dev/null || true
            wait "$vm" 2>/dev/null || true
            rc=nopoweroff
            break
        fi
    done
    if [ -z "${rc:-}" ]; then
        set +e; wait "$vm"; rc=$?; set -e
    fi
    wait "$reader" 2>/dev/null || true
    printf '%s END rc=%s\n' "$EPOCHREALTIME" "$rc" >>"$log"
    echo "$rc" >"$tmp/$name.rc"
    [ "$rc" != 124 ] || echo "run-bench: $name timed out after ${timeout_s}s (log: $log)" >&2
}

# parse NAME → $tmp/NAME.res: lines "boot <ms>", "done <exit>", "w <name> <wall ms> <guest ms> <checksum>", "werr <name> <text>"
parse() {
    awk '
        NR == 1 { t0 = $1 + 0; next }
        /EMU-DEMO: shell ready/ && !booted { booted = 1; printf "boot %.0f\n", ($1 - t0) * 1000 }
        /EMU-DEMO: command done \(exit [0-9]+\)/ { match($0, /exit [0-9]+/); printf "done %s\n", substr($0, RSTART + 5, RLENGTH - 5) }
        {
            line = $0
            if ((i = index(line, "BENCH-BEGIN ")) > 0) {
                split(substr(line, i + 12), a, /[ \t]+/); begin[a[1]] = $1 + 0; next
            }
            if ((i = index(line, "BENCH ")) > 0) {
                n = split(substr(line, i + 6), a, /[ \t]+/); w = a[1]; ms = ""; sum = ""; err = ""
                for (k = 2; k <= n; k++) {
                    if (a[k] ~ /^time_ms=/) ms = substr(a[k], 9)
                    else if (a[k] ~ /^checksum=/) sum = substr(a[k], 10)
                    else if (a[k] ~ /^error=/) err = substr(a[k], 7)
                }
                if (err != "" || sum == "" || !(w in begin)) { printf "werr %s %s\n", w, (err != "" ? err : "malformed"); next }
                printf "w %s %.1f %s %s\n", w, ($1 - begin[w]) * 1000, ms, sum
            }
        }
    ' "$logs/$1.log" >"$tmp/$1.res"
}

ok=1
runs=()
common=(-m 256 -cpu core2duo -nographic -net none -no-reboot -kernel "$kernel" -initrd "$initrd" -append "$append")
if [ "$run_emu" -eq 1 ]; then
    run_vm emu "$emu" "${common[@]}" -drive "file=$disk,format=raw,if=ide"
    runs+=(emu)
fi
if [ "$run_qemu" -eq 1 ]; then
    # -snapshot: QEMU never writes the image (emu keeps its writes in memory because the name ends in .s2e).
    run_vm qemu qemu-system-i386 -accel tcg "${common[@]}" -drive "file=$disk,format=raw,if=ide" -snapshot
    runs+=(qemu)
fi

for r in "${runs[@]}"; do
    parse "$r"
    rc="$(cat "$tmp/$r.rc")"
    done_exit="$(awk '$1 == "done" { print $2 }' "$tmp/$r.res" | tail -1)"
    if [ "$rc" = nopoweroff ]; then echo "run-bench: $r: the guest did not power off (log: $logs/$r.log)" >&2; ok=0
    elif [ "$rc" -ne 0 ]; then echo "run-bench: $r: the emulator exited with status $rc (log: $logs/$r.log)" >&2; ok=0; fi
    if ! grep -q '^boot ' "$tmp/$r.res"; then echo "run-bench: $r: no 'EMU-DEMO: shell ready' line (log: $logs/$r.log)" >&2; ok=0; fi
    if [ -z "$done_exit" ]; then echo "run-bench: $r: no 'EMU-DEMO: command done' line (log: $logs/$r.log)" >&2; ok=0
    elif [ "$done_exit" != 0 ]; then echo "run-bench: $r: emu-bench exited with status $done_exit (log: $logs/$r.log)" >&2; ok=0; fi
    while read -r _ w text; do echo "run-bench: $r: workload $w failed: $text" >&2; ok=0; done < <(grep '^werr ' "$tmp/$r.res" || true)
    # what the guest kernel and shell say about a crashed program (e.g. "traps: emu-bench[N] trap invalid opcode ip:…")
    grep -E 'traps: |Illegal instruction|Segmentation fault|Floating point exception|Bus error|Kernel panic|Oops|BUG:' "$logs/$r.log" \
        | cut -d' ' -f2- | head -5 | sed "s/^/run-bench: $r: guest says: /" >&2 || true
done

# ---- the table ----
get() { # get RUN FIELD WORKLOAD → wall ms | guest ms | checksum, or empty
    [ -f "$tmp/$1.res" ] || return 0
    awk -v w="$3" -v f="$2" '$1 == "w" && $2 == w { v = (f == "wall" ? $3 : f == "guest" ? $4 : $5) } END { if (v != "") print v }' "$tmp/$1.res"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
fmt() { [ -n "$1" ] && printf '%.0f' "$1" || printf '%s' "-"; }

target_met=1
have_both=0
[ "$run_emu" -eq 1 ] && [ "$run_qemu" -eq 1 ] && have_both=1
{
    printf '%-10s %10s %10s %10s %9s %12s %12s  %s\n' workload "native ms" "emu ms" "qemu ms" "emu/qemu" "emu guest" "qemu guest" checksum
    eb="$( [ "$run_emu" -eq 1 ] && awk '$1 == "boot" { print $2 }' "$tmp/emu.res" || true)"
    qb="$( [ "$run_qemu" -eq 1 ] && awk '$1 == "boot" { print $2 }' "$tmp/qemu.res" || true)"
    r="$(ratio "$eb" "$qb")"
    printf '%-10s %10s %10s %10s %9s %12s %12s  %s\n' boot - "$(fmt "$eb")" "$(fmt "$qb")" "$r" - - -
    if [ "$have_both" -eq 1 ] && [ "$r" != - ] && awk -v r="$r" 'BEGIN { exit !(r > 1.0) }'; then target_met=0; fi
    while read -r _ w t sum; do
        status=ok
        for run in "${runs[@]}"; do
            got="$(get "$run" sum "$w")"
            if [ -z "$got" ]; then status="MISSING in $run"; ok=0; break; fi
            if [ "$got" != "$sum" ]; then status="MISMATCH $run=$got native=$sum"; ok=0; break; fi
        done
        [ "$status" = ok ] && status="ok $sum"
        ew="$(get emu wall "$w")"; qw="$(get qemu wall "$w")"
        r="$(ratio "$ew" "$qw")"
        if [ "$have_both" -eq 1 ] && [ "$r" != - ] && awk -v r="$r" 'BEGIN { exit !(r > 1.0) }'; then target_met=0; fi
        eg="$(get emu guest "$w")"; qg="$(get qemu guest "$w")"
        printf '%-10s %10s %10s %10s %9s %12s %12s  %s\n' "$w" "$(fmt "${t#time_ms=}")" "$(fmt "$ew")" "$(fmt "$qw")" "$r" \
            "$(fmt "$eg")" "$(fmt "$qg")" "$status"
    done < <(sed -n 's/^BENCH \([a-z0-9]*\) time_ms=\([0-9.]*\) checksum=\([0-9a-f]*\).*/w \1 \2 \3/p' "$native")
    echo
    echo "ms: host wall-clock (boot: start to 'EMU-DEMO: shell ready'; workloads: BENCH-BEGIN to BENCH line);"
    echo "guest: the guest's CLOCK_MONOTONIC (virtual under emu: 1 ns per retired instruction); native: this host."
    if [ "$have_both" -eq 1 ]; then
        [ "$target_met" -eq 1 ] && echo "target (every emu/qemu ratio <= 1.0): met" || echo "target (every emu/qemu ratio <= 1.0): not met"
    fi
} | tee "$logs/table.txt"
echo "run-bench: logs in $logs" >&2
[ "$ok" -eq 1 ] || { echo "run-bench: FAILED (see above)" >&2; exit 1; }
