# Misbehaving devices on a line of good ones: each is refused by the station
# with a clear one-line reason and the line carries on with the next device;
# transient noise, a lost byte, a damaged frame or a slow device are
# recovered from; a device that dies halfway through its answer comes back
# with the same key. The batch holds exactly the records devices were told
# are done, and verifies.
. "$(dirname "$0")/../lib.sh"
factory 100
P=(--policy "$F/policy.cbor" --count 3 --faulty 2)

# line name, first serial, faults of its second device
lines=(
	"nonce 1010 --wrong-nonce"
	"range 1020 --record-serial 5000"
	"forged 1030 --forge-signature"
	"corrupt 1040 --corrupt 1000"
	"dupkey 1050 --dup-key-of $T/dupkey.store/1050.store"
	"replay 1060 --replay"
	"other 1070 --record-serial 1077"
	"session 1080 --wrong-session"
	"noise 1090 --noise 40 --corrupt 1"
	"drop 1100 --drop 1"
	"slow 1110 --stall 300"
	"die 1120 --die-mid-reply"
	"hwid 1130 --count 2 --hwid 0102030405"
)
ARGS=(station collect --order "$F/order.cbor" --journal "$T/j" --policy "$F/policy.cbor"
	--timeout 600 --retries 2)
for l in "${lines[@]}"; do
	# shellcheck disable=SC2086
	set -- $l
	name=$1 first=$2
	shift 2
	sim_start "$name" "${P[@]}" --serial "$first" "$@" || notok "simulator $name starts"
	SIMS="$SIMS $SIM_PID"
	[ "$name" = die ] && DIE_PID=$SIM_PID
	ARGS+=(--port "$T/$name.port")
done
"$CONSIGN" "${ARGS[@]}" >"$T/st.out" 2>"$T/st.err" &
ST=$!

# the simulator that died comes back (the same devices, the same storage)
for i in $(seq 1 1000); do kill -0 "$DIE_PID" 2>/dev/null || break; sleep 0.01; done
wait "$DIE_PID" 2>/dev/null
check "the simulator died halfway through its answer (after its first device)" \
	[ "$(cat "$T/die.log")" = "$(grep '^done 1120 ' "$T/die.log")" ]
sum1=$(cksum <"$T/die.store/1121.store" 2>/dev/null)
check "the dead device had stored its key before it answered" [ -n "$sum1" ]
sim_start die --policy "$F/policy.cbor" --serial 1121 --count 2 || notok "simulator die restarts"
SIMS="$SIMS $SIM_PID"

# every line sees its three devices through (done, or refused by the station)
sim_wait 38 "$T"/*.log
# 8 lines x 2 + 3 lines x 3 + the dying line's 3 + the hwid line's first are done
for i in $(seq 1 300); do [ "$(grep -c 'done (' "$T/st.out")" -ge 29 ] && break; sleep 0.01; done
kill -TERM "$ST"
wait "$ST"
RC=$?
ST=""
check "collect stopped short of its quantity exits 1" [ "$RC" -eq 1 ]

refused() { # SERIAL REASON DESC
	check "$3: serial $1 refused with $2" grep -q "serial $1 refused: .*($2)\$" "$T/st.err"
}
refused 1011 record-nonce "a record with another batch nonce"
refused 1021 record-serial-range "a record for a serial outside the order"
refused 1031 record-signature "a record with a forged signature"
check "a device answering only damaged frames is refused (wire-frame)" \
	grep -q "corrupt.port: refused: only damaged frames.*(wire-frame)$" "$T/st.err"
refused 1051 record-duplicate-key "a device reusing another device's key"
refused 1061 record-duplicate-serial "a device replaying the record of the one before"
refused 1071 device-serial-mismatch "a device answering with another serial than its own"
refused 1081 device-timeout "a device answering under the wrong session"
refused 1131 record-duplicate-hwid "a device with the hardware id of the one before"
check "the device with a repeated hardware id made no key" [ ! -e "$T/hwid.store/1131.store" ]
check "every refusal is one line 'consign: PORT: serial N refused: ... (reason)'" \
	[ "$(grep -c 'refused:' "$T/st.err")" -eq "$(grep -c '^consign: .*port: .*refused: .*([a-z-]*)$' "$T/st.err")" ]
for l in nonce range forged corrupt dupkey replay other session; do
	check "the $l line carries on: its first and third devices are done" \
		[ "$(grep -c '^done ' "$T/$l.log")" -eq 2 ]
	check "the $l line's faulty device was told it is refused" [ "$(grep -c '^refused ' "$T/$l.log")" -eq 1 ]
done
for l in noise drop slow; do
	check "the $l line recovers: all three devices done" [ "$(grep -c '^done ' "$T/$l.log")" -eq 3 ]
done
check "no device of the recovering lines was refused" \
	[ "$(grep -c 'serial 1\(09\|10\|11\)[0-9] refused' "$T/st.err")" -eq 0 ]
check "the device that died halfway is done after it came back" grep -q '^done 1121 ' "$T/die.log"
check "its key was made once: its storage is unchanged since it died" \
	[ "$(cksum <"$T/die.store/1121.store")" = "$sum1" ]
check "the lost line is reported" grep -q "die.port: serial 1121 refused: the line went away.*(device-lost)" "$T/st.err"

expect 0 "seal" "$CONSIGN" station seal --key "$F/station.key" --passphrase-file "$F/station.pass" \
	--order "$F/order.cbor" --journal "$T/j" -o "$T/batch.zip"
run "$CONSIGN" verify --policy "$F/policy.cbor" "$T/batch.zip"
check "the batch verifies" [ "$RC" -eq 0 ]
check "verify passes all 29 records" has "$T/out" "29 of 29 records pass"
batch_records "$T/batch.zip" | awk '{print $2}' | sort >"$T/inbatch"
cat "$T"/*.log | awk '$1 == "done" {print $3}' | sort >"$T/acked"
check "the batch holds exactly the 29 acknowledged records" cmp -s "$T/inbatch" "$T/acked"
check "29 of them" [ "$(wc -l <"$T/inbatch")" -eq 29 ]
