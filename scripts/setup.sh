#!/usr/bin/env bash
# Sets up runnable-ts in this repository on a Debian machine. With no arguments: the npm packages,
# which is all the README's example (`npm run example`: TypeScript and shell steps) needs. The
# other features need programs of their own, installed here on request (names from the table
# below, any number of them; `all` for every one: what the test suite needs, and what .ci/run
# asks for):
#
#   python      Debian's python3 with pydantic and pandas: `command_type: python` steps
#               (src/tasks/_python.ts runs /usr/bin/python3; runnable's examples import both)
#   notebooks   python, plus Jupyter's nbclient/nbformat/ipykernel: `command_type: notebook`
#   deno        Deno's Jupyter kernel: TypeScript notebooks (needs notebooks)
#   slurm       slurm-wlm and munge: the slurm executors (scripts/slurm-up.sh starts a cluster)
#   containers  podman and runc: the local-container executors (scripts/container-image.sh)
#   browser     Debian's chromium: the tests that open the HTML reports (not needed to make them)
#
#   scripts/setup.sh && npm run example         # the README's first command
#   scripts/setup.sh python notebooks           # and the Python and notebook steps
#   scripts/setup.sh --plan all                 # say what would be installed; install nothing
#
# Each install is skipped when already there, so a re-run costs a few seconds. System packages
# need root and apt-get; without them the script names what to install and stops (exit 1).
set -euo pipefail
cd "$(dirname "$0")/.."

EXTRAS=(python notebooks deno slurm containers browser)
plan=false
wanted=()
for arg in "$@"; do
  case "$arg" in
    --plan) plan=true ;;
    all) wanted+=("${EXTRAS[@]}") ;;
    python | notebooks | deno | slurm | containers | browser) wanted+=("$arg") ;;
    -h | --help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup: unknown extra '$arg' (known: ${EXTRAS[*]}, all; or --plan)" >&2; exit 2 ;;
  esac
done
want() { local e; for e in "${wanted[@]}"; do [ "$e" = "$1" ] && return 0; done; return 1; }
# what an extra needs comes with it
want deno && wanted+=(notebooks)
want notebooks && wanted+=(python)

# Jupyter's packages without their recommends (no desktop tools); Slurm and podman with theirs
# (podman needs its recommended networking and storage helpers)
PYTHON_PACKAGES=()
SYSTEM_PACKAGES=()
if want python && ! /usr/bin/python3 -c 'import pydantic, pandas' >/dev/null 2>&1; then
  PYTHON_PACKAGES+=(python3 python3-pydantic python3-pandas)
fi
if want notebooks && ! /usr/bin/python3 -c 'import nbclient, nbformat, jupyter_client, ipykernel' >/dev/null 2>&1; then
  PYTHON_PACKAGES+=(python3-nbclient python3-nbformat python3-jupyter-client python3-ipykernel)
fi
want slurm && ! { command -v slurmctld && command -v munged; } >/dev/null 2>&1 && SYSTEM_PACKAGES+=(slurm-wlm munge)
want containers && ! { command -v podman && command -v runc; } >/dev/null 2>&1 && SYSTEM_PACKAGES+=(podman runc)
want browser && ! command -v chromium >/dev/null 2>&1 && SYSTEM_PACKAGES+=(chromium)
DENO=false
want deno && ! command -v deno >/dev/null 2>&1 && DENO=true

if $plan; then
  echo "npm ci"
  [ ${#PYTHON_PACKAGES[@]} -eq 0 ] || echo "apt-get install --no-install-recommends ${PYTHON_PACKAGES[*]}"
  [ ${#SYSTEM_PACKAGES[@]} -eq 0 ] || echo "apt-get install ${SYSTEM_PACKAGES[*]}"
  ! $DENO || echo "npm install -g deno"
  want deno && echo "deno jupyter --install (unless its kernelspec is there)"
  exit 0
fi

echo "== node $(node --version), npm $(npm --version)"
npm ci --no-audit --no-fund

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

if $DENO; then
  echo "== npm install -g deno (TypeScript Jupyter kernel)"
  npm install -g deno@2.9.6 --no-audit --no-fund
fi
if want deno && ! /usr/bin/python3 -c 'import sys, jupyter_client.kernelspec as k; sys.exit("deno" not in k.find_kernel_specs())' >/dev/null 2>&1; then
  deno jupyter --install
fi
extras=$(for e in "${EXTRAS[@]}"; do want "$e" && printf ' %s' "$e"; done; true)
echo "== setup done${extras:+ (with$extras)}"
