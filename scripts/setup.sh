#!/usr/bin/env bash
# Installs what the toolkit and its tests need on a fresh Debian machine with Node and npm:
# Deno (from npm) and, when we may use apt, the Debian tools the tests use: GDAL, PROJ via
# pyproj, rasterio and numpy (cross-checks), Chromium (viewer tests) and Jupyter's nbconvert
# (notebooks on the Deno kernel) and SLURM with munge (the scale-out tests run real array jobs).
# Safe to run again: it skips what is there.
set -euo pipefail
DENO_VERSION=2.9.6

if ! command -v deno >/dev/null 2>&1 || ! deno --version | head -1 | grep -q "^deno 2\."; then
  echo "setup: installing deno@$DENO_VERSION from npm" >&2
  npm install -g --silent "deno@$DENO_VERSION" >&2 || {
    echo "setup: npm install -g failed; try: npm install -g deno@$DENO_VERSION (may need sudo)" >&2
    exit 1
  }
fi

need=()
command -v gdalinfo >/dev/null 2>&1 || need+=(gdal-bin)
/usr/bin/python3 -c "import pyproj" 2>/dev/null || need+=(python3-pyproj)
/usr/bin/python3 -c "import rasterio" 2>/dev/null || need+=(python3-rasterio)
/usr/bin/python3 -c "import numpy" 2>/dev/null || need+=(python3-numpy)
# Headless browser tests of the viewer, and the QA notebooks on the Deno Jupyter kernel.
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v jupyter-nbconvert >/dev/null 2>&1 || need+=(jupyter-nbconvert)
/usr/bin/python3 -c "import nbclient" 2>/dev/null || need+=(python3-nbclient)
/usr/bin/python3 -c "import jupyter_client" 2>/dev/null || need+=(jupyter-client)
# A real single-node SLURM cluster for the scale-out tests (scripts/slurm.sh starts it).
command -v slurmctld >/dev/null 2>&1 || need+=(slurm-wlm)
command -v munged >/dev/null 2>&1 || need+=(munge)
# A real static web server with byte ranges for the remote-input tests.
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || need+=(nginx)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  if command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian packages: ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq >&2
    $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
  else
    echo "setup: no apt-get; tests that cross-check with ${need[*]} will be skipped" >&2
  fi
fi
deno --version | head -1 >&2
