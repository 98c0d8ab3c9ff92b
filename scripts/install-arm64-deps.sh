#!/usr/bin/env bash
# Installs what the arm64 cross build needs (scripts/arm64.sh, docs/architecture.md "arm64"),
# from the Debian 12 archive through multiarch: the cross toolchain, qemu-user to run the
# arm64 programs on an x86-64 machine, and the :arm64 -dev packages of Parley's libraries.
# protoc stays the machine's own (protobuf-compiler from scripts/install-deps.sh): it only
# writes C++ sources. Idempotent: asks apt only for packages that are missing. Needs root
# (or sudo).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# Other apt clients on the machine: wait for the dpkg lock rather than fail.
apt=(apt-get -o DPkg::Lock::Timeout=600)

packages=(
  crossbuild-essential-arm64   # aarch64-linux-gnu-gcc/g++, binutils, the arm64 libc
  libc6:arm64                  # the loader and libc the arm64 programs run with under qemu
  qemu-user                    # qemu-aarch64, run with -L / (no binfmt_misc needed)
  protobuf-compiler            # protoc (amd64); the arm64 build links libprotobuf-lite:arm64
  libsodium-dev:arm64 libsqlite3-dev:arm64 libprotobuf-dev:arm64
  libzxcvbn-dev:arm64          # passphrase strength estimate (core)
  nlohmann-json3-dev libasio-dev libcli11-dev   # header-only, Architecture: all
  libqrencode-dev:arm64 libutf8proc-dev:arm64   # `parley` (apps/parley) and tests/cli_text
  libzxing-dev:arm64           # found when the tests are configured (tests/qr)
  libgtest-dev:arm64 libgmock-dev:arm64
)

added=0
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "install-arm64-deps: adding the arm64 architecture"
  $SUDO dpkg --add-architecture arm64
  added=1
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ] && [ "$added" -eq 0 ]; then
  echo "install-arm64-deps: everything is installed"
  exit 0
fi

$SUDO "${apt[@]}" update -qq
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-arm64-deps: installing ${missing[*]}"
  # A :arm64 library and its amd64 twin must be the same version (Multi-Arch: same), so apt
  # may move an installed amd64 library (zlib1g, libssl3, ...) to the archive's version.
  $SUDO "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "install-arm64-deps: done"
