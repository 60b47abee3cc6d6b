#!/usr/bin/env bash
# Builds the size comparison firmware on microps-core and on smoltcp 0.14
# (thumbv7em-none-eabihf, LTO, panic=abort) with opt-level "s" and "z",
# lean (microps-core without its optional IPv4 parts) and, with opt-level
# "s", full (feature `full`: microps-core's default features against
# smoltcp with IPv4 fragmentation and Reno), and prints each one's sections,
# the ratio, and microps's .text by module.
#
#   examples/firmware-size/size.sh
set -euo pipefail
cd "$(dirname "$0")"
rustup target list --installed 2>/dev/null | grep -q thumbv7em-none-eabihf \
    || rustup target add thumbv7em-none-eabihf
export CARGO_TARGET_DIR="${FIRMWARE_TARGET_DIR:-$PWD/target}"
for profile in release release-z; do
    cargo build -q --profile "$profile" --bin microps --bin smoltcp
done
cargo build -q --release --bin microps --bin smoltcp --features full --target-dir "$CARGO_TARGET_DIR/full"
python3 - "$CARGO_TARGET_DIR/thumbv7em-none-eabihf" "$CARGO_TARGET_DIR/full/thumbv7em-none-eabihf" <<'PY'
import re, subprocess, sys
base, full = sys.argv[1], sys.argv[2]

def sections(path):
    out = subprocess.run(["readelf", "-SW", path], capture_output=True, text=True, check=True).stdout
    sizes = {}
    for m in re.finditer(r"\]\s+(\.\S+)\s+\S+\s+\S+\s+\S+\s+([0-9a-f]+)", out):
        sizes[m.group(1)] = int(m.group(2), 16)
    return {k: sizes.get(k, 0) for k in (".text", ".rodata", ".data", ".bss")}

def modules(path):
    out = subprocess.run(["readelf", "-sW", "--demangle", path], capture_output=True, text=True, check=True).stdout
    by = {}
    for line in out.splitlines():
        f = line.split(None, 7)
        if len(f) < 8 or f[3] != "FUNC":
            continue
        size, name = int(f[2], 0), f[7]
        name = re.sub(r"<[^<>]*>", "", re.sub(r"<[^<>]*>", "", name))  # impl blocks
        m = re.match(r"(?:_?<)?([a-z_0-9]+)::([a-z_0-9]+)(?:::([a-z_0-9]+))?", name.lstrip("<"))
        if not m:
            key = "(other)"
        elif m.group(1) == "microps_core":
            key = "::".join(g for g in m.groups()[1:] if g)
        else:
            key = m.group(1)
        by[key] = by.get(key, 0) + size
    return sorted(by.items(), key=lambda kv: -kv[1])

for dir, profile, label in ((base, "release", 's", lean'), (base, "release-z", 'z", lean'),
                            (full, "release", 's", full')):
    ours = sections(f"{dir}/{profile}/microps")
    theirs = sections(f"{dir}/{profile}/smoltcp")
    print(f'opt-level "{label:9}  microps   smoltcp   ratio')
    for k in (".text", ".rodata", ".data", ".bss"):
        r = f"{ours[k] / theirs[k]:5.2f}x" if theirs[k] else "    -"
        print(f"  {k:8} {ours[k]:>14} {theirs[k]:>9}  {r}")
    flash = lambda s: s[".text"] + s[".rodata"] + s[".data"]
    print(f"  {'flash':8} {flash(ours):>14} {flash(theirs):>9}  {flash(ours) / flash(theirs):5.2f}x")
    print()
print('microps .text by module (opt-level "s", lean, functions only):')
for key, size in modules(f"{base}/release/microps")[:30]:
    print(f"  {size:7}  {key}")
PY

# The link check (issue 14): the same firmware whose panic handler calls a
# function that exists nowhere links only if no panic path is left in it,
# the whole stack included. Opt-level "s", lean, full, and each of the
# README's optional features alone. (At opt-level "z" copy_from_slice and
# slice indexing stay out of line with their checks, so "z" cannot prove
# it.) On failure, `panics.py` lists the functions that call into a panic.
check() {
    local label="$1" dir="$2"
    shift 2
    if ! cargo build -q --release --bin nopanic --target-dir "$dir" "$@" 2>"$dir/nopanic.err"; then
        grep -m1 "undefined symbol" "$dir/nopanic.err" || cat "$dir/nopanic.err"
        cargo build -q --release --bin microps --target-dir "$dir" "$@"
        python3 panics.py "$dir/thumbv7em-none-eabihf/release/microps"
        echo "no-panic link check FAILED: $label" >&2
        exit 1
    fi
    echo "  $label: links"
}
echo 'no panic path (opt-level "s", a panic handler that cannot link):'
mkdir -p "$CARGO_TARGET_DIR/one"
check lean "$CARGO_TARGET_DIR"
check full "$CARGO_TARGET_DIR/full" --features full
for feature in ipv4-reassembly ipv4-fragmentation ipv4-forwarding pending-queue \
    tcp-sack-recovery tcp-rack tcp-cubic tcp-listener tcp-time-wait; do
    check "$feature alone" "$CARGO_TARGET_DIR/one" --features "microps-core/$feature"
done
