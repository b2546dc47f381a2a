#!/bin/sh
# Builds the hyper peer offline with Debian's cargo and rustc from the crates Debian
# packages in /usr/share/cargo/registry (librust-hyper-dev, librust-tokio-dev).
#
#   bench/peers/hyper/build.sh OUTDIR
#
# leaves the binary at OUTDIR/target/release/ssekit-hyper-peer. Nothing is
# written to the source tree: Cargo.lock, the cargo home and the target
# directory all live under OUTDIR.
set -eu

if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
mkdir -p "$1"
outdir=$(cd "$1" && pwd)
source_dir=$(cd "$(dirname "$0")" && pwd)
registry=${DEBIAN_CARGO_REGISTRY:-/usr/share/cargo/registry}

mkdir -p "$outdir/cargo-home" "$outdir/source"
cat > "$outdir/cargo-home/config.toml" <<TOML
[source.crates-io]
replace-with = "debian"

[source.debian]
directory = "$registry"

[net]
offline = true
TOML

# A copy of the sources, so that the Cargo.lock cargo resolves against the
# Debian registry is written under OUTDIR, not next to Cargo.toml.
cp "$source_dir/Cargo.toml" "$outdir/source/"
rm -rf "$outdir/source/src"
cp -R "$source_dir/src" "$outdir/source/src"

# Debian's rustc (1.63 on bookworm) too, not whatever rustup put first in PATH.
CARGO_HOME="$outdir/cargo-home" CARGO_TARGET_DIR="$outdir/target" RUSTC=/usr/bin/rustc \
    /usr/bin/cargo build --release --offline --manifest-path "$outdir/source/Cargo.toml"
