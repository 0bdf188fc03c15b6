#!/usr/bin/env bash
# Builds the boot-sector test guest: artifacts/hello.raw (a 1 MiB raw image whose boot sector is guest-tools/hello/boot.asm)
# and its hard link artifacts/hello.raw.s2e (the same bytes under the S2E name: writes stay in the execution state).
# Rebuilt only when boot.asm changes. Installs nasm from Debian's packages when it is missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/guest-tools/hello/boot.asm"
out="$root/artifacts"
mkdir -p "$out"

if ! command -v nasm >/dev/null 2>&1; then
    echo "make-hello: installing nasm (Debian package)" >&2
    if [ "$(id -u)" -ne 0 ]; then echo "make-hello: nasm is missing; run: sudo apt-get install nasm" >&2; exit 1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nasm >/dev/null 2>&1 \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nasm >/dev/null; }
fi

if [ -f "$out/hello.raw" ] && [ "$out/hello.raw" -nt "$src" ] && [ "$out/hello.raw.s2e" -ef "$out/hello.raw" ]; then
    exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
nasm -f bin -o "$tmp/boot.bin" "$src"
[ "$(stat -c %s "$tmp/boot.bin")" -eq 512 ] || { echo "make-hello: boot sector is not 512 bytes" >&2; exit 1; }
truncate -s 1M "$tmp/hello.raw"
dd if="$tmp/boot.bin" of="$tmp/hello.raw" conv=notrunc status=none
mv -f "$tmp/hello.raw" "$out/hello.raw"
ln -f "$out/hello.raw" "$out/hello.raw.s2e"
echo "make-hello: built $out/hello.raw and $out/hello.raw.s2e" >&2
