#!/usr/bin/env bash
# Self-test of the cluster path on a real scheduler (not part of the test suite): starts a one-node SLURM cluster on this
# host (installing slurm-wlm and munge when missing; needs root), submits a small grid with scripts/slurm-grid.sh (coarse
# array → refine array → merge, each afterok the last), waits for the jobs and checks that best.json and grid.csv equal
# those of one unsharded `heavytail grid` byte for byte (neither file holds a wall time or anything else that may
# differ between runs). Ends with a PASS or FAIL line; exit 0 on PASS. Stops its daemons and removes its folder on exit.
# Usage: scripts/slurm-selftest.sh [--keep]   (--keep: leave the temporary folder, with the daemons' logs)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
keep=0
case "${1:-}" in
  --keep) keep=1 ;;
  -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) echo "error: unknown option '$1' (usage: scripts/slurm-selftest.sh [--keep])." >&2; exit 2 ;;
esac

# the grid: HT-Random m = 4, Adam, 100 steps, 2 seeds; --max-rise 0.01 makes the runs down to η = 0.1 unstable, so the
# merge job also trains two step sizes of the stability ladder
grid_opts=(--problem ht-random --m 4 --optimizer adam --steps 100 --seeds 2)
extra=(--max-rise 0.01)
shards=3; refine_shards=2; timeout_s=900

