# A torn last write in the journal (a power cut while appending) is found and
# discarded when the station starts again, with a warning; the device whose
# record it was still holds it and is journaled again, byte for byte the
# same. Damage in the middle of the journal is not a torn write: collect and
# seal refuse it and leave the file alone.
. "$(dirname "$0")/../lib.sh"
factory 5
COLLECT=(station collect --order "$F/order.cbor" --journal "$T/j" --port "$T/a.port" --wait-confirm 1)
# for the runs with no device to see: the port must be there all the same
IDLE=(station collect --order "$F/order.cbor" --journal "$T/j" --port "$T/idle.port" --wait-confirm 1)
sim_start a --policy "$F/policy.cbor" --serial 1000 --count 5
SIMS="$SIMS $SIM_PID"
expect 0 "five devices collected" timeout 60 "$CONSIGN" "${COLLECT[@]}"
sim_wait 5 "$T/a.log"
sim_stop $SIMS
SIMS=""
cp "$T/j/journal" "$T/journal.full"
sim_start idle --policy "$F/policy.cbor" --serial 5000 --count 1 --linger 600000 ||
	notok "an idle line starts"
BG=$SIM_PID # the idle line, stopped at exit
"$TOOLS/recls" journal "$T/j" "$F/order.cbor" >"$T/before"

# a half-written entry after the last one (never acknowledged: no fdatasync)
head -c 150 "$T/journal.full" | tail -c 100 >>"$T/j/journal"
run timeout 30 "$CONSIGN" "${IDLE[@]}"
check "collect starts again after a torn write (exit 0, nothing left to do)" [ "$RC" -eq 0 ]
check "and warns that it discarded a torn last write" grep -q "discarded a torn last write of 100 bytes" "$T/err"
check "the journal is as before the torn write" cmp -s "$T/j/journal" "$T/journal.full"

# the last record itself torn: its device still holds it and answers with it again
size=$(stat -c %s "$T/journal.full")
last=$(tail -1 "$T/before" | awk '{print $1}')
# cut inside the last record entry (the journal ends with the record and a
# 13-byte confirmation: cut 40 bytes before the confirmation)
truncate -s $((size - 13 - 40)) "$T/j/journal"
sim_start a --policy "$F/policy.cbor" --serial "$last" --count 1
SIMS="$SIMS $SIM_PID"
run timeout 60 "$CONSIGN" "${COLLECT[@]}"
check "collect resumes after a torn last record and finishes (exit 0)" [ "$RC" -eq 0 ]
check "it warned of the torn write" grep -q "discarded a torn last write" "$T/err"
check "the device answered with its stored record and was told it is done" \
	[ "$(grep -c "^done $last " "$T/a.log")" -eq 2 ]
"$TOOLS/recls" journal "$T/j" "$F/order.cbor" >"$T/after"
check "the journal holds the same five records, the last one journaled again" cmp -s "$T/before" "$T/after"
sim_stop $SIMS
SIMS=""
expect 0 "seal" "$CONSIGN" station seal --key "$F/station.key" --passphrase-file "$F/station.pass" \
	--order "$F/order.cbor" --journal "$T/j" -o "$T/batch.zip"
expect 0 "the batch verifies" "$CONSIGN" verify --policy "$F/policy.cbor" "$T/batch.zip"

# damage in the middle: refused by collect and seal, the file left alone
cp "$T/j/journal" "$T/journal.good"
printf '\377' | dd of="$T/j/journal" bs=1 seek=100 conv=notrunc 2>/dev/null
cp "$T/j/journal" "$T/journal.bad"
expect_reason 3 journal-corrupt "collect refuses a journal damaged in the middle" \
	timeout 10 "$CONSIGN" "${IDLE[@]}"
expect_reason 3 journal-corrupt "seal refuses it too" "$CONSIGN" station seal --key "$F/station.key" \
	--passphrase-file "$F/station.pass" --order "$F/order.cbor" --journal "$T/j" -o "$T/b2.zip"
check "the damaged journal is left as it was" cmp -s "$T/j/journal" "$T/journal.bad"
check "and no batch is written" [ ! -e "$T/b2.zip" ]
