# The Debian 12 packages callsignal needs, and a function that installs the missing ones.
# Sourced by scripts/test.sh and scripts/demo.sh.

CALLSIGNAL_BUILD_PACKAGES=(cmake g++ make libpaho-mqtt-dev libssl-dev rapidjson-dev)
CALLSIGNAL_TEST_PACKAGES=(catch2 mosquitto mosquitto-clients openssl pkg-config)

# ensure_packages PKG...: installs whichever of PKG is not installed. As root it runs apt-get;
# otherwise it prints the exact command and fails, since it cannot install for you.
ensure_packages() {
  local missing=()
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing packages: ${missing[*]}" >&2
    echo "Install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "Installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
