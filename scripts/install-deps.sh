#!/usr/bin/env bash
# Installs everything vigil needs to build, test and run, from Debian's packages only.
# Idempotent: does nothing (and needs no network) when every package is already present.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config clang libclang-rt-14-dev
  # libraries (see STYLE.md)
  libzmq3-dev cppzmq-dev
  libprotobuf-dev protobuf-compiler protobuf-compiler-grpc libgrpc++-dev libc-ares-dev
  prometheus-cpp-dev
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  libcurl4-openssl-dev libsqlite3-dev libsnappy-dev libre2-dev libcpp-httplib-dev libabsl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libgoogle-perftools-dev  # tcmalloc, linked into vigil-notifier
  # real peers used by tests and benchmarks
  prometheus prometheus-alertmanager prometheus-node-exporter
  curl procps
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# The Debian prometheus packages start their daemons on install via systemd; where systemd
# is absent (containers, CI) the postinst just skips that. policy-rc.d keeps sysvinit quiet too.
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
