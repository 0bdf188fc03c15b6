#!/usr/bin/env bash
# Obtains SeaBIOS 1.16 (bios-256k.bin, vgabios-stdvga.bin) from Debian 12's `seabios` package
# into firmware/cache/ and verifies them against firmware/SHA256SUMS. Idempotent.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="$here/cache"
sums="$here/SHA256SUMS"
files=(bios-256k.bin vgabios-stdvga.bin)

die() { echo "fetch-seabios: error: $*" >&2; exit 1; }

[ -f "$sums" ] || die "missing $sums"

cache_valid() {
    for f in "${files[@]}"; do [ -f "$cache/$f" ] || return 1; done
    (cd "$cache" && sha256sum --check --status "$sums") 2>/dev/null
}

if cache_valid; then
    echo "fetch-seabios: cache is valid ($cache)"
    exit 0
fi

for tool in apt-get dpkg-deb sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found (a Debian/Ubuntu host with apt is required)"
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"   # let apt's unprivileged _apt user write the download here

download() { (cd "$work" && apt-get download seabios) ; }
if ! download >"$work/apt.log" 2>&1; then
    echo "fetch-seabios: 'apt-get download seabios' failed; running 'apt-get update' and retrying" >&2
    apt-get update >"$work/update.log" 2>&1 || { cat "$work/update.log" >&2; die "apt-get update failed"; }
    download >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; die "apt-get download seabios failed"; }
fi

deb="$(ls "$work"/seabios_*.deb 2>/dev/null | head -n1)"
[ -n "$deb" ] || die "no seabios .deb was downloaded"
version="$(dpkg-deb -f "$deb" Version)"
case "$version" in
    1.16.*) ;;
    *) die "expected SeaBIOS 1.16.x, apt offers $version (is this Debian 12?)" ;;
esac

dpkg-deb -x "$deb" "$work/root" || die "dpkg-deb -x failed on $deb"
mkdir -p "$cache"
for f in "${files[@]}"; do
    src="$work/root/usr/share/seabios/$f"
    [ -e "$src" ] || die "$f not found in $(basename "$deb")"
    cp -L "$src" "$cache/$f.tmp"
    mv -f "$cache/$f.tmp" "$cache/$f"
done

if ! (cd "$cache" && sha256sum --check "$sums"); then
    die "sha256 mismatch for the files from $(basename "$deb") (see above); refusing to use them"
fi
echo "fetch-seabios: SeaBIOS $version installed in $cache"
