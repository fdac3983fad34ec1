# Shared by scripts/install-deps.sh, install-python-deps.sh and
# install-bench-deps.sh: installs the Debian packages that are not installed
# yet. Source it, then call
#   apt_install_missing NAME pkg...
# NAME prefixes the one line printed (to stderr) when something is installed.
# Idempotent: when every package is present it prints nothing and touches
# nothing. Works as root (a fresh Debian 12 image) or through sudo.

apt_install_missing() {
  local name=$1
  shift
  local missing=() p
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0

  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "$name: installing ${missing[*]}" >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
