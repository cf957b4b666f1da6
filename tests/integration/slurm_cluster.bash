# slurm_cluster.bash - a one-node Slurm cluster for the deploy tests
# (sourced after run_common.sh, which provides WORK, PIDS, fail, free_port).
#
# munged with a key generated here, slurmctld and slurmd in the foreground
# (children of the test, killed by its cleanup), everything - config,
# state, spool, logs, the munge socket - under $WORK/slurm, ports picked
# free on 127.0.0.1.  Needs root (slurmd runs jobs as the submitting user
# and must be able to switch to it).  Known to work on Debian 12 with
# ProctrackType=proctrack/linuxproc and TaskPlugin=task/none: no cgroups
# and no systemd are needed.
#
# slurm_up CPUS: starts the cluster; exports SLURM_CONF so sbatch, squeue,
# scancel talk to it.  slurm_down: cancels every job, waits for them to
# end (bounded) and stops the daemons.  Every client call is bounded by
# `timeout`: without a controller they retry for minutes.

SLURM_DIR=""

slurm_down() {
  [ -n "$SLURM_DIR" ] || return 0
  timeout 5 scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
  for _ in $(seq 1 40); do
    timeout 2 squeue -h 2>/dev/null | grep -q . || break
    sleep 0.25
  done
  for f in slurmd slurmctld munged; do
    [ -f "$SLURM_DIR/$f.pid" ] && kill "$(cat "$SLURM_DIR/$f.pid")" 2>/dev/null || true
  done
  SLURM_DIR=""
}

# two_ports: two distinct free TCP ports on 127.0.0.1 below the usual
# ephemeral range (32768-60999), where outgoing connections do not take
# them between this check and the daemons' bind.
two_ports() {
  python3 - <<'PORTS'
import random, socket
ports = []
while len(ports) < 2:
    p = random.randrange(20000, 32000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
        if p not in ports:
            ports.append(p)
    except OSError:
        pass
    finally:
        s.close()
print(*ports)
PORTS
}

slurm_up() {
  local cpus=$1 d=$WORK/slurm host
  SLURM_DIR=$d
  host=$(hostname -s)
  mkdir -p "$d/state" "$d/spool" "$d/munge"
  chmod 711 "$d/munge"
  dd if=/dev/urandom of="$d/munge/munge.key" bs=1024 count=1 status=none
  chmod 400 "$d/munge/munge.key"
  munged --force --foreground --key-file="$d/munge/munge.key" \
    --socket="$d/munge/munge.socket" --pid-file="$d/munged.pid" \
    --log-file="$d/munged.log" --seed-file="$d/munge/munge.seed" \
    >"$d/munged.out" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do
    [ -S "$d/munge/munge.socket" ] && break
    sleep 0.05
  done
  [ -S "$d/munge/munge.socket" ] || { cat "$d/munged.log"; fail "munged did not start"; }
  export SLURM_CONF=$d/slurm.conf
  for attempt in 1 2 3; do
    slurm_daemons "$cpus" "$host" && return 0
    echo "slurm_up: attempt $attempt: the daemons did not come up" >&2
    tail -n 5 "$d/slurmctld.log" "$d/slurmd.log" >&2 2>/dev/null || true
    for f in slurmd slurmctld; do
      [ -f "$d/$f.pid" ] && kill "$(cat "$d/$f.pid")" 2>/dev/null || true
      rm -f "$d/$f.pid"
    done
    sleep 1
  done
  fail "the one-node Slurm cluster did not come up"
}

# slurm_daemons CPUS HOST: a config with fresh ports, then slurmctld and
# slurmd; 0 once the node is idle (30 s at most), 1 when it is not.
slurm_daemons() {
  local cpus=$1 host=$2 d=$SLURM_DIR ports ctld
  read -r -a ports <<<"$(two_ports)"
  cat >"$d/slurm.conf" <<CONF
ClusterName=tgtest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmctldPort=${ports[0]}
SlurmdPort=${ports[1]}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$d/munge/munge.socket
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd.pid
SlurmctldLogFile=$d/slurmctld.log
SlurmdLogFile=$d/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
KillWait=5
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=tg Nodes=$host Default=YES MaxTime=10 State=UP OverSubscribe=NO
CONF
  slurmctld -D -i -f "$d/slurm.conf" >"$d/slurmctld.out" 2>&1 &
  ctld=$!
  PIDS+=($ctld)
  slurmd -D -f "$d/slurm.conf" >"$d/slurmd.out" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 60); do
    kill -0 "$ctld" 2>/dev/null || return 1
    timeout 3 sinfo -h -o '%T' 2>/dev/null | grep -Eq '^idle' && return 0
    sleep 0.5
  done
  return 1
}