dump_logs() {
  for log in slurmctld.log slurmd.log munged.log; do [ -f "${tmp:-}/$log" ] && { echo "--- tail of $log"; tail -n 15 "$tmp/$log"; }; done
  for log in "${tmp:-/nonexistent}"/out/logs/*.out; do [ -f "$log" ] && { echo "--- $log"; tail -n 15 "$log"; }; done
  return 0
}
fail() { dump_logs; echo "FAIL: $*"; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "error: the self-test starts munged, slurmctld and slurmd; run it as root." >&2; exit 2; }

start=$SECONDS
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  echo "installing slurm-wlm and munge (apt-get)..."
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null; } \
    || fail "apt-get install slurm-wlm munge failed."
fi
echo "slurm: $(slurmctld -V), munge: $(munged -V 2>&1 | head -1)"

tmp="$(mktemp -d /tmp/heavytail-slurm-selftest.XXXXXX)"
chmod 755 "$tmp"
pids=()
cleanup() {
  local status=$?
  set +e
  if [ -f "$tmp/slurm.conf" ]; then SLURM_CONF="$tmp/slurm.conf" scontrol shutdown >/dev/null 2>&1; fi
  # the daemons this script started, by the pid files they wrote (scontrol shutdown usually stopped them already)
  for f in slurmd.pid slurmctld.pid munged.pid; do
    pid=$(cat "$tmp/$f" 2>/dev/null) || continue   # a daemon removes its pid file as it stops
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill "$pid"
  done
  if [ $keep -eq 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap 'rc=$?; dump_logs; echo "FAIL: line $LINENO: a command failed (exit $rc)"' ERR

# munge: its own key, socket and files under $tmp (root runs munged, hence --force)
mkdir -p "$tmp/munge" "$tmp/state" "$tmp/spool"
dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 status=none
chmod 755 "$tmp/munge"; chmod 400 "$tmp/munge/munge.key"
socket="$tmp/munge/munge.socket"
munged --force --key-file="$tmp/munge/munge.key" --socket="$socket" --pid-file="$tmp/munged.pid" \
  --log-file="$tmp/munged.log" --seed-file="$tmp/munge/munged.seed" || fail "munged did not start (see $tmp/munged.log)."
for _ in $(seq 50); do [ -S "$socket" ] && break; sleep 0.1; done
munge -S "$socket" -n | unmunge -S "$socket" >/dev/null || fail "munge cannot encode and decode a credential."

# slurm.conf: this host as controller and only node, with its real CPUs and memory (slurmd -C); no cgroups, no accounting
host="$(hostname -s)"
node="$(slurmd -C | head -1)"
[[ "$node" == NodeName=* ]] || fail "slurmd -C did not describe this node: $node"
node="${node%%UpTime=*}"
cpus="$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$node")"
mem_mb="$(sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p' <<<"$node")"
port=$((20000 + RANDOM % 20000))
cat > "$tmp/slurm.conf" <<EOF
ClusterName=heavytail-selftest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
MailProg=/bin/true
MinJobAge=3600
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=selftest Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$tmp/slurm.conf"
slurmctld -f "$SLURM_CONF" || fail "slurmctld did not start."
slurmd -f "$SLURM_CONF" || fail "slurmd did not start."
for _ in $(seq 100); do
  state="$(sinfo -h -n "$host" -o %t 2>/dev/null || true)"
  [ "$state" = idle ] && break; sleep 0.2
done
[ "$state" = idle ] || fail "node $host is '${state:-unknown}', not idle."
echo "cluster up: node $host, $cpus CPUs, $mem_mb MB, partition selftest ($((SECONDS - start)) s)"

# the SLURM flow: 1 CPU and 1 GB per task, so tasks run side by side
t0=$SECONDS
submitted="$("$root/scripts/slurm-grid.sh" "${grid_opts[@]}" --shards $shards --refine-shards $refine_shards \
  --cpus 1 --mem 1G --time 00:15:00 --out "$tmp/out" -- "${extra[@]}")" || fail "scripts/slurm-grid.sh did not submit."
echo "$submitted"
jobs_line="$(tail -1 <<<"$submitted")"
coarse="$(sed -n 's/.*coarse=\([0-9]*\).*/\1/p' <<<"$jobs_line")"
refine="$(sed -n 's/.*refine=\([0-9]*\).*/\1/p' <<<"$jobs_line")"
merge="$(sed -n 's/.*merge=\([0-9]*\).*/\1/p' <<<"$jobs_line")"
[ -n "$coarse" ] && [ -n "$refine" ] && [ -n "$merge" ] || fail "no job ids in: $jobs_line"
deadline=$((SECONDS + timeout_s))
while [ -n "$(squeue -h -j "$coarse,$refine,$merge" -o %i 2>/dev/null)" ]; do
  [ $SECONDS -lt $deadline ] || { scancel "$coarse" "$refine" "$merge"; fail "the jobs did not finish within $timeout_s s."; }
  sleep 1
done
slurm_wall=$((SECONDS - t0))
for id in "$coarse" "$refine" "$merge"; do
  scontrol -o show job "$id" | while read -r line; do
    printf '  %-30s %-10s %s %s %s\n' "$(grep -o 'JobName=[^ ]*' <<<"$line" | cut -d= -f2)$(grep -o ' ArrayTaskId=[^ ]*' <<<"$line" | sed 's/ ArrayTaskId=/[/;s/$/]/')" \
      "$(grep -o 'JobState=[^ ]*' <<<"$line" | cut -d= -f2)" "$(grep -o 'RunTime=[^ ]*' <<<"$line")" "$(grep -o ' ExitCode=[^ ]*' <<<"$line")" "$(grep -o ' NodeList=[^ ]*' <<<"$line")"
  done
  bad="$(scontrol -o show job "$id" | grep -v 'JobState=COMPLETED' || true)"
  [ -z "$bad" ] || fail "job $id ($(grep -o 'JobName=[^ ]*' <<<"$bad" | head -1 | cut -d= -f2)) did not complete: $(grep -o 'JobState=[^ ]* Reason=[^ ]*' <<<"$bad" | sort | uniq -c | xargs)."
done
echo "SLURM flow: $slurm_wall s from submission to the merge's end"

# the reference: the same grid, unsharded, in one process on this host
t0=$SECONDS
dotnet "$root/src/Experiments/bin/Release/net10.0/heavytail.dll" --quiet grid "${grid_opts[@]}" "${extra[@]}" --out "$tmp/whole" \
  || fail "the unsharded grid failed."
echo "unsharded grid: $((SECONDS - t0)) s"

status=0
for f in best.json grid.csv; do
  if cmp -s "$tmp/whole/$f" "$tmp/out/$f"; then echo "  $f: identical ($(wc -c < "$tmp/out/$f") bytes)"
  else echo "  $f differs:"; diff "$tmp/whole/$f" "$tmp/out/$f" | head -20 || true; status=1; fi
done
points=$(($(wc -l < "$tmp/out/grid.csv") - 1))
echo "  selected: $(grep -o '"selected_lr": [^,]*' "$tmp/out/best.json"), $points step sizes evaluated"
[ $status -eq 0 ] || fail "the SLURM flow's result differs from the unsharded grid's."
echo "PASS: coarse array ($shards tasks) → refine array ($refine_shards tasks) → merge on SLURM equals the unsharded grid ($((SECONDS - start)) s in all)"
