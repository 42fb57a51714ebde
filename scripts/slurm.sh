#!/usr/bin/env bash
# A single-node SLURM cluster on this machine, for the scale-out tests (tests/cluster/) and for
# trying `deno task cluster slurm` by hand: munged, slurmctld and slurmd as root on loopback,
# this machine the only node (CPUs = nproc), proctrack/linuxproc and task/none (no cgroups).
#
#   bash scripts/slurm.sh start    # reuse a cluster that answers, else install and start one
#   bash scripts/slurm.sh stop     # stop only the daemons `start` started (by their pids)
#   bash scripts/slurm.sh status   # what answers, and what this script started
#
# Idempotent. A cluster that already answers (`sinfo` shows an idle or busy node) is used as
# it is and never stopped. Otherwise slurm-wlm and munge are installed if missing (Debian), the
# configuration and the daemons' state go to $TZ_SLURM_DIR (default /tmp/tessera-zones-slurm),
# and the configuration is also installed as /etc/slurm/slurm.conf (an unused one there is kept
# aside and put back by `stop`), so that sbatch, squeue and scontrol find the cluster.
# TZ_SLURMCTLD_PORT / TZ_SLURMD_PORT (default 6817 / 6818) and SLURM_CONF (pointing at
# $TZ_SLURM_DIR/slurm.conf) let a second cluster run beside one that is already there.
# Adapted from the workplace's slurm-single-node reference script.
set -u
STATE="${TZ_SLURM_DIR:-/tmp/tessera-zones-slurm}"
ETC_CONF=/etc/slurm/slurm.conf

log() { echo "slurm.sh: $*" >&2; }

answers() {
  local st
  st=$(timeout 5 sinfo -h -o %T 2>/dev/null | head -1)
  case "$st" in idle | mixed | allocated | completing) return 0 ;; *) return 1 ;; esac
}

alive() { # alive PIDFILE NAME: the pid in PIDFILE runs and is NAME
  local pid
  [ -s "$1" ] || return 1
  pid=$(cat "$1")
  [ -d "/proc/$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ]
}

install_packages() {
  command -v slurmctld >/dev/null && command -v munged >/dev/null && return 0
  log "installing slurm-wlm and munge"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq slurm-wlm munge >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq slurm-wlm munge >/dev/null 2>&1; } ||
    { log "could not install slurm-wlm and munge (apt-get failed)"; return 1; }
}

start_munge() {
  if [ -S /run/munge/munge.socket.2 ] && munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
    return 0 # a working munged (someone else's): use it
  fi
  mkdir -p /etc/munge /var/log/munge /run/munge /var/lib/munge
  [ -s /etc/munge/munge.key ] || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  chown -R munge:munge /etc/munge /var/log/munge /run/munge /var/lib/munge 2>/dev/null
  chmod 700 /etc/munge
  chmod 400 /etc/munge/munge.key
  if id munge >/dev/null 2>&1; then
    su -s /bin/sh munge -c "/usr/sbin/munged --pid-file=/run/munge/tz-munged.pid" 2>/dev/null ||
      /usr/sbin/munged --force --pid-file=/run/munge/tz-munged.pid
  else
    /usr/sbin/munged --force --pid-file=/run/munge/tz-munged.pid
  fi
  for _ in $(seq 20); do [ -s /run/munge/tz-munged.pid ] && break; sleep 0.2; done
  cp /run/munge/tz-munged.pid "$STATE/munged.pid" 2>/dev/null
  munge -n </dev/null | unmunge >/dev/null 2>&1 || { log "munged does not work"; return 1; }
}

write_conf() {
  local h mem
  h=$(hostname -s)
  mem=$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 2048))
  [ "$mem" -lt 1024 ] && mem=1024
  mkdir -p "$STATE/ctld" "$STATE/d" "$STATE/log"
  cat >"$STATE/slurm.conf" <<CONF
