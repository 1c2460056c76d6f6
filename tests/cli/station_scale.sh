# The issue's line: 1,000 simulated devices provisioned over pseudo-terminals
# on 4 ports at once, sealed, and the batch verifies; every device was told it
# is done exactly once and the batch holds exactly those records. Prints the
# rate and the station's own CPU time per device (the overhead beyond the
# devices' key generation and the serial I/O), which must stay below 1 ms.
. "$(dirname "$0")/../lib.sh"
N=${STATION_SCALE_DEVICES:-1000}
PORTS=4
factory "$N" 100000-199999
per=$((N / PORTS))
for p in $(seq 0 $((PORTS - 1))); do
	count=$per
	[ "$p" -eq $((PORTS - 1)) ] && count=$((N - per * (PORTS - 1)))
	sim_start "s$p" --policy "$F/policy.cbor" --serial $((100000 + p * 10000)) --count "$count" \
		--linger 3000 || notok "simulator $p starts"
	SIMS="$SIMS $SIM_PID"
done
ports=""
for p in $(seq 0 $((PORTS - 1))); do ports="$ports --port $T/s$p.port"; done
start=$(date +%s.%N)
# shellcheck disable=SC2086
/usr/bin/time -f "%U %S" -o "$T/cpu" timeout 150 "$CONSIGN" station collect --order "$F/order.cbor" \
	$ports --journal "$T/j" --policy "$F/policy.cbor" >"$T/out" 2>"$T/err"
RC=$?
end=$(date +%s.%N)
check "collect provisions $N devices on $PORTS ports and exits 0" [ "$RC" -eq 0 ]
check "no device was refused" [ "$(grep -c refused "$T/err")" -eq 0 ]
check "$N log lines, one per device" [ "$(grep -c ' done (' "$T/out")" -eq "$N" ]
for p in $(seq 0 $((PORTS - 1))); do
	check "port $p served its devices" [ "$(grep -c "s$p.port: serial" "$T/out")" -ge $((per - 1)) ]
done
read -r u s <"$T/cpu"
per_dev_ms=$(awk -v u="$u" -v s="$s" -v n="$N" 'BEGIN { printf "%.3f", (u + s) * 1000 / n }')
awk -v a="$start" -v b="$end" -v n="$N" -v p="$PORTS" -v c="$per_dev_ms" 'BEGIN {
	printf "# %d devices on %d ports in %.2f s: %.0f devices/s; station CPU %s ms per device\n",
	    n, p, b - a, n / (b - a), c }'
case "$BUILD" in
*san*) skip "station CPU per device (a sanitizer build is slower by design)" ;;
*) check "station CPU per device below 1 ms (${per_dev_ms} ms)" \
	awk -v c="$per_dev_ms" 'BEGIN { exit !(c < 1) }' ;;
esac

sim_wait "$N" "$T"/s*.log
check "every device was told it is done, once" [ "$(cat "$T"/s*.log | grep -c '^done ')" -eq "$N" ]
expect 0 "seal" "$CONSIGN" station seal --key "$F/station.key" --passphrase-file "$F/station.pass" \
	--order "$F/order.cbor" --journal "$T/j" -o "$T/batch.zip"
run "$CONSIGN" verify --policy "$F/policy.cbor" "$T/batch.zip"
check "consign verify --policy accepts the batch" [ "$RC" -eq 0 ]
check "consign verify passes all $N records" has "$T/out" "$N of $N records pass"
batch_records "$T/batch.zip" >"$T/records"
awk '{print $2}' "$T/records" | sort >"$T/inbatch"
cat "$T"/s*.log | awk '$1 == "done" {print $3}' | sort >"$T/acked"
check "the batch holds exactly the $N acknowledged records" cmp -s "$T/inbatch" "$T/acked"
check "no serial twice" [ "$(awk '{print $1}' "$T/records" | sort | uniq -d | wc -l)" -eq 0 ]
check "no device key twice" [ "$(awk '{print $3}' "$T/records" | sort | uniq -d | wc -l)" -eq 0 ]
check "every device kept the key it reported (storage holds the record)" \
	[ "$(ls "$T"/s*.store/*.store | wc -l)" -eq "$N" ]
