#!/usr/bin/env bash
# Installs what Debian must provide for siths-desk (PC/SC with the virtual reader, Chromium for
# browser tests, PostgreSQL 15 for the second engine's tests, Redis and HAProxy for the cluster of
# several server processes, OpenLDAP for the HSA directory sync's tests and demo) when it is
# missing. Safe to run again; does nothing when all is there.
set -euo pipefail

need=()
command -v pcscd >/dev/null 2>&1 || need+=(pcscd)
[ -f /usr/include/PCSC/winscard.h ] || need+=(libpcsclite-dev)
command -v pcsc_scan >/dev/null 2>&1 || need+=(pcsc-tools)
[ -f /usr/lib/pcsc/drivers/serial/libifdvpcd.so ] || need+=(vsmartcard-vpcd)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pkcs15-tool >/dev/null 2>&1 || need+=(opensc)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v haproxy >/dev/null 2>&1 || need+=(haproxy)
[ -x /usr/sbin/slapd ] || need+=(slapd)
command -v ldapadd >/dev/null 2>&1 || need+=(ldap-utils)
# The card-agent's package: its maintainer scripts enable the user unit (systemctl), the test checks that.
command -v systemctl >/dev/null 2>&1 || need+=(systemd)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

echo "Installing Debian packages: ${need[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
if [[ " ${need[*]} " == *" slapd "* ]]; then
  # Our slapd runs with a slapd.conf of its own (test-support/slapd.ts): tell the package to configure no
  # system directory, so it has nothing to start.
  echo "slapd slapd/no_configuration boolean true" | "${sudo_cmd[@]}" debconf-set-selections
fi
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
if [[ " ${need[*]} " == *" slapd "* ]] && pgrep -x slapd >/dev/null 2>&1; then
  # A system slapd started anyway (a configuration left from before): stop and disable the service. Only
  # through the service manager, so a slapd of our own tests that happens to run is left alone.
  if [ -d /run/systemd/system ]; then
    "${sudo_cmd[@]}" systemctl disable --now slapd >/dev/null 2>&1 || true
  else
    "${sudo_cmd[@]}" service slapd stop >/dev/null 2>&1 || true
  fi
fi
echo "Debian packages installed."
