# The devices' own checks, end to end over the wire: a device given an order
# with too few custodian signatures, signed by unknown keys, from another
# deployment, made under a policy it cannot reach, or while its debug access
# is open, its random source stuck or its serial outside the order, refuses
# and makes no key (nothing in its secure storage); the station reports the
# device's reason and carries on. A device whose firmware anchor is older than
# the order's policy follows the rotation chain the station supplies.
. "$(dirname "$0")/../lib.sh"
factory 10
keys "$F" dave erin || notok "keys"

# collect_until N ORDER LOGS -- STATION-OPTIONS...: a station run on the lines
# given, stopped (SIGTERM) once the logs hold N lines in all (a device the
# station confirms logs one line; one that refuses logs its refusal and then
# the station's).
collect_until() {
	local n=$1 order=$2 logs=()
	shift 2
	while [ "$1" != -- ]; do
		logs+=("$1")
		shift
	done
	shift
	"$CONSIGN" station collect --order "$order" --journal "$T/j.$RANDOM$RANDOM" "$@" \
		>"$T/st.out" 2>"$T/st.err" &
	ST=$!
	sim_wait "$n" "${logs[@]}" || notok "devices answered in time"
	kill -TERM "$ST"
	wait "$ST"
	ST=""
}

# no_key NAME SERIAL: that device's secure storage is empty
no_key() { [ ! -e "$T/$1.store/$2.store" ]; }

# device_refused NAME SERIAL REASON DESC
device_refused() {
	check "$4: the device refuses ($3)" grep -q "^device-refused $2 $3\$" "$T/$1.log"
	check "$4: no key was made" no_key "$1" "$2"
	check "$4: the station reports the device's reason" \
		grep -q "serial $2 refused: refused by the device: .*($3)\$" "$T/st.err"
}

# an order with one custodian signature of the two the policy needs
"$CONSIGN" order create --policy "$F/policy.cbor" --batch B51 --product P --serials 1000-1999 \
	--quantity 5 --station "$F/station.pub" -o "$T/one.cbor" >/dev/null
sign_as "$F" "$T/one.cbor" alice --policy "$F/policy.cbor"
sim_start one --policy "$F/policy.cbor" --serial 1000 --count 2
SIMS="$SIMS $SIM_PID"
collect_until 4 "$T/one.cbor" "$T/one.log" -- --port "$T/one.port"
device_refused one 1000 order-threshold "an order with one signature of two"
check "the line carries on: the next device is asked too (and refuses too)" \
	grep -q "^device-refused 1001 order-threshold$" "$T/one.log"

# an order signed by two keys that are not custodians
"$CONSIGN" order create --policy "$F/policy.cbor" --batch B52 --product P --serials 1000-1999 \
	--quantity 5 --station "$F/station.pub" -o "$T/unknown.cbor" >/dev/null
# (consign sign refuses a key outside the policy: signed as an attacker would)
"$TOOLS/relsig" "$F/dave.key" "$F/dave.pass" "$T/unknown.cbor" "$T/unknown.cbor" &&
	"$TOOLS/relsig" "$F/erin.key" "$F/erin.pass" "$T/unknown.cbor" "$T/unknown.cbor" ||
	notok "outsiders' signatures added"
check "the order carries the two outsiders' signatures" \
	[ "$("$CONSIGN" inspect --json "$T/unknown.cbor" | jq '.signatures | length')" -eq 2 ]
sim_start unknown --policy "$F/policy.cbor" --serial 1000
SIMS="$SIMS $SIM_PID"
collect_until 2 "$T/unknown.cbor" "$T/unknown.log" -- --port "$T/unknown.port"
device_refused unknown 1000 order-threshold "an order signed by unknown keys"

# an order of another deployment (its own policy, signed properly)
fixture "$T/g" 10 1000-1999 >/dev/null || notok "second fixture"
sim_start foreign --policy "$F/policy.cbor" --serial 1000
SIMS="$SIMS $SIM_PID"
collect_until 2 "$T/g/order.cbor" "$T/foreign.log" -- --port "$T/foreign.port"
device_refused foreign 1000 order-deployment "an order from another deployment"

# the device's own state, on lines of the proper order; a good device alongside
sim_start debug --policy "$F/policy.cbor" --serial 1100 --debug-unlocked
SIMS="$SIMS $SIM_PID"
sim_start rng --policy "$F/policy.cbor" --serial 1200 --rng-stuck
SIMS="$SIMS $SIM_PID"
sim_start outside --policy "$F/policy.cbor" --serial 2000
SIMS="$SIMS $SIM_PID"
sim_start good --policy "$F/policy.cbor" --serial 1300
SIMS="$SIMS $SIM_PID"
collect_until 7 "$F/order.cbor" "$T/debug.log" "$T/rng.log" "$T/outside.log" "$T/good.log" -- \
	--port "$T/debug.port" --port "$T/rng.port" --port "$T/outside.port" --port "$T/good.port" \
	--policy "$F/policy.cbor"
