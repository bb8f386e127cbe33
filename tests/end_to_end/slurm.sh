#!/usr/bin/env bash
# A real SLURM on this one machine: munged, slurmctld and slurmd started from a private
# configuration (own ports, socket, spool and state directories, so nothing of a system
# installation is touched), then slurm/*.sbatch submitted exactly as the README documents
# them, only the task counts overridden on the sbatch command line:
#   1. run.sbatch with 2 tasks, uninterrupted: the reference file;
#   2. run.sbatch again, sent SIGTERM mid-run the way SLURM does it before the time limit
#      (--signal=B:TERM delivers it to the batch shell; here `scancel --signal=TERM --batch`):
#      the ranks exit 75, the script requeues the job, the second start resumes, and the
#      complete file must equal the reference bit for bit;
#   3. seeds_array.sbatch as a 2-task array of 2 seeds, analyze.sbatch chained after it with
#      --dependency=afterok, and each seed's file checked against a plain mpirun of the same
#      seed.
# Every daemon this test starts is stopped on exit, whatever the outcome.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
G="$GAITLAB_BINARY"
for b in munged slurmctld slurmd sbatch srun scontrol sinfo scancel h5ls python3; do
  command -v "$b" >/dev/null || {
    echo "slurm test: '$b' not found: the test needs Debian's slurmctld, slurmd, slurm-client and munge (tools/install-deps.sh installs them)"
    exit 1; }
done

work=$(mktemp -d /tmp/gaitlab-slurm.XXXXXX); chmod 700 "$work"
cleanup() {
  for f in "$work"/slurmd.pid "$work"/slurmctld.pid "$work"/munged.pid; do
    [ -f "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null
  done
  sleep 1
  for f in "$work"/slurmd.pid "$work"/slurmctld.pid "$work"/munged.pid; do
    [ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null
  done
  pkill -KILL -f "$work" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "slurm test: $*"; for l in slurmctld slurmd; do echo "--- $l.log (tail)"; tail -n 15 "$work/$l.log" 2>/dev/null; done; exit 1; }

# Free TCP ports for the two daemons, so a system SLURM on the default ports is no obstacle.
read -r p1 p2 < <(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
user=$(id -un); node=$(hostname -s)
mkdir -p "$work/state" "$work/spool" "$work/munge" "$work/jobs"
chmod 700 "$work/munge"
head -c 1024 /dev/urandom > "$work/munge/key"; chmod 600 "$work/munge/key"
munged --force -S "$work/munge/sock" --key-file="$work/munge/key" --log-file="$work/munge/log" \
  --pid-file="$work/munged.pid" --seed-file="$work/munge/seed" || fail "munged did not start"

cpus=2
cat > "$work/slurm.conf" <<EOF
ClusterName=gaitlabtest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$p1
SlurmdPort=$p2
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge/sock
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=pmix
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
ReturnToService=2
JobRequeue=1
MinJobAge=600
SchedulerParameters=defer_batch
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
export SLURM_CONF="$work/slurm.conf"
# The jobs inherit this environment (sbatch exports it): Open MPI inside a container needs
# the copy mechanism off, and root needs Open MPI's explicit consent, as everywhere in CI.
export OMPI_MCA_btl_vader_single_copy_mechanism=none OPENBLAS_NUM_THREADS=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export GAITLAB="$G"
slurmctld -i || fail "slurmctld did not start"
slurmd -N "$node" || fail "slurmd did not start"
for _ in $(seq 1 60); do
  state=$(sinfo -h -n "$node" -o %t 2>/dev/null)
  case "$state" in idle*|mix*|alloc*) break;; esac
  sleep 0.5
done
case "$state" in idle*) ;; *) fail "node $node not idle after 30 s (state '$state')";; esac
echo "slurm: controller on port $p1, node $node idle with $cpus CPUs"

# job_state ID: the job's state (PENDING, RUNNING, COMPLETED, FAILED, ...)
job_state() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -n 1; }
job_field() { scontrol show job "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1; }
wait_done() {  # wait_done ID SECONDS: until the job has finished; prints its final state
  local s
  for _ in $(seq 1 $(( $2 * 2 ))); do
    s=$(job_state "$1")
    case "$s" in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE) echo "$s"; return;; esac
    sleep 0.5
  done
  echo "STILL_${s:-UNKNOWN}"
}

