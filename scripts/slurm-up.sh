#!/usr/bin/env bash
# Start a single-node Slurm cluster on this machine, for the `slurm` executor's tests and for
# trying it out. Idempotent: a cluster that is already up is left as it is.
#
# No systemd here: munged, slurmctld and slurmd are started directly (as root). The config is
# the smallest that works without cgroups or slurmdbd: ProctrackType=proctrack/linuxproc,
# TaskPlugin=task/none, SelectType=select/cons_tres, no accounting (so no `sacct`: use
# `squeue`/`scontrol`). The node's CPUs and memory come from `slurmd -C`; the partition lets
# RUNNABLE_SLURM_OVERSUBSCRIBE jobs (default 8) share each CPU, because pipeline steps are
# mostly small and a CI machine has few CPUs.
#
# A /etc/slurm/slurm.conf that this script did not write is used as it is (an existing
# cluster); one that it wrote is rewritten each time the cluster is started.
#
# Needs: apt-get install slurm-wlm munge.   Stop with scripts/slurm-down.sh.
set -euo pipefail

CONF_DIR=${SLURM_CONF_DIR:-/etc/slurm}
CONF=$CONF_DIR/slurm.conf
MARK='# written by runnable-ts scripts/slurm-up.sh'
OVERSUBSCRIBE=${RUNNABLE_SLURM_OVERSUBSCRIBE:-8}
WAIT_SECONDS=${RUNNABLE_SLURM_WAIT:-60}
LOG_DIR=/var/log/slurm

die() {
  echo "slurm-up: error: $*" >&2
  for f in "$LOG_DIR/slurmctld.log" "$LOG_DIR/slurmd.log"; do
    [ -f "$f" ] && { echo "--- last lines of $f" >&2; tail -n 15 "$f" >&2; }
  done
  exit 1
}

for cmd in munged slurmctld slurmd sinfo sbatch scontrol; do
  command -v "$cmd" >/dev/null || die "'$cmd' not found: install slurm-wlm and munge (apt-get install -y slurm-wlm munge)"
done
[ "$(id -u)" = 0 ] || die "run as root (the daemons are started directly)"

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

node_state() { sinfo -h -N -o '%T' 2>/dev/null | head -n 1; }

# Already up? Nothing to do.
node_up() { case "$(node_state)" in idle | mixed | allocated) return 0 ;; *) return 1 ;; esac; }
if running /run/slurmctld.pid && running /run/slurmd.pid && node_up; then
  echo "slurm-up: cluster already up ($(sinfo -h -o '%P %D %T' | head -n 1))"
  exit 0
fi

# --- munge
mkdir -p /run/munge /var/lib/munge /var/log/munge /etc/munge
chown munge:munge /run/munge /var/lib/munge /var/log/munge /etc/munge 2>/dev/null || true
chmod 0755 /run/munge
if [ ! -s /etc/munge/munge.key ]; then
  if command -v mungekey >/dev/null; then mungekey --create --keyfile=/etc/munge/munge.key --force
  else dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none; fi
fi
chown munge:munge /etc/munge/munge.key && chmod 0400 /etc/munge/munge.key
if ! running /run/munge/munged.pid; then
  rm -f /run/munge/munged.pid
  runuser -u munge -- munged --pid-file=/run/munge/munged.pid || die "munged did not start"
fi
for _ in $(seq 1 50); do munge -n </dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
munge -n </dev/null | unmunge >/dev/null 2>&1 || die "munge does not work (munge -n | unmunge)"

# --- config
HOST=$(hostname -s)
mkdir -p "$CONF_DIR" /var/spool/slurmctld /var/spool/slurmd "$LOG_DIR"
if [ ! -f "$CONF" ] || grep -qF "$MARK" "$CONF"; then
  # `slurmd -C` prints this machine's node line: NodeName=... CPUs=... RealMemory=...
  NODE_LINE=$(slurmd -C 2>/dev/null | grep '^NodeName=' | head -n 1)
  [ -n "$NODE_LINE" ] || die "slurmd -C did not describe this machine"
  NODE_LINE=$(sed -E "s/^NodeName=[^ ]+/NodeName=$HOST/" <<<"$NODE_LINE")
  # the address the host name resolves to, else loopback (a node that is its own controller)
  ADDR=$(getent hosts "$HOST" | awk '{print $1; exit}')
  ADDR=${ADDR:-127.0.0.1}
  cat >"$CONF" <<EOF
$MARK
# Single-node cluster for runnable-ts (no systemd, no cgroups, no slurmdbd).
ClusterName=runnable
SlurmctldHost=$HOST($ADDR)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
# schedule a submitted or freed job at once (the defaults wait up to 3 s)
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,default_queue_depth=1000
# keep finished jobs visible to scontrol for an hour (there is no sacct without slurmdbd)
MinJobAge=3600
MaxJobCount=100000
MaxArraySize=100001
ReturnToService=2
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
Waittime=0
$NODE_LINE NodeAddr=$ADDR State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:$OVERSUBSCRIBE
EOF
  # no cgroup plugin is used (proctrack/linuxproc, task/none); the file keeps slurmd from probing
  cat >"$CONF_DIR/cgroup.conf" <<EOF
$MARK
CgroupPlugin=autodetect
IgnoreSystemd=yes
EOF
  echo "slurm-up: wrote $CONF ($NODE_LINE)"
fi

# --- daemons
if ! running /run/slurmctld.pid; then
  rm -f /run/slurmctld.pid
  slurmctld -i || die "slurmctld did not start"
fi
if ! running /run/slurmd.pid; then
  rm -f /run/slurmd.pid
  slurmd || die "slurmd did not start"
fi

# --- wait for the node
state=''
for _ in $(seq 1 $((WAIT_SECONDS * 4))); do
  state=$(node_state)
  case "$state" in
    idle | mixed | allocated) break ;;
    down* | drain* | inval*) scontrol update NodeName="$HOST" State=RESUME >/dev/null 2>&1 || true ;;
  esac
  sleep 0.25
done
case "$state" in
  idle | mixed | allocated) echo "slurm-up: cluster up: $(sinfo -h -o 'partition %P, %D node(s) %N %T, %c cpus')" ;;
  *) die "node '$HOST' is '${state:-unknown}' after ${WAIT_SECONDS}s, not idle (see sinfo -R)" ;;
esac
