# consign station collect and seal on one line: the devices, the journal,
# the batch zip and what consign verify says of it; resuming a finished
# journal; what the operator sees (log lines, the progress line on a
# terminal, --quiet); and the usage and refusal paths.
. "$(dirname "$0")/../lib.sh"
factory 5

sim_start a --policy "$F/policy.cbor" --serial 1000 --count 5 || notok "simulator starts"
SIMS="$SIMS $SIM_PID"
run timeout 60 "$CONSIGN" station collect --order "$F/order.cbor" --port "$T/a.port" \
	--journal "$T/j" --policy "$F/policy.cbor"
check "collect exits 0 at the order's quantity" [ "$RC" -eq 0 ]
check "a log line per device when not on a terminal" [ "$(grep -c 'done (' "$T/out")" -eq 5 ]
check "the log line names the port, the serial and the count" has "$T/out" "a.port: serial 1004 done (5 of 5)"
check "the summary line says 5 of 5" has "$T/out" "5 of 5 journaled"
sim_wait 5 "$T/a.log"
check "every device was told it is done" [ "$(grep -c '^done ' "$T/a.log")" -eq 5 ]
check "the journal holds the five records" [ "$("$TOOLS/recls" journal "$T/j" "$F/order.cbor" | wc -l)" -eq 5 ]
check "the journal file is private (0600)" [ "$(stat -c %a "$T/j/journal")" = 600 ]

expect 0 "seal writes the batch" "$CONSIGN" station seal --key "$F/station.key" \
	--passphrase-file "$F/station.pass" --order "$F/order.cbor" --journal "$T/j" -o "$T/b.zip"
check "seal says it read the batch back" has "$T/out" "read back and checked"
check "the zip has exactly header.cose, order.cose, records.cborseq in order" \
	[ "$(unzip -Z1 "$T/b.zip" | tr '\n' ' ')" = "header.cose order.cose records.cborseq " ]
check "order.cose is the order byte for byte" cmp -s <(unzip -p "$T/b.zip" order.cose) "$F/order.cbor"
expect 0 "the batch verifies (consign verify --policy)" "$CONSIGN" verify --policy "$F/policy.cbor" "$T/b.zip"
check "verify accepts all five records" has "$T/out" "5 of 5 records pass"
batch_records "$T/b.zip" | awk '{print $2}' | sort >"$T/inbatch"
grep '^done ' "$T/a.log" | awk '{print $3}' | sort >"$T/acked"
check "the batch holds exactly the records the devices were told are done" cmp -s "$T/inbatch" "$T/acked"
check "no temporary files are left beside the batch or the journal" \
	[ "$(ls -A "$T/j" | tr '\n' ' ')" = "journal " ]

# a line whose one device is outside the order's range (it refuses, and
# makes no record): a port that is there for the runs below
sim_start idle --policy "$F/policy.cbor" --serial 5000 --count 1 --linger 600000 ||
	notok "simulator idle starts"
SIMS="$SIMS $SIM_PID"

# resuming a finished journal: nothing to do, exit 0 at once
run timeout 10 "$CONSIGN" station collect --order "$F/order.cbor" --port "$T/idle.port" \
	--journal "$T/j" --quiet
check "collect on a complete journal exits 0 at once" [ "$RC" -eq 0 ]
check "--quiet prints nothing on stdout" [ ! -s "$T/out" ]

# refusals and usage
expect_reason 1 station-not-allowed "seal with a key the order does not allow" \
	"$CONSIGN" station seal --key "$F/office.key" --passphrase-file "$F/office.pass" \
	--order "$F/order.cbor" --journal "$T/j" -o "$T/b2.zip"
check "nothing is written when the station key is refused" [ ! -e "$T/b2.zip" ]
fixture "$T/g" 5 1000-1999 >/dev/null || notok "second fixture"
expect_reason 1 journal-order "collect refuses another order's journal" \
	"$CONSIGN" station collect --order "$T/g/order.cbor" --port "$T/idle.port" --journal "$T/j"
expect_reason 1 journal-order "seal refuses another order's journal" \
	"$CONSIGN" station seal --key "$T/g/station.key" --passphrase-file "$T/g/station.pass" \
	--order "$T/g/order.cbor" --journal "$T/j" -o "$T/b3.zip"
expect_reason 3 "no journal" "seal of a directory without a journal is an I/O error" \
	"$CONSIGN" station seal --key "$F/station.key" --passphrase-file "$F/station.pass" \
	--order "$F/order.cbor" --journal "$T/j0" -o "$T/b4.zip"
"$CONSIGN" station collect --order "$F/order.cbor" --port "$T/idle.port" --journal "$T/j0" \
	--quiet >/dev/null 2>&1 &
ST=$!
for i in $(seq 1 200); do [ -s "$T/j0/journal" ] && break; sleep 0.01; done
kill -TERM "$ST"
wait "$ST"
expect_reason 2 "nothing to seal" "seal refuses a journal with no records" \
	"$CONSIGN" station seal --key "$F/station.key" --passphrase-file "$F/station.pass" \
	--order "$F/order.cbor" --journal "$T/j0" -o "$T/b4.zip"
