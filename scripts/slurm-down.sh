#!/usr/bin/env bash
# Stop the single-node Slurm cluster started by scripts/slurm-up.sh: cancels every job of the
# cluster, then stops slurmd, slurmctld and munged by their pid files.
set -uo pipefail

if command -v scancel >/dev/null && [ -f /run/slurmctld.pid ]; then
  scancel --quiet --full "--user=$(id -un)" 2>/dev/null || true
fi

stop() { # NAME PIDFILE
  local pidfile=$2 pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    echo "slurm-down: stopped $1 (pid $pid)"
  fi
  rm -f "$pidfile"
}

stop slurmd /run/slurmd.pid
stop slurmctld /run/slurmctld.pid
stop munged /run/munge/munged.pid