device_refused debug 1100 device-debug-unlocked "debug access open"
device_refused rng 1200 device-rng-health "a stuck random source"
device_refused outside 2000 device-serial-range "a serial outside the order"
check "the good device on the same station is done" grep -q "^done 1300 " "$T/good.log"

# rotation: policy v2 (custodians carol, dave, erin), signed by 2 of v1 and 2 of v2
"$CONSIGN" policy create --threshold 2 --custodian "$F/carol.pub" --custodian "$F/dave.pub" \
	--custodian "$F/erin.pub" --office "$F/office.pub" --previous "$F/policy.cbor" \
	-o "$T/v2.cbor" >/dev/null
for k in alice bob dave erin; do sign_as "$F" "$T/v2.cbor" "$k" --policy "$F/policy.cbor" 2>/dev/null; done
expect 0 "policy v2 verifies as a rotation of v1" "$CONSIGN" verify --policy "$F/policy.cbor" "$T/v2.cbor"
"$CONSIGN" order create --policy "$T/v2.cbor" --batch B60 --product P --serials 1000-1999 \
	--quantity 3 --station "$F/station.pub" -o "$T/o2.cbor" >/dev/null
sign_as "$F" "$T/o2.cbor" dave --policy "$T/v2.cbor"
sign_as "$F" "$T/o2.cbor" erin --policy "$T/v2.cbor"
sim_start rot --policy "$F/policy.cbor" --serial 1400 --count 2
SIMS="$SIMS $SIM_PID"
collect_until 2 "$T/o2.cbor" "$T/rot.log" -- --port "$T/rot.port" --policy "$F/policy.cbor" \
	--policy "$T/v2.cbor"
check "a v1 device takes an order under v2 with the chain v1 -> v2" \
	[ "$(grep -c '^done 14' "$T/rot.log")" -eq 2 ]
sim_start rot2 --policy "$F/policy.cbor" --serial 1500
SIMS="$SIMS $SIM_PID"
collect_until 1 "$T/o2.cbor" "$T/rot2.log" -- --port "$T/rot2.port" --policy "$T/v2.cbor"
check "given only v2, the station still hands the v1 device its one-step chain" \
	grep -q '^done 1500 ' "$T/rot2.log"
sim_start rot3 --policy "$F/policy.cbor" --serial 1600
SIMS="$SIMS $SIM_PID"
collect_until 2 "$T/o2.cbor" "$T/rot3.log" -- --port "$T/rot3.port"
device_refused rot3 1600 order-policy "an order under v2 and no chain for a v1 device"
sim_start v2dev --policy "$T/v2.cbor" --serial 1700
SIMS="$SIMS $SIM_PID"
collect_until 2 "$F/order.cbor" "$T/v2dev.log" -- --port "$T/v2dev.port"
device_refused v2dev 1700 order-policy "a v2 device given an order under the older v1"
# a v1-anchored device whose station has a v3 but not v2: the station says what is missing
"$CONSIGN" policy create --threshold 2 --custodian "$F/carol.pub" --custodian "$F/dave.pub" \
	--custodian "$F/erin.pub" --office "$F/office.pub" --previous "$T/v2.cbor" \
	-o "$T/v3.cbor" >/dev/null
for k in dave erin; do sign_as "$F" "$T/v3.cbor" "$k" --policy "$T/v2.cbor" 2>/dev/null; done
"$CONSIGN" order create --policy "$T/v3.cbor" --batch B61 --product P --serials 1000-1999 \
	--quantity 3 --station "$F/station.pub" -o "$T/o3.cbor" >/dev/null
sign_as "$F" "$T/o3.cbor" dave --policy "$T/v3.cbor"
sign_as "$F" "$T/o3.cbor" erin --policy "$T/v3.cbor"
sim_start gap --policy "$F/policy.cbor" --serial 1800
SIMS="$SIMS $SIM_PID"
collect_until 1 "$T/o3.cbor" "$T/gap.log" -- --port "$T/gap.port" --policy "$T/v3.cbor"
check "a chain the station cannot supply is refused before the device sees the order (station-chain)" \
	grep -q "serial 1800 refused: .*(station-chain)$" "$T/st.err"
check "and the device makes no key" no_key gap 1800
