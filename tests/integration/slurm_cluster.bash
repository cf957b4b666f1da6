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
# end (bounded) and stops the daemons.

SLURM_DIR=""

slurm_down() {
  [ -n "$SLURM_DIR" ] || return 0
  scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
  for _ in $(seq 1 40); do
    squeue -h 2>/dev/null | grep -q . || break
    sleep 0.25
  done
  for f in slurmd slurmctld munged; do
    [ -f "$SLURM_DIR/$f.pid" ] && kill "$(cat "$SLURM_DIR/$f.pid")" 2>/dev/null || true
  done
  SLURM_DIR=""
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
  cat >"$d/slurm.conf" <<CONF
ClusterName=tgtest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
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
  export SLURM_CONF=$d/slurm.conf
  slurmctld -D -i -f "$d/slurm.conf" >"$d/slurmctld.out" 2>&1 &
  PIDS+=($!)
  slurmd -D -f "$d/slurm.conf" >"$d/slurmd.out" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 120); do
    sinfo -h -o '%T' 2>/dev/null | grep -Eq '^idle' && return 0
    sleep 0.25
  done
  tail -20 "$d/slurmctld.log" "$d/slurmd.log" "$d"/*.out 2>/dev/null
  fail "the one-node Slurm cluster did not come up in 30 s"
}