cd "$work/jobs"
Y="$here/data/slurm.yaml"
sets=()

# 1. Reference: run.sbatch uninterrupted.
jid=$(sbatch --parsable --ntasks=2 "$root/slurm/run.sbatch" "$Y" "${sets[@]}" --set output=ref.h5) ||
  fail "sbatch run.sbatch refused"
s=$(wait_done "$jid" 300); rc=$(job_field "$jid" ExitCode)
[ "$s" = COMPLETED ] && [ -f ref.h5 ] || { cat gaitlab-"$jid".log; fail "reference job $jid ended $s (exit $rc)"; }
echo "slurm: run.sbatch job $jid (2 tasks) COMPLETED, ref.h5 written"

# 2. The same job, interrupted as at the time limit, must requeue itself and finish equal.
jid=$(sbatch --parsable --ntasks=2 "$root/slurm/run.sbatch" "$Y" "${sets[@]}" --set output=req.h5) ||
  fail "sbatch run.sbatch refused"
for _ in $(seq 1 600); do
  [ "$(job_state "$jid")" = RUNNING ] && [ -e req.h5.partial ] && break; sleep 0.1
done
[ -e req.h5.partial ] || { cat gaitlab-"$jid".log; fail "job $jid never started writing req.h5"; }
sleep 1
scancel --signal=TERM --batch "$jid" || fail "scancel --signal=TERM --batch $jid failed"
s=$(wait_done "$jid" 600); restarts=$(job_field "$jid" Restarts)
log=$(cat gaitlab-"$jid".log 2>/dev/null)
grep -q "requeueing job $jid" <<<"$log" || { echo "$log"; fail "job $jid was not requeued after SIGTERM (state $s)"; }
[ "$s" = COMPLETED ] && [ "${restarts:-0}" -ge 1 ] ||
  { echo "$log"; fail "requeued job $jid ended $s after ${restarts:-0} restarts"; }
[ -f req.h5 ] && [ ! -e req.h5.partial ] || { echo "$log"; fail "requeued job $jid left no complete req.h5"; }
"$H5CHECK" compare ref.h5 req.h5 > cmp.txt || { cat cmp.txt; fail "requeued run differs from the uninterrupted one"; }
echo "slurm: job $jid got SIGTERM mid-run, exited 75, requeued itself (restarts $restarts), resumed; req.h5 bitwise equal to ref.h5"

# 3. The seed array with the analysis chained after it.
jid=$(sbatch --parsable --array=0-1 --ntasks=2 "$root/slurm/seeds_array.sbatch" "$Y") ||
  fail "sbatch seeds_array.sbatch refused"
aid=$(sbatch --parsable --ntasks=2 --dependency=afterok:"$jid" "$root/slurm/analyze.sbatch" 'out/seed_*.h5') ||
  fail "sbatch analyze.sbatch refused"
s=$(wait_done "$aid" 600)
for t in 0 1; do
  st=$(job_state "${jid}_$t")
  [ "$st" = COMPLETED ] || { cat gaitlab-seeds-"${jid}_$t".log 2>/dev/null; fail "array task ${jid}_$t ended $st"; }
done
[ "$s" = COMPLETED ] || { cat gaitlab-analyze-"$aid".log; fail "analysis job $aid ended $s"; }
for seed in 1 2; do
  f=out/seed_$seed.h5
  h5ls "$f/analysis" >/dev/null 2>&1 ||
    fail "$f has no /analysis after job $aid"
  "$MPIEXEC" -n 2 --oversubscribe "$G" run "$Y" --quiet --set seed=$seed --set output="plain_$seed.h5" ||
    fail "plain mpirun of seed $seed failed"
  "$MPIEXEC" -n 2 --oversubscribe "$G" analyze "plain_$seed.h5" --quiet >/dev/null ||
    fail "plain analysis of seed $seed failed"
  "$H5CHECK" compare "plain_$seed.h5" "$f" > cmp.txt || { cat cmp.txt; fail "$f differs from a plain mpirun of seed $seed"; }
done
echo "slurm: seeds array $jid (2 tasks x 2 ranks) and analyze job $aid (afterok) COMPLETED; both files equal plain mpirun runs"
echo "slurm test: passed"
