#!/usr/bin/env bash
# Installs what Parley needs to build, test and benchmark, from the Debian 12 archive.
# Idempotent: asks apt only for packages that are missing. Needs root (or sudo).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git python3
  libsodium-dev libsqlite3-dev sqlite3
  libzxcvbn-dev   # passphrase strength estimate (docs/passphrase-policy.md)
  protobuf-compiler libprotobuf-dev
  libasio-dev
  libcli11-dev nlohmann-json3-dev libqrencode-dev   # the command-line programs (docs/cli.md)
  libutf8proc-dev # display widths and grapheme clusters of `parley`'s tables
  libzxing-dev    # decodes the QR codes `parley` draws, in tests/qr
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev   # libFuzzer targets and their sanitizers
  openjdk-17-jdk-headless    # the Java (JNI) binding and its host test (bindings/jni)
  clang-format clang-tidy    # layout and lint, checked by scripts/lint.sh
  libpq-dev postgresql-15    # the relay's PostgreSQL storage and its tests (docs/relay-operations.md)
  libtomlplusplus-dev        # the relay's config file
  libcpp-httplib-dev         # the relay's metrics and health endpoint
  libsystemd-dev systemd     # Type=notify readiness; systemd-analyze checks the unit
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: everything is installed"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
