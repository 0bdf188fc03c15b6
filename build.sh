#!/usr/bin/env bash
# Builds emu and emu-img (Release) into artifacts/bin/ with wrapper scripts artifacts/bin/emu and artifacts/bin/emu-img,
# and puts SeaBIOS (firmware/cache/bios-256k.bin, fetched by firmware/fetch-seabios.sh) beside emu as its default BIOS.
# Idempotent and quiet; any failure stops it with the tool's output and a non-zero status.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$root/artifacts/bin"
mkdir -p "$out"

die() { echo "build.sh: error: $*" >&2; exit 1; }
command -v dotnet >/dev/null 2>&1 || die "dotnet not found"

publish() {
    local project="$1" log
    log="$(mktemp)"
    if ! dotnet publish "$root/$project" -c Release -o "$out" --nologo -v quiet >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        die "dotnet publish $project failed"
    fi
    rm -f "$log"
}

publish src/Emulator.Cli/Emulator.Cli.csproj
publish src/Emulator.Img/Emulator.Img.csproj

for tool in emu emu-img; do
    [ -f "$out/$tool.dll" ] || die "$out/$tool.dll was not produced"
    cat >"$out/$tool.tmp" <<WRAPPER
#!/usr/bin/env bash
exec dotnet "\$(dirname "\$(readlink -f "\${BASH_SOURCE[0]}")")/$tool.dll" "\$@"
WRAPPER
    chmod +x "$out/$tool.tmp"
    mv -f "$out/$tool.tmp" "$out/$tool"
done

# The default BIOS: fetched when missing (a failure here only means -bios must be given).
if [ ! -f "$root/firmware/cache/bios-256k.bin" ]; then
    bash "$root/firmware/fetch-seabios.sh" >/dev/null 2>&1 || echo "build.sh: warning: SeaBIOS could not be fetched; pass -bios to emu" >&2
fi
if [ -f "$root/firmware/cache/bios-256k.bin" ]; then
    cp -f "$root/firmware/cache/bios-256k.bin" "$out/bios-256k.bin"
    [ -f "$root/firmware/cache/vgabios-stdvga.bin" ] && cp -f "$root/firmware/cache/vgabios-stdvga.bin" "$out/vgabios-stdvga.bin"
fi
bash "$root/guest-tools/make-demo.sh"
