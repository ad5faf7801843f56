# Shared environment for the project scripts (sourced, not executed).
# Tools and build output live outside the clone so that every clone on a machine shares them.
DVC_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DVC_CACHE="${DVC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dichvucong}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$DVC_CACHE/target}"
DVC_TOOLS="$DVC_CACHE/tools"
export PATH="$DVC_TOOLS/bin:$DVC_ROOT/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"
TRUNK_VERSION=0.21.14
# Must equal the `wasm-bindgen` pin in Cargo.toml.
WASM_BINDGEN_VERSION=0.2.130
NEXTEST_VERSION=0.9.143
# The FHIR validators of the health-record tests (installed by scripts/setup).
export DVC_PYTHON="$DVC_TOOLS/py/bin/python"
export DVC_IPS_PACKAGE="$DVC_TOOLS/ips/package"
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=
apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "apt-get install ${missing[*]}"
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
