#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine: Chromium for the browser tests and the
# npm dependencies. Safe to run again: it does only what is missing or out of date.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup-tests: %s\n' "$*"; }

node_ok=$(node -e 'const [a, b] = process.versions.node.split(".").map(Number); console.log(a > 20 || (a === 20 && b >= 11) ? 1 : 0)' 2>/dev/null || echo missing)
if [ "$node_ok" = missing ]; then
  say 'Node.js is not installed; install Node 20.11 or newer (with npm) first.' >&2
  exit 1
elif [ "$node_ok" != 1 ]; then
  say "Node $(node --version) is too old; AP Lab needs Node 20.11 or newer." >&2
  exit 1
fi

sudo=''
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then sudo=sudo; fi

apt_install() {
  if [ "$(id -u)" -ne 0 ] && [ -z "$sudo" ]; then
    say "need to install $* but this is not root and sudo is missing; as root run: apt-get install $*" >&2
    exit 1
  fi
  $sudo apt-get update
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
}

if [ -x /usr/bin/chromium ]; then
  say 'chromium: present (/usr/bin/chromium)'
else
  say 'chromium: installing the Debian package (browser tests run in it)'
  apt_install chromium
fi

# npm writes node_modules/.package-lock.json last when it installs; older than package-lock.json
# means the lock file changed since.
marker=node_modules/.package-lock.json
if [ ! -d node_modules ] || [ ! -e "$marker" ] || [ package-lock.json -nt "$marker" ]; then
  say 'node_modules: missing or older than package-lock.json; running npm ci'
  # The tests do not need the Electron binary; skipping its download keeps this fast and offline-safe.
  export ELECTRON_SKIP_BINARY_DOWNLOAD=1
  if ! npm ci; then
    # better-sqlite3 compiles itself when its prebuilt binary cannot be downloaded (no GitHub access).
    missing=()
    for tool in python3 make g++; do command -v "$tool" >/dev/null || missing+=("$tool"); done
    if [ "${#missing[@]}" -eq 0 ]; then
      say 'npm ci failed; see its output above' >&2
      exit 1
    fi
    say "npm ci failed and ${missing[*]} (needed to compile better-sqlite3) are missing; installing them and retrying"
    apt_install python3 make g++
    npm ci
  fi
else
  say 'node_modules: up to date with package-lock.json'
fi
