#!/usr/bin/env bash
# A private single-node Slurm cluster for tests (Slurm 22.05 + munge, Debian 12 packages slurm-wlm munge),
# run as root in a container without systemd or cgroups. It installs nothing. Facts measured against it:
# slurm-facts.md beside this file.
#
#   conf=$(Tests/tools/slurm-cluster.sh start DIR)   # stdout: exactly one line "SLURM_CONF=DIR/slurm.conf"
#   export "$conf"                                   # sbatch/squeue/scontrol/scancel/sinfo now use this cluster
#   Tests/tools/slurm-cluster.sh stop-slurmd DIR     # SIGTERM slurmd only (running jobs' slurmstepd live on)
#   Tests/tools/slurm-cluster.sh start-slurmd DIR    # start it again; returns once it has registered
#   Tests/tools/slurm-cluster.sh stop DIR            # scancel all jobs, kill slurmd, job processes, slurmctld,
#                                                    # munged, and wait until they are gone
#   Tests/tools/slurm-cluster.sh status DIR          # exit 0 when munged, slurmctld and slurmd of DIR run
#
# Every file lives under DIR: slurm.conf, munge/ (its own key, munged socket, pid, log, seed), state/
# (StateSaveLocation), spool/ (SlurmdSpoolDir), run/slurmctld.pid and run/slurmd.pid (a test may
# `kill -9 $(cat DIR/run/slurmd.pid)` itself), log/slurmctld.log and log/slurmd.log, jobcomp.txt (one line per
# ended job). SlurmctldPort and SlurmdPort are picked free in 20000-29999 at each start of a stopped cluster,
# so two clusters (or a system one on 6817/6818) never collide. stop keeps DIR: a later start recovers the
# saved state (job ids go on; the jobs stop cancelled read CANCELLED); rm -rf DIR for a fresh cluster.
#
# Idempotent: start on a running cluster prints the line again (and starts whichever daemon is missing);
# stop on a stopped one does nothing. Diagnostics go to stderr. Exit 3: a prerequisite (slurmctld, slurmd,
# munged, root, ...) is missing, so a test skips naming it; 2: usage; 1: anything else failed (the daemons'
# logs are printed to stderr).
# Environment: SLURM_CLUSTER_TIMEOUT (seconds to wait for the node, default 60), SLURM_CLUSTER_KILLWAIT
# (KillWait, default 2), SLURM_CLUSTER_MINJOBAGE (MinJobAge, default 30), SLURM_CLUSTER_SLURMD_TIMEOUT
# (SlurmdTimeout, default 10), SLURM_CLUSTER_CPUS (the node's CPUs, default `nproc`),
# SLURM_CLUSTER_OVERSUBSCRIBE (jobs that may share one CPU, default 8: 2 CPUs run 16 jobs side by side).
set -euo pipefail

say() { echo "slurm-cluster: $*" >&2; }
die() { say "$*"; exit 1; }
missing() { say "needs $1: $2"; exit 3; }
usage() {
  echo "usage: $0 start|stop|status|stop-slurmd|start-slurmd DIR" >&2
  exit 2
}

[ $# -eq 2 ] || usage
cmd=$1
[ -n "$2" ] || usage
case $cmd in start | stop | status | stop-slurmd | start-slurmd) ;; *) usage ;; esac
[[ $2 != *[[:space:]]* ]] || die "DIR must not contain white space (slurm.conf paths): '$2'"
if [ ! -d "$2" ]; then
  case $cmd in
  start) mkdir -p "$2" 2>/dev/null || die "cannot create $2" ;;
  stop | stop-slurmd) exit 0 ;;
  status) say "no cluster in $2"; exit 1 ;;
  start-slurmd) die "no cluster in $2 (run start first)" ;;
  esac