# Written by tessera-zones scripts/slurm.sh: a one-node cluster on loopback.
ClusterName=tzlocal
SlurmctldHost=$h(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MinJobAge=600
SlurmctldPort=${TZ_SLURMCTLD_PORT:-6817}
SlurmdPort=${TZ_SLURMD_PORT:-6818}
NodeName=$h NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=main Nodes=$h Default=YES MaxTime=INFINITE State=UP
CONF
  # The clients (sbatch, sinfo, scontrol) read $ETC_CONF unless SLURM_CONF says otherwise. No
  # cluster answers, so an existing $ETC_CONF is unused: it is kept aside and put back by stop.
  if [ -n "${SLURM_CONF:-}" ] && [ "$SLURM_CONF" != "$ETC_CONF" ]; then
    return 0 # the caller points the clients at our file itself
  fi
  if [ -e "$ETC_CONF" ] && ! cmp -s "$ETC_CONF" "$STATE/slurm.conf"; then
    [ -e "$STATE/etc-conf-orig" ] || cp -p "$ETC_CONF" "$STATE/etc-conf-orig"
  fi
  mkdir -p "$(dirname "$ETC_CONF")"
  cp "$STATE/slurm.conf" "$ETC_CONF" && touch "$STATE/etc-conf-ours"
}

start() {
  if answers; then
    log "a SLURM cluster already answers (sinfo); using it as it is"
    return 0
  fi
  install_packages || return 1
  mkdir -p "$STATE"
  start_munge || return 1
  write_conf
  export SLURM_CONF="$STATE/slurm.conf"
  alive "$STATE/slurmctld.pid" slurmctld || slurmctld -f "$SLURM_CONF" || { log "slurmctld did not start"; return 1; }
  alive "$STATE/slurmd.pid" slurmd || slurmd -f "$SLURM_CONF" || { log "slurmd did not start"; return 1; }
  for _ in $(seq 60); do
    if answers; then
      log "SLURM is up: $(sinfo -h -o '%P %D %T %N' | head -1)"
      return 0
    fi
    # A node left DOWN by an earlier run comes back with a resume.
    case "$(sinfo -h -o %T 2>/dev/null | head -1)" in
      down* | drain*) scontrol update nodename="$(hostname -s)" state=resume 2>/dev/null ;;
    esac
    sleep 0.5
  done
  log "SLURM did not come up: $(sinfo 2>&1 | tail -2); logs in $STATE/log"
  return 1
}

stop_one() { # stop_one PIDFILE NAME
  local pid
  alive "$1" "$2" || { rm -f "$1"; return 0; }
  pid=$(cat "$1")
  kill "$pid" 2>/dev/null
  for _ in $(seq 50); do [ -d "/proc/$pid" ] || break; sleep 0.2; done
  [ -d "/proc/$pid" ] && kill -9 "$pid" 2>/dev/null
  rm -f "$1"
  log "stopped $2 (pid $pid)"
}

stop() {
  [ -d "$STATE" ] || { log "nothing started by this script"; return 0; }
  stop_one "$STATE/slurmd.pid" slurmd
  stop_one "$STATE/slurmctld.pid" slurmctld
  stop_one "$STATE/munged.pid" munged
  if [ -e "$STATE/etc-conf-ours" ] && cmp -s "$ETC_CONF" "$STATE/slurm.conf"; then
    if [ -e "$STATE/etc-conf-orig" ]; then cp -p "$STATE/etc-conf-orig" "$ETC_CONF"; else rm -f "$ETC_CONF"; fi
  fi
  # Nothing left in the temp dir once the daemons are gone (start prints the log path on failure).
  rm -rf "$STATE"
}

status() {
  if answers; then echo "answers: $(sinfo -h -o '%P %D %T %N' | head -1)"; else echo "no SLURM cluster answers"; fi
  for d in slurmctld slurmd munged; do
    if alive "$STATE/$d.pid" "$d"; then echo "started here: $d (pid $(cat "$STATE/$d.pid"))"; fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: bash scripts/slurm.sh start|stop|status" >&2; exit 2 ;;
esac
