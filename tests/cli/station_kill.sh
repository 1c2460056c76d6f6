# SIGKILL of the station at many different points of a 4-port run (at least
# 50 kills: between exchanges, mid-frame, while a device makes its key,
# between a record's fdatasync and its "done", during startup), restarting it
# each time with the same arguments; then the run is finished and sealed.
# The batch must hold exactly the records the devices were told are done,
# each once, and verify.
. "$(dirname "$0")/../lib.sh"
KILLS=${STATION_KILLS:-60}
PORTS=4
PER=60
N=$((PORTS * PER))
factory "$N"
# each provision takes the device 40 ms and each confirmation 20 ms, so the
# run spans all the kills and many land between a record's fdatasync and its
# device's confirmation
for p in $(seq 0 $((PORTS - 1))); do
	sim_start "k$p" --policy "$F/policy.cbor" --serial $((1000 + p * 100)) --count "$PER" \
		--stall 40 --stall-done 20 --linger 600000 || notok "simulator $p starts"
	SIMS="$SIMS $SIM_PID"
done
ARGS=(station collect --order "$F/order.cbor" --journal "$T/j" --policy "$F/policy.cbor"
	--timeout 2000 --wait-confirm 3)
for p in $(seq 0 $((PORTS - 1))); do ARGS+=(--port "$T/k$p.port"); done

killed=0 grew=0 finished=0 prev=0 window=0 unconf=0
while [ "$killed" -lt "$KILLS" ]; do
	"$CONSIGN" "${ARGS[@]}" --quiet >>"$T/runs.out" 2>>"$T/runs.err" &
	ST=$!
	# 5..124 ms: startup, mid-exchange, around the journal's fdatasync; then the
	# test's own slowness (recls, fork) adds to the time between kills
	sleep "0.$(printf '%03d' $((5 + RANDOM % 120)))"
	if kill -9 "$ST" 2>/dev/null; then
		wait "$ST" 2>/dev/null
		killed=$((killed + 1))
	else
		wait "$ST"
		finished=1
		ST=""
		break
	fi
	ST=""
	now=$("$TOOLS/recls" journal "$T/j" "$F/order.cbor" 2>/dev/null | wc -l)
	[ "$now" -gt "$prev" ] && grew=$((grew + 1))
	prev=$now
	u=$("$TOOLS/recls" unconfirmed "$T/j" "$F/order.cbor")
	[ "$u" -gt "$unconf" ] && window=$((window + 1))
	unconf=$u
done
echo "# $killed kills; the journal grew during $grew of them; $window left a new journaled record" \
	"its device had not confirmed ($unconf now); $prev of $N journaled before the last run"
check "the station was killed at least 50 times before it finished ($killed)" [ "$killed" -ge 50 ]
check "records were journaled between kills in many runs ($grew)" [ "$grew" -ge 10 ]
check "kills landed between a record's fdatasync and its device's confirmation ($window)" \
	[ "$window" -ge 3 ]
check "no restart found a damaged journal" [ "$(grep -c 'journal-corrupt' "$T/runs.err")" -eq 0 ]

# the last run finishes the order
run timeout 120 "$CONSIGN" "${ARGS[@]}"
check "the last run finishes the order (exit 0)" [ "$RC" -eq 0 ]
check "it ends with all $N journaled" has "$T/out" "$N of $N journaled"
sim_wait "$N" "$T"/k*.log
sim_stop $SIMS
SIMS=""
checkx "every device was told it is done exactly once" \
	'[ "$(cat "$T"/k*.log | grep -c "^done ")" -eq "$N" ] &&
	 [ "$(cat "$T"/k*.log | awk "\$1 == \"done\" {print \$2}" | sort | uniq -d | wc -l)" -eq 0 ]'
check "no device was refused" [ "$(cat "$T"/k*.log | grep -vc '^done ')" -eq 0 ]
expect 0 "seal" "$CONSIGN" station seal --key "$F/station.key" --passphrase-file "$F/station.pass" \
	--order "$F/order.cbor" --journal "$T/j" -o "$T/batch.zip"
run "$CONSIGN" verify --policy "$F/policy.cbor" "$T/batch.zip"
check "the batch verifies (consign verify --policy)" [ "$RC" -eq 0 ]
batch_records "$T/batch.zip" >"$T/records"
awk '{print $2}' "$T/records" | sort >"$T/inbatch"
cat "$T"/k*.log | awk '$1 == "done" {print $3}' | sort >"$T/acked"
check "the batch holds exactly the acknowledged records" cmp -s "$T/inbatch" "$T/acked"
checkx "each record once" '[ "$(sort "$T/inbatch" | uniq -d | wc -l)" -eq 0 ] &&
	[ "$(wc -l <"$T/records")" -eq "$N" ]'
check "no serial twice" [ "$(awk '{print $1}' "$T/records" | sort | uniq -d | wc -l)" -eq 0 ]