fi
dir=$(cd "$2" && pwd -P)
conf=$dir/slurm.conf
mdir=$dir/munge
socket=$mdir/munge.socket
logs=$dir/log
ctld_pidfile=$dir/run/slurmctld.pid
slurmd_pidfile=$dir/run/slurmd.pid
munged_pidfile=$mdir/munged.pid
node=$(hostname -s)
timeout=${SLURM_CLUSTER_TIMEOUT:-60}

export PATH="$PATH:/usr/sbin:/sbin"
if [ "$cmd" = start ] || [ "$cmd" = start-slurmd ]; then
  for tool in slurmctld slurmd munged mungekey munge unmunge sinfo scontrol squeue scancel sbatch; do
    command -v "$tool" >/dev/null || missing "$tool" "apt-get install slurm-wlm munge (Debian)"
  done
  [ "$(id -u)" = 0 ] || missing root "the cluster runs its daemons as root (SlurmUser=root)"
fi

# The pid in FILE when that process is alive and is PROG (a stale pid file, or a recycled pid, reads as "").
alive() { # FILE PROG
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] || return 1
  # A zombie is gone for our purposes.
  [ "$(awk '/^State:/{print $2}' "/proc/$pid/status" 2>/dev/null)" != Z ] || return 1
  echo "$pid"
}

# Sends SIG to the daemon of FILE, waits up to SECS for it to go, then SIGKILLs it and waits again.
stop_daemon() { # FILE PROG SECS
  local pid i
  pid=$(alive "$1" "$2") || { rm -f "$1"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < $3 * 10; i++)); do
    alive "$1" "$2" >/dev/null || { rm -f "$1"; return 0; }
    sleep 0.1
  done
  say "$2 (pid $pid) ignored SIGTERM for $3 s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    alive "$1" "$2" >/dev/null || { rm -f "$1"; return 0; }
    sleep 0.1
  done
  die "$2 (pid $pid) survives SIGKILL"
}

dump_logs() {
  local f
  for f in "$mdir/munged.log" "$logs/slurmctld.log" "$logs/slurmd.log"; do
    [ -f "$f" ] || continue
    echo "----- $f (last 40 lines)" >&2
    tail -n 40 "$f" >&2
  done
}
# A failed start stops what it started, so that no daemon outlives it.
fail() {
  say "$*"
  dump_logs
  if [ "$cmd" = start ]; then
    say "stopping what this start left running"
    do_stop || true
  fi
  exit 1
}

