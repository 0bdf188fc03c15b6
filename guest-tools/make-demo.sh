#!/usr/bin/env bash
# Builds the demo guest disk: artifacts/demo.raw (a 1 MiB raw image whose boot sector is guest-tools/demo/boot.asm)
# and its hard link artifacts/demo.raw.s2e (the same bytes under the S2E name: writes stay in the execution state).
# Rebuilt only when boot.asm changes. Installs nasm from Debian's packages when it is missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/guest-tools/demo/boot.asm"
out="$root/artifacts"
mkdir -p "$out"

if ! command -v nasm >/dev/null 2>&1; then
    echo "make-demo: installing nasm (Debian package)" >&2
    if [ "$(id -u)" -ne 0 ]; then echo "make-demo: nasm is missing; run: sudo apt-get install nasm" >&2; exit 1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nasm >/dev/null 2>&1 \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nasm >/dev/null; }
fi

if [ -f "$out/demo.raw" ] && [ "$out/demo.raw" -nt "$src" ] && [ "$out/demo.raw.s2e" -ef "$out/demo.raw" ]; then
    exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
nasm -f bin -o "$tmp/boot.bin" "$src"
[ "$(stat -c %s "$tmp/boot.bin")" -eq 512 ] || { echo "make-demo: boot sector is not 512 bytes" >&2; exit 1; }
truncate -s 1M "$tmp/demo.raw"
dd if="$tmp/boot.bin" of="$tmp/demo.raw" conv=notrunc status=none
mv -f "$tmp/demo.raw" "$out/demo.raw"
ln -f "$out/demo.raw" "$out/demo.raw.s2e"
echo "make-demo: built $out/demo.raw and $out/demo.raw.s2e" >&2
