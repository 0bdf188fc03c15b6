#!/usr/bin/env bash
# Builds the demo guest from Debian 12 packages only:
#   artifacts/demo.raw        a 64 MiB MBR disk: one active FAT16 partition with SYSLINUX, Debian's 32-bit
#                             linux-image-6.1.*-686 kernel and an initramfs with busybox-static:i386 (guest-tools/demo/)
#   artifacts/demo.raw.s2e    its hard link (the S2E name: the base stays read-only, writes stay in the execution state)
#   artifacts/demo.iso        the same kernel and initramfs on an ISOLINUX CD (El Torito, no emulation)
#   artifacts/demo-vmlinuz, artifacts/demo-initrd.gz   the same kernel and initramfs, for -kernel/-initrd
# Downloads go to guest-tools/cache/ (ignored). Rebuilt only when an input changes. Installs the Debian tools it
# needs (as root) when they are missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/guest-tools/demo"
out="$root/artifacts"
cache="$root/guest-tools/cache"
debs="$cache/debs"
mkdir -p "$out" "$debs"

total=7
step() { printf '\033[1mmake-demo [%d/%d]\033[0m %s\n' "$1" "$total" "$2" >&2; }
die() { echo "make-demo: error: $*" >&2; exit 1; }

# Inputs: this script, the guest files and (if present) the guest benchmark's sources.
stamp_inputs() {
    {
        sha256sum "${BASH_SOURCE[0]}" "$src"/*
        if [ -d "$root/guest-tools/bench" ]; then find "$root/guest-tools/bench" -type f -print0 | sort -z | xargs -0 sha256sum; fi
        ls "$debs" 2>/dev/null
    } | sed "s#$root/##" | sha256sum | cut -d' ' -f1
}
outputs=("$out/demo.raw" "$out/demo.iso" "$out/demo-vmlinuz" "$out/demo-initrd.gz")
all_outputs_exist() { for f in "${outputs[@]}"; do [ -f "$f" ] || return 1; done; [ "$out/demo.raw.s2e" -ef "$out/demo.raw" ]; }
if all_outputs_exist && [ -f "$out/demo.stamp" ] && [ "$(cat "$out/demo.stamp")" = "$(stamp_inputs)" ]; then
    echo "make-demo: artifacts/demo.raw is up to date" >&2
    exit 0
fi

step 1 "host tools"
declare -A tool_package=([cpio]=cpio [mkfs.fat]=dosfstools [mcopy]=mtools [syslinux]=syslinux [xorriso]=xorriso
    [dpkg-deb]=dpkg [sha256sum]=coreutils [gzip]=gzip)
need=()
for tool in "${!tool_package[@]}"; do command -v "$tool" >/dev/null 2>&1 || need+=("${tool_package[$tool]}"); done
[ -f /usr/lib/syslinux/mbr/mbr.bin ] && [ -f /usr/lib/syslinux/modules/bios/ldlinux.c32 ] || need+=(syslinux-common)
[ -f /usr/lib/ISOLINUX/isolinux.bin ] || need+=(isolinux)
if [ ${#need[@]} -gt 0 ]; then
    [ "$(id -u)" -eq 0 ] || die "missing Debian packages: ${need[*]} (run: sudo apt-get install ${need[*]})"
    echo "make-demo: installing ${need[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 \
        || { apt-get update -qq || true; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null; }
fi

step 2 "Debian i386 packages (kernel, busybox)"
kernel_deb="$(ls "$debs"/linux-image-6.1.*-686_*_i386.deb 2>/dev/null | sort -V | tail -1 || true)"
busybox_deb="$(ls "$debs"/busybox-static_*_i386.deb 2>/dev/null | tail -1 || true)"
if [ -z "$kernel_deb" ] || [ -z "$busybox_deb" ]; then
    [ "$(id -u)" -eq 0 ] || dpkg --print-foreign-architectures | grep -qx i386 \
        || die "the i386 architecture is not enabled (run: sudo dpkg --add-architecture i386 && sudo apt-get update)"
    if ! dpkg --print-foreign-architectures | grep -qx i386; then dpkg --add-architecture i386; fi
    if ! apt-cache show busybox-static:i386 >/dev/null 2>&1 || ! apt-cache show linux-image-686:i386 >/dev/null 2>&1; then
        apt-get update -qq || true # a lagging mirror index must not stop us when the main one is fine
    fi
    kernel_pkg="$(apt-cache depends linux-image-686:i386 2>/dev/null | awk '/Depends: linux-image-6\.1/ { sub(":i386", "", $2); print $2; exit }')"
    [ -n "$kernel_pkg" ] || die "cannot resolve Debian's linux-image-686:i386 (is the i386 architecture's index available?)"
    (cd "$debs" && apt-get download "$kernel_pkg:i386" busybox-static:i386) || die "apt-get download failed"
    kernel_deb="$(ls "$debs"/linux-image-6.1.*-686_*_i386.deb | sort -V | tail -1)"
    busybox_deb="$(ls "$debs"/busybox-static_*_i386.deb | tail -1)"
fi
echo "make-demo: $(basename "$kernel_deb"), $(basename "$busybox_deb")" >&2

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
step 3 "unpacking"
dpkg-deb -x "$kernel_deb" "$tmp/kernel"
dpkg-deb -x "$busybox_deb" "$tmp/busybox"
vmlinuz="$(ls "$tmp"/kernel/boot/vmlinuz-* | head -1)"
kver="$(basename "$vmlinuz" | sed 's/^vmlinuz-//')"
moddir="$tmp/kernel/lib/modules/$kver/kernel"
[ -d "$moddir" ] || die "no modules in $(basename "$kernel_deb")"

step 4 "initramfs"
ird="$tmp/initramfs"
mkdir -p "$ird"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,mnt,root,lib/modules}
cp "$tmp/busybox/bin/busybox" "$ird/bin/busybox"
install -m 755 "$src/init" "$ird/init"
cp "$src/inittab" "$ird/etc/inittab"
cp "$src/profile" "$ird/etc/profile"
echo "root:x:0:0:root:/root:/bin/sh" >"$ird/etc/passwd"
echo "root:x:0:" >"$ird/etc/group"
# Modules with their dependencies first (read from each module's modinfo "depends=" string).
declare -A module_path=() loaded=()
while IFS= read -r -d '' ko; do
    name="$(basename "$ko" .ko)"
    module_path["${name//-/_}"]="$ko"
done < <(find "$moddir" -name '*.ko' -print0)
order=()
add_module() {
    local name="${1//-/_}" dep deps
    [ -n "${loaded[$name]:-}" ] && return 0
    local ko="${module_path[$name]:-}"
    [ -n "$ko" ] || die "kernel module $1 not found in $(basename "$kernel_deb")"
    loaded[$name]=1
    deps="$(grep -a -o 'depends=[A-Za-z0-9_,-]*' "$ko" | head -1 | cut -d= -f2)"
    for dep in ${deps//,/ }; do add_module "$dep"; done
    cp "$ko" "$ird/lib/modules/"
    order+=("$(basename "$ko")")
}
while read -r module; do
    case "$module" in ''|'#'*) continue ;; esac
    add_module "$module"
done <"$src/modules"
printf '%s\n' "${order[@]}" >"$ird/lib/modules/load-order"
# The display drivers (guest-tools/demo/modules-vga), loaded only on demand (emuvga=bochs, or emu-load-vga in the
# shell): the DRM core is large and most boots do not need it. Modules the first list already loads are left out.
order=()
while read -r module; do
    case "$module" in ''|'#'*) continue ;; esac
    add_module "$module"
done <"$src/modules-vga"
printf '%s\n' "${order[@]}" >"$ird/lib/modules/load-order-vga"
install -m 755 "$src/emu-load-vga" "$ird/bin/emu-load-vga"
# The guest benchmark (guest-tools/bench), when its builder is present.
if [ -x "$root/guest-tools/bench/build.sh" ]; then
    bash "$root/guest-tools/bench/build.sh" "$cache/bench" >&2 || die "guest-tools/bench/build.sh failed"
    install -m 755 "$cache/bench/emu-bench" "$ird/bin/emu-bench"
fi
(cd "$ird" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --owner=0:0) | gzip -9n >"$tmp/initrd.gz"

step 5 "disk image (MBR, FAT16, SYSLINUX)"
disk_mib=64
part_start=2048 # sectors: the partition starts at 1 MiB
part_sectors=$(((disk_mib << 11) - part_start))
truncate -s $((part_sectors * 512)) "$tmp/part.img"
mkfs.fat -F 16 -n EMUDEMO -i 454D5544 "$tmp/part.img" >/dev/null
syslinux --install "$tmp/part.img"
export MTOOLS_SKIP_CHECK=1
mcopy -o -i "$tmp/part.img" "$vmlinuz" ::/vmlinuz
mcopy -o -i "$tmp/part.img" "$tmp/initrd.gz" ::/initrd.gz
mcopy -o -i "$tmp/part.img" "$src/syslinux.cfg" ::/syslinux.cfg
mcopy -o -i "$tmp/part.img" /usr/lib/syslinux/modules/bios/ldlinux.c32 ::/ldlinux.c32
truncate -s $((disk_mib << 20)) "$tmp/demo.raw"
dd if=/usr/lib/syslinux/mbr/mbr.bin of="$tmp/demo.raw" conv=notrunc status=none
le32() { printf "\\x$(printf %02x $(($1 & 255)))\\x$(printf %02x $((($1 >> 8) & 255)))\\x$(printf %02x $((($1 >> 16) & 255)))\\x$(printf %02x $((($1 >> 24) & 255)))"; }
# Partition entry 1 (MBR offset 0x1BE): active, CHS fields saturated (LBA is what counts), type 0x06 FAT16.
{ printf '\x80\xfe\xff\xff\x06\xfe\xff\xff'; le32 $part_start; le32 $part_sectors; } \
    | dd of="$tmp/demo.raw" bs=1 seek=446 conv=notrunc status=none
printf '\x55\xaa' | dd of="$tmp/demo.raw" bs=1 seek=510 conv=notrunc status=none
dd if="$tmp/part.img" of="$tmp/demo.raw" bs=1M seek=1 conv=notrunc,sparse status=none

step 6 "CD image (ISOLINUX)"
mkdir -p "$tmp/iso/isolinux"
cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$tmp/iso/isolinux/"
cp "$src/syslinux.cfg" "$tmp/iso/isolinux/isolinux.cfg"
cp "$vmlinuz" "$tmp/iso/vmlinuz"
cp "$tmp/initrd.gz" "$tmp/iso/initrd.gz"
xorriso -as mkisofs -quiet -o "$tmp/demo.iso" -V EMUDEMO -J -r \
    -b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table "$tmp/iso" 2>/dev/null \
    || die "xorriso failed"

step 7 "installing into artifacts/"
cp "$vmlinuz" "$out/demo-vmlinuz.tmp" && mv -f "$out/demo-vmlinuz.tmp" "$out/demo-vmlinuz"
cp "$tmp/initrd.gz" "$out/demo-initrd.gz.tmp" && mv -f "$out/demo-initrd.gz.tmp" "$out/demo-initrd.gz"
cp "$tmp/demo.iso" "$out/demo.iso.tmp" && mv -f "$out/demo.iso.tmp" "$out/demo.iso"
cp --sparse=always "$tmp/demo.raw" "$out/demo.raw.tmp" && mv -f "$out/demo.raw.tmp" "$out/demo.raw"
ln -f "$out/demo.raw" "$out/demo.raw.s2e"
stamp_inputs >"$out/demo.stamp"
echo "make-demo: built artifacts/demo.raw (+ demo.raw.s2e), demo.iso, demo-vmlinuz, demo-initrd.gz ($kver)" >&2