# Ports something listens on now (TCP, v4 and v6), one a line, from /proc (no ss/netstat needed).
listening_ports() {
  local hex
  for hex in $(awk 'FNR > 1 && $4 == "0A" { n = split($2, a, ":"); print a[n] }' /proc/net/tcp /proc/net/tcp6 2>/dev/null); do
    echo $((16#$hex))
  done | sort -u
}
# Two distinct free ports in 20000-29999 (below Linux's ephemeral range 32768-60999, so no outgoing
# connection holds one), at random so that clusters started at once rarely pick the same; a collision
# that still happens makes a daemon fail to bind, and start tries again with new ones.
pick_ports() {
  local used p q
  used=" $(listening_ports | tr '\n' ' ') "
  while :; do
    p=$((20000 + RANDOM % 10000))
    q=$((20000 + RANDOM % 10000))
    [ "$p" != "$q" ] || continue
    [[ $used != *" $p "* && $used != *" $q "* ]] || continue
    echo "$p $q"
    return
  done
}

# --- munge: a daemon and key of this cluster's own ---------------------------------------------------
start_munged() {
  if alive "$munged_pidfile" munged >/dev/null && [ -S "$socket" ]; then return 0; fi
  rm -f "$munged_pidfile"
  mkdir -p "$mdir"
  # munged wants the key readable by its user only and, for the socket, execute permission for all on every
  # directory above it; --force turns the latter into a warning (root reaches the socket either way), so DIR
  # may sit under a private mktemp -d directory.
  chmod 755 "$mdir"
  if [ ! -s "$mdir/munge.key" ]; then
    mungekey --create --keyfile="$mdir/munge.key" --force >/dev/null 2>&1 ||
      dd if=/dev/urandom of="$mdir/munge.key" bs=1024 count=1 status=none
  fi
  chmod 400 "$mdir/munge.key"
  munged --force --key-file="$mdir/munge.key" --socket="$socket" --pid-file="$munged_pidfile" \
    --log-file="$mdir/munged.log" --seed-file="$mdir/munged.seed" </dev/null >>"$mdir/munged.out" 2>&1 ||
    fail "munged did not start"
  local i
  for ((i = 0; i < 50; i++)); do
    if munge -n -S "$socket" 2>/dev/null | unmunge -S "$socket" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  fail "munged's socket $socket does not encode and decode a credential"
}

write_conf() { # CTLD_PORT SLURMD_PORT
  local cpus=${SLURM_CLUSTER_CPUS:-$(nproc)}
  local share=${SLURM_CLUSTER_OVERSUBSCRIBE:-8}
  local oversubscribe=NO
  [ "$share" -le 1 ] || oversubscribe=FORCE:$share
  mkdir -p "$dir/state" "$dir/spool" "$dir/run" "$logs"
  cat >"$conf.new" <<EOF
# Written by slurm-cluster.sh start; every path is under $dir. Rewritten (new ports) at each start of a
# stopped cluster.
ClusterName=test$(cksum <<<"$dir" | cut -d' ' -f1)
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$1
SlurmdPort=$2
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$ctld_pidfile
SlurmdPidFile=$slurmd_pidfile
SlurmctldLogFile=$logs/slurmctld.log
SlurmdLogFile=$logs/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/jobcomp.txt
MpiDefault=none
MailProg=/bin/true
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=sched_min_interval=0,sched_interval=1,bf_interval=1
SlurmdParameters=config_overrides
ReturnToService=2
KillWait=${SLURM_CLUSTER_KILLWAIT:-2}
MinJobAge=${SLURM_CLUSTER_MINJOBAGE:-30}
SlurmdTimeout=${SLURM_CLUSTER_SLURMD_TIMEOUT:-10}
SlurmctldTimeout=10
MessageTimeout=5
InactiveLimit=0
OverTimeLimit=0
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP OverSubscribe=$oversubscribe
EOF
  mv "$conf.new" "$conf"
}

export SLURM_CONF=$conf

node_state() { sinfo -h -N -n "$node" -o '%t' 2>/dev/null | head -1; }

# When slurmd was started by this call, the epoch second before: the node counts as up only once slurmctld
# shows a SlurmdStartTime at or after it (a restarted slurmd registered, not the old one's record).
slurmd_since=
registered() {
  [ -n "$slurmd_since" ] || return 0
  local t
  t=$(scontrol -o show node "$node" 2>/dev/null | grep -oE 'SlurmdStartTime=[^ ]+' | cut -d= -f2) || return 1
  [ -n "$t" ] && [ "$(date -d "$t" +%s 2>/dev/null || echo 0)" -ge "$slurmd_since" ]
}

# Waits until sinfo shows the node idle (or mixed/allocated: jobs from before a slurmd restart) and, after a
# start of slurmd, until slurmd has registered.
wait_node_up() {
  local t0=$SECONDS st=
  while :; do
    st=$(node_state) || true
    case $st in
    idle | mix | alloc | comp) registered && return 0 ;;
    esac
    ((SECONDS - t0 < timeout)) || fail "the node is not up after ${timeout} s (sinfo state: '${st:-none}')"
    alive "$ctld_pidfile" slurmctld >/dev/null || fail "slurmctld died"
    alive "$slurmd_pidfile" slurmd >/dev/null || fail "slurmd died"
    sleep 0.1
  done
}

bind_failed() { grep -qiE 'Address already in use|Error binding|unable to bind' "$@" 2>/dev/null; }

start_slurmctld() {
  alive "$ctld_pidfile" slurmctld >/dev/null && return 0
  rm -f "$ctld_pidfile"
  local mark
  mark=0
  [ ! -f "$logs/slurmctld.log" ] || mark=$(wc -l <"$logs/slurmctld.log")
  local i rc=0
  # Daemons must not keep the caller's stdout or stderr: a caller that reads them to the end would wait forever.
  slurmctld -f "$conf" </dev/null >>"$logs/slurmctld.out" 2>&1 || rc=$?
  if [ $rc != 0 ]; then
    if tail -n +"$((mark + 1))" "$logs/slurmctld.log" 2>/dev/null | bind_failed; then return 2; fi
    fail "slurmctld exited $rc at start"
  fi
  for ((i = 0; i < 100; i++)); do
    # Listening on its port and answering: up.
    if alive "$ctld_pidfile" slurmctld >/dev/null && scontrol ping >/dev/null 2>&1; then return 0; fi
    if tail -n +"$((mark + 1))" "$logs/slurmctld.log" 2>/dev/null | bind_failed; then return 2; fi
    if [ -s "$ctld_pidfile" ] && ! alive "$ctld_pidfile" slurmctld >/dev/null; then fail "slurmctld died at start"; fi
    sleep 0.1
  done
  fail "slurmctld did not answer scontrol ping within 10 s"
}

start_slurmd_daemon() {
  alive "$slurmd_pidfile" slurmd >/dev/null && return 0
  rm -f "$slurmd_pidfile"
  local mark
  mark=0
  [ ! -f "$logs/slurmd.log" ] || mark=$(wc -l <"$logs/slurmd.log")
  slurmd_since=$(date +%s)
  local i rc=0
  slurmd -f "$conf" -N "$node" </dev/null >>"$logs/slurmd.out" 2>&1 || rc=$?
  if [ $rc != 0 ]; then
    if tail -n +"$((mark + 1))" "$logs/slurmd.log" 2>/dev/null | bind_failed; then return 2; fi
    fail "slurmd exited $rc at start"
  fi
  for ((i = 0; i < 100; i++)); do
    # Running (whether it registers is wait_node_up's to see).
    if alive "$slurmd_pidfile" slurmd >/dev/null; then return 0; fi
    if tail -n +"$((mark + 1))" "$logs/slurmd.log" 2>/dev/null | bind_failed; then return 2; fi
    sleep 0.1
  done
  fail "slurmd did not start within 10 s"
}

# Processes of this cluster's jobs: its slurmstepd (they inherit slurmd's SLURM_CONF=DIR/slurm.conf) and
# their descendants, plus any process whose environment has both SLURM_CONF=DIR/slurm.conf and a SLURM_JOB_ID:
# with proctrack/linuxproc a job's process whose parent exited is reparented to init, Slurm loses track of it
# and it outlives its job. (The environment test leaves alone the sbatch caller, which has no SLURM_JOB_ID.)
job_pids() {
  local f p stepds=()
  for f in $(grep -lzxF -- "SLURM_CONF=$conf" /proc/[0-9]*/environ 2>/dev/null || true); do
    p=${f#/proc/}
    p=${p%/environ}
    [ "$p" != $$ ] && [ "$p" != "$BASHPID" ] || continue
    if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = slurmstepd ] || grep -qz '^SLURM_JOB_ID=' "$f" 2>/dev/null; then
      stepds+=("$p")
    fi
  done
  ((${#stepds[@]})) || return 0
  # Descendants by parent pid, breadth first.
  ps -e -o pid=,ppid= | awk -v roots="${stepds[*]}" '
    BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) keep[r[i]] = 1 }
    { parent[$1] = $2; pids[++m] = $1 }
    END {
      changed = 1
      while (changed) { changed = 0
        for (i = 1; i <= m; i++) { p = pids[i]; if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; changed = 1 } } }
      for (p in keep) print p
    }'
}

kill_jobs() {
  local pids i
  pids=$(job_pids)
  [ -n "$pids" ] || return 0
  say "killing leftover job processes: $(echo $pids)"
  kill -KILL $pids 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    pids=$(for p in $pids; do [ -d "/proc/$p" ] && [ "$(awk '/^State:/{print $2}' "/proc/$p/status" 2>/dev/null)" != Z ] && echo "$p"; done || true)
    [ -n "$pids" ] || return 0
    sleep 0.1
  done
  say "job processes survive SIGKILL: $(echo $pids)"
}

do_start() {
  local t0=${EPOCHREALTIME/./}
  # A Unix socket's path is at most 107 bytes: munged's, and slurmstepd's DIR/spool/NODE_JOBID.STEPID (the
  # batch step's id is 4294967291), the longer one.
  local probe=$dir/spool/${node}_4294967295.4294967291
  [ ${#probe} -le 107 ] ||
    die "DIR is too long for slurmstepd's Unix sockets ($probe: ${#probe} bytes, at most 107): use a DIR of at most $((107 - ${#probe} + ${#dir})) characters"
  if alive "$ctld_pidfile" slurmctld >/dev/null && alive "$slurmd_pidfile" slurmd >/dev/null &&
    alive "$munged_pidfile" munged >/dev/null; then
    wait_node_up
    echo "SLURM_CONF=$conf"
    return 0
  fi
  start_munged
  local attempt rc
  for attempt in 1 2 3 4 5; do
    # A running daemon keeps the config it read: only a fully stopped slurmctld/slurmd pair gets new ports.
    if ! alive "$ctld_pidfile" slurmctld >/dev/null && ! alive "$slurmd_pidfile" slurmd >/dev/null; then
      write_conf $(pick_ports)
    fi
    rc=0
    start_slurmctld || rc=$?
    [ $rc = 0 ] && { start_slurmd_daemon || rc=$?; }
    [ $rc = 0 ] && break
    say "a port was taken (attempt $attempt): picking new ones"
    stop_daemon "$slurmd_pidfile" slurmd 10
    stop_daemon "$ctld_pidfile" slurmctld 10
  done
  [ $rc = 0 ] || fail "could not bind free ports in 5 attempts"
  wait_node_up
  say "up in $(((${EPOCHREALTIME/./} - t0) / 1000)) ms: $(grep -E '^Slurm(ctld|d)Port=' "$conf" | tr '\n' ' ')"
  echo "SLURM_CONF=$conf"
}

do_stop() {
  # Cancel every job first, so slurmctld's saved state (and the job-completion log) says CANCELLED rather than
  # keeping a RUNNING job no slurmd knows of after the next start. Then slurmd (so no new step starts), the
  # job processes left behind, slurmctld, munged last (the others need it to the end).
  if alive "$ctld_pidfile" slurmctld >/dev/null; then
    timeout 10 scancel --user=root >/dev/null 2>&1 || true
  fi
  stop_daemon "$slurmd_pidfile" slurmd 10
  kill_jobs
  stop_daemon "$ctld_pidfile" slurmctld 10
  stop_daemon "$munged_pidfile" munged 10
  rm -f "$socket"
}

case $cmd in
start) do_start ;;
stop) do_stop ;;
status)
  ok=0
  for d in "$munged_pidfile munged" "$ctld_pidfile slurmctld" "$slurmd_pidfile slurmd"; do
    set -- $d
    if pid=$(alive "$1" "$2"); then say "$2 running (pid $pid)"; else say "$2 not running"; ok=1; fi
  done
  exit $ok
  ;;
stop-slurmd) stop_daemon "$slurmd_pidfile" slurmd 10 ;;
start-slurmd)
  [ -f "$conf" ] || die "no cluster in $dir (run start first)"
  alive "$ctld_pidfile" slurmctld >/dev/null || die "slurmctld of $dir is not running (run start)"
  start_munged
  rc=0
  start_slurmd_daemon || rc=$?
  [ $rc = 0 ] || fail "slurmd cannot bind its port $(grep -E '^SlurmdPort=' "$conf")"
  wait_node_up
  ;;
*) usage ;;
esac