check "no file is left by a refused seal" [ ! -e "$T/b4.zip" ]
expect 2 "collect without --port is a usage error" "$CONSIGN" station collect --order "$F/order.cbor" --journal "$T/j"
expect 2 "collect with an unsupported --baud is a usage error" "$CONSIGN" station collect \
	--order "$F/order.cbor" --port "$T/a.port" --journal "$T/j" --baud 12345
expect 2 "the same port twice is a usage error" "$CONSIGN" station collect \
	--order "$F/order.cbor" --port "$T/a.port" --port "$T/a.port" --journal "$T/j"
expect 2 "station without a subcommand is a usage error" "$CONSIGN" station
expect_reason 2 "none of the --policy" "collect refuses policies that are not the order's" \
	"$CONSIGN" station collect --order "$F/order.cbor" --port "$T/a.port" --journal "$T/j" \
	--policy "$T/g/policy.cbor"
# an order with one signature of the two its policy needs is refused before any device sees it
cp "$F/order.cbor" "$T/o1.cbor"
"$CONSIGN" order create --policy "$F/policy.cbor" --batch B43 --product "Sensor v2" \
	--serials 1000-1999 --quantity 5 --station "$F/station.pub" -o "$T/o1.cbor.new" >/dev/null
sign_as "$F" "$T/o1.cbor.new" alice --policy "$F/policy.cbor"
expect_reason 1 order-threshold "collect with --policy refuses an order short of signatures" \
	"$CONSIGN" station collect --order "$T/o1.cbor.new" --port "$T/a.port" --journal "$T/j1" \
	--policy "$F/policy.cbor"
check "and makes no journal for it" [ ! -e "$T/j1/journal" ]

# a second station on a journal in use is refused; seal waits for collect to end
sim_start b --policy "$F/policy.cbor" --serial 1100 --count 1 || notok "simulator b starts"
SIMS="$SIMS $SIM_PID"
fixture "$T/h" 3 1000-1999 >/dev/null
"$CONSIGN" station collect --order "$T/h/order.cbor" --port "$T/b.port" --journal "$T/jh" \
	--quiet >/dev/null 2>&1 &
ST=$!
for i in $(seq 1 200); do [ -e "$T/jh/journal" ] && break; sleep 0.01; done
sleep 0.2
expect_reason 2 journal-locked "a second collect on the same journal is refused" \
	"$CONSIGN" station collect --order "$T/h/order.cbor" --port "$T/idle.port" --journal "$T/jh"
expect_reason 2 journal-locked "seal while collect runs is refused" \
	"$CONSIGN" station seal --key "$T/h/station.key" --passphrase-file "$T/h/station.pass" \
	--order "$T/h/order.cbor" --journal "$T/jh" -o "$T/bh.zip"
kill -TERM "$ST"
wait "$ST"
check "collect stopped by SIGTERM before its quantity exits 1" [ "$?" -eq 1 ]

# what the operator sees on a terminal: the progress line
sim_start c --policy "$F/policy.cbor" --serial 1200 --count 3 || notok "simulator c starts"
SIMS="$SIMS $SIM_PID"
fixture "$T/k" 3 1200-1299 >/dev/null
sim_stop "$SIM_PID"
sim_start c --policy "$T/k/policy.cbor" --serial 1200 --count 3 || notok "simulator c restarts"
SIMS="$SIMS $SIM_PID"
COLUMNS=100 timeout 30 script -qefc "$CONSIGN station collect --order $T/k/order.cbor --port $T/c.port --journal $T/jk" \
	/dev/null >"$T/tty.out" 2>&1
check "on a terminal, collect shows 'N of Q done, rate, refused'" grep -q "3 of 3 done, .*/s, 0 refused" "$T/tty.out"
check "on a terminal, no per-device log lines" [ "$(grep -c 'serial 1200 done' "$T/tty.out")" -eq 0 ]

# the order's quantity: two lines of three devices, an order for three
fixture "$T/q" 3 1000-1999 >/dev/null
sim_start q1 --policy "$T/q/policy.cbor" --serial 1500 --count 3
SIMS="$SIMS $SIM_PID"
sim_start q2 --policy "$T/q/policy.cbor" --serial 1600 --count 3
SIMS="$SIMS $SIM_PID"
run timeout 60 "$CONSIGN" station collect --order "$T/q/order.cbor" --port "$T/q1.port" \
	--port "$T/q2.port" --journal "$T/jq"
check "collect stops at the order's quantity (exit 0)" [ "$RC" -eq 0 ]
check "exactly three records are journaled" \
	[ "$("$TOOLS/recls" journal "$T/jq" "$T/q/order.cbor" | wc -l)" -eq 3 ]
check "exactly three devices made a key (no key is wasted beyond the quantity)" \
	[ "$(ls "$T"/q1.store "$T"/q2.store | grep -c '\.store$')" -eq 3 ]
