#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian 12 machine (run as root): system packages for the
# real components the tests drive, and a project venv (.venv) with the package and its test extras.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(
  python3-venv          # Debian's python3 must be able to make venvs (install-step tests)
  openssh-server openssh-client  # a real sshd on loopback for the SSH tunnel and the TUI over SSH
  nginx-light openssl   # the reverse-proxy access method, TLS certs
  certbot pebble        # ACME certificates, proven against a real ACME CA (pebble) on loopback
  tmux                  # a real terminal for the TUI tests
  iproute2              # network namespaces as second test hosts
  nftables              # doctor reads (and a test writes) a real firewall rule
  systemd-container debootstrap  # a real systemd booted with systemd-nspawn
  systemd               # systemd-analyze verify for unit files
)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # The packages' own services must not start (and hold ports 80/22) while we install them:
  # policy-rc.d answering 101 is Debian's way to say "do not start daemons now".
  policy=/usr/sbin/policy-rc.d
  had_policy=0; [ -e "$policy" ] && had_policy=1
  [ "$had_policy" = 1 ] || { printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"; }
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ "$had_policy" = 1 ] || rm -f "$policy"
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# fast: uv, so the tests install with uv as well as pip (one test runs without it)
.venv/bin/python -m pip install -q -e '.[test,fast]'
