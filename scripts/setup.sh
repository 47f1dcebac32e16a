#!/usr/bin/env bash
# Sets up everything runnable-ts and its test suite use on a Debian machine, then nothing else:
# npm packages, Debian's Jupyter stack and Deno's TypeScript kernel (notebook and python tasks),
# slurm-wlm and munge (the slurm executor), podman and runc (the local-container executor).
# The tests start the Slurm cluster and build the container image themselves
# (scripts/slurm-up.sh, scripts/container-image.sh).
#
# Each install is skipped when already there, so a re-run costs a few seconds. System packages
# need root and apt-get; without them the script says what to install and stops.
#
#   scripts/setup.sh && npm run example      # the README's first command
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== node $(node --version), npm $(npm --version)"
npm ci --no-audit --no-fund

# Jupyter's packages without their recommends (no desktop tools); Slurm and podman with theirs
# (podman needs its recommended networking and storage helpers)
PYTHON_PACKAGES=()
SYSTEM_PACKAGES=()
# notebook and python tasks run with Debian's /usr/bin/python3 (src/tasks/_python.ts); pydantic
# and pandas are what runnable's own examples import
/usr/bin/python3 -c 'import nbclient, nbformat, jupyter_client, ipykernel, pydantic, pandas' >/dev/null 2>&1 ||
  PYTHON_PACKAGES+=(python3 python3-nbclient python3-nbformat python3-jupyter-client python3-ipykernel python3-pydantic python3-pandas)
{ command -v slurmctld && command -v munged; } >/dev/null 2>&1 || SYSTEM_PACKAGES+=(slurm-wlm munge)
{ command -v podman && command -v runc; } >/dev/null 2>&1 || SYSTEM_PACKAGES+=(podman runc)
# the report tests open the HTML reports in Debian's headless Chromium (test/views/)
command -v chromium >/dev/null 2>&1 || SYSTEM_PACKAGES+=(chromium)

if [ $((${#PYTHON_PACKAGES[@]} + ${#SYSTEM_PACKAGES[@]})) -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: install these Debian packages (as root), then run this script again: ${PYTHON_PACKAGES[*]} ${SYSTEM_PACKAGES[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  if [ ${#PYTHON_PACKAGES[@]} -gt 0 ]; then
    echo "== apt-get install ${PYTHON_PACKAGES[*]}"
    apt-get install -y -qq --no-install-recommends "${PYTHON_PACKAGES[@]}" >/dev/null
  fi
  if [ ${#SYSTEM_PACKAGES[@]} -gt 0 ]; then
    echo "== apt-get install ${SYSTEM_PACKAGES[*]}"
    apt-get install -y -qq "${SYSTEM_PACKAGES[@]}" >/dev/null
  fi
fi

if ! command -v deno >/dev/null 2>&1; then
  echo "== npm install -g deno (TypeScript Jupyter kernel)"
  npm install -g deno@2.9.6 --no-audit --no-fund
fi
if ! /usr/bin/python3 -c 'import sys, jupyter_client.kernelspec as k; sys.exit("deno" not in k.find_kernel_specs())' >/dev/null 2>&1; then
  deno jupyter --install
fi
echo "== setup done"
