#!/usr/bin/env bash
# Installs Debian's chromium for the dashboard's browser tests (test/host/web*.test.ts)
# when it is missing. The tests drive /usr/bin/chromium with playwright-core; no browser
# is ever downloaded by npm. Needs root (CI and the development machines run as root);
# without root it only says what to run.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "chromium is missing; install it with: sudo apt-get update && sudo apt-get install -y chromium" >&2
  echo "(the dashboard's browser tests are skipped without it)" >&2
  exit 0
fi
echo "installing Debian's chromium for the dashboard tests…" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
"$CHROMIUM" --version >&2
