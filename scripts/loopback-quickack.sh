#!/usr/bin/env bash
# Test runs only: vpcd (the virtual reader driver inside pcscd) writes each APDU's length and bytes in two
# send() calls without TCP_NODELAY, so every APDU to a virtual card waits for the card side's delayed ACK
# (~40 ms on Linux). Asking the kernel to ACK at once on loopback ("quickack" on the local routes) makes an
# APDU round trip ~0.5 ms instead of ~44 ms, which the card fault sweeps need. A physical reader never
# pays this, and nothing but ACK timing changes.
#
#   loopback-quickack.sh on FILE   saves the current local loopback routes to FILE, then sets quickack
#   loopback-quickack.sh off FILE  puts the saved routes back
# Needs root and iproute2; without them it says so and changes nothing (the tests are only slower).
set -uo pipefail
mode=${1:?on or off}
saved=${2:?a file for the saved routes}

if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null 2>&1; then
  [ "$mode" = on ] && echo "loopback quickack: not root or no iproute2; APDUs to virtual cards stay ~44 ms"
  exit 0
fi

case "$mode" in
  on)
    ip route show table local | grep -E '^local 127\.0\.0\.(0/8|1) ' >"$saved" || true
    while read -r route; do
      [ -n "$route" ] || continue
      # shellcheck disable=SC2086 # the route is a list of words for ip
      ip route replace ${route% quickack 1} table local quickack 1 2>/dev/null ||
        echo "loopback quickack: could not set it on '$route'; APDUs to virtual cards stay ~44 ms"
    done <"$saved"
    ;;
  off)
    [ -f "$saved" ] || exit 0
    while read -r route; do
      [ -n "$route" ] || continue
      # shellcheck disable=SC2086
      ip route replace $route table local 2>/dev/null || true
    done <"$saved"
    rm -f "$saved"
    ;;
  *)
    echo "usage: $0 on|off FILE" >&2
    exit 2
    ;;
esac
