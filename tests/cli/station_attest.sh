# Devices that carry evidence, collected over pseudo-terminals: under orders
# requiring secure-element evidence, firmware evidence or both, simulated
# secure elements and attesting firmware (consign-devsim with the TEST maker
# of tests/tools/mkattest) make records the station takes, and each
# misbehaving one (a leaf for another key, a chain to a maker the policy does
# not pin, another device's chain, a replayed or copied token, a wrong nonce,
# other firmware, a debug lifecycle) is refused by the station with its
# attest-* reason (a second device of one chip, record-duplicate-instance), shown in its output; a device without the part an order
# needs refuses before it makes a key, and one whose part gives a chain in
# another framing refuses to make a record. The nonce the agent asks its firmware
# for is the one the verifiers compute. The batches seal and verify.
# STATION_ATTEST_DEVICES=N runs N genuine secure-element devices (default 3;
# 1000 take minutes, most of them mkattest making each device's chain).
. "$(dirname "$0")/../lib.sh"
built "this build has consign station and consign-devsim" station_built
needs jq "station_attest: jq is not installed"
N=${STATION_ATTEST_DEVICES:-3}
M=$TOOLS/mkattest
S="station_attest seed"
factory 10
P=$T/pki
E=$T/ev
mkdir -p "$P" "$E"
"$M" pki "$S" "$P" || { notok "mkattest pki"; exit 1; }
"$M" reference >"$T/ref.txt"

# the custodians pin the TEST maker's root and order attested devices
AP=$F/attested-policy.cbor
built "policy create --attestation-root" "$CONSIGN" policy create --threshold 2 \
	--custodian "$F/alice.pub" --custodian "$F/bob.pub" --custodian "$F/carol.pub" \
	--office "$F/office.pub" --attestation-root "TEST maker=$P/root.der" -o "$AP"
sign_as "$F" "$AP" alice && sign_as "$F" "$AP" bob || notok "the attested policy is signed"
# attested_order NAME BATCH EVIDENCE [ORDER-OPTIONS...]: $T/NAME.cbor, signed
attested_order() {
	local name=$1 batch=$2 ev=$3
	shift 3
	"$CONSIGN" order create --policy "$AP" --batch "$batch" --product "Sensor v3" \
		--serials 1000-9999 --quantity "$((N + 20))" --station "$F/station.pub" \
		--evidence "$ev" "$@" -o "$T/$name.cbor" >/dev/null &&
		sign_as "$F" "$T/$name.cbor" alice --policy "$AP" &&
		sign_as "$F" "$T/$name.cbor" bob --policy "$AP"
}
attested_order se SE1 secure-element || notok "an order requiring secure-element evidence"
attested_order fw FW1 firmware --firmware-reference "$T/ref.txt" ||
	notok "an order requiring firmware evidence"
attested_order both BO1 both --firmware-reference "$T/ref.txt" ||
	notok "an order requiring both"

# parts KIND SERIAL...: each device's secure element (KIND se) or attestation
# key (iak), a 32-byte scalar, and the TEST maker's chain for it, in
# $E/SERIAL.KIND and $E/SERIAL.KIND.chain (made on all cores)
parts() {
	local kind=$1
	shift
	printf '%s\n' "$@" | xargs -P "$(nproc)" -I{} sh -c \
		'"$1" scalar "$2" "$3-{}" "$4/{}.$3" && "$1" chain "$2" "$5" "@$3-{}" "$4/{}.$3.chain"' \
		parts "$M" "$S" "$kind" "$E" "$P"
}
SE_OK=$(seq 1000 $((1000 + N - 1)))
OTHERS="2000 2001 2002 3000 3001 3100 3101 3102 3103 3104"
# shellcheck disable=SC2086
parts se $SE_OK $OTHERS && parts iak $OTHERS || notok "the devices' parts"
GEN_SE=(--se-key "$E/{serial}.se" --se-chain "$E/{serial}.se.chain")
GEN_FW=(--iak-key "$E/{serial}.iak" --iak-chain "$E/{serial}.iak.chain" --components "$T/ref.txt")

# collect ORDER JOURNAL N LOGS... : a station on those lines ($T/NAME.port
# for each $T/NAME.log), stopped once the logs hold N lines (a device the
# station confirms logs one, one it refuses one, one that refuses two)
collect() {
	local order=$1 j=$2 n=$3 logs=() ports=() l
	shift 3
	for l in "$@"; do
		logs+=("$T/$l.log")
		ports+=(--port "$T/$l.port")
	done
	"$CONSIGN" station collect --order "$order" --journal "$j" --policy "$AP" "${ports[@]}" \
		>"$T/st.out" 2>"$T/st.err" &
	ST=$!
	sim_wait "$n" "${logs[@]}" || notok "the devices answered in time"
	kill -TERM "$ST"
	wait "$ST"
	ST=""
}

# refused LINE SERIAL REASON DESC: the station refused that device with
# REASON and said so in its output
refused() {
	check "$4: refused by the station ($3)" grep -q "^refused $2 $3\$" "$T/$1.log"
	check "$4: the station's output names the serial and $3" \
		grep -q "serial $2 refused: .*($3)\$" "$T/st.err"
}

# the batch's records: "serial digest key" lines
journal_records() { "$TOOLS/recls" journal "$1" "$2"; }

# ---- secure-element evidence ----------------------------------------------
sim_start se --policy "$AP" --serial 1000 --count "$N" "${GEN_SE[@]}"
SIMS="$SIMS $SIM_PID"
"$M" chain "$S" "$P" @se-3000 "$E/other-key.chain" --other-key
sim_start se_leaf --policy "$AP" --serial 3000 --se-key "$E/{serial}.se" \
	--se-chain "$E/other-key.chain"
SIMS="$SIMS $SIM_PID"
"$M" chain "$S" "$P" @se-3001 "$E/unknown-root.chain" --maker other
sim_start se_root --policy "$AP" --serial 3001 --se-key "$E/{serial}.se" \
	--se-chain "$E/unknown-root.chain"
SIMS="$SIMS $SIM_PID"
sim_start se_copy --policy "$AP" --serial 3100 --se-key "$E/{serial}.se" \
	--se-chain "$E/1000.se.chain"
SIMS="$SIMS $SIM_PID"
sim_start se_none --policy "$AP" --serial 3101
SIMS="$SIMS $SIM_PID"
# an element whose chain is a bare certificate, not the framing agent.h names
sim_start se_frame --policy "$AP" --serial 3102 --se-key "$E/{serial}.se" \
	--se-chain "$P/inter.der"
SIMS="$SIMS $SIM_PID"
collect "$T/se.cbor" "$T/jse" "$((N + 7))" se se_leaf se_root se_copy se_none se_frame
check "secure element: the $N genuine devices are journaled" \
	[ "$(grep -c '^done ' "$T/se.log")" -eq "$N" ]
journal_records "$T/jse" "$T/se.cbor" >"$T/se.recs"
check "secure element: each record's device key is a 65-byte P-256 point" \
	[ "$(awk 'length($3) == 130 && substr($3, 1, 2) == "04"' "$T/se.recs" | wc -l)" -eq "$N" ]
bad=0
for s in $SE_OK; do
	[ "$(awk -v s="$s" '$1 == s {print $3}' "$T/se.recs")" = "$("$M" key "$S" "se-$s")" ] ||
		bad=$((bad + 1))
done
check "secure element: each record's key is its own element's" [ "$bad" -eq 0 ]
refused se_leaf 3000 attest-leaf-key "secure element: a leaf for another key"
refused se_root 3001 attest-chain-root "secure element: a chain to a maker the policy does not pin"
refused se_copy 3100 attest-leaf-key "secure element: another device's chain"
check "no secure element: the device refuses the order (device-evidence-unsupported)" \
	grep -q "^device-refused 3101 device-evidence-unsupported$" "$T/se_none.log"
check "no secure element: ... and makes no key" [ ! -e "$T/se_none.store/3101.store" ]
check "no secure element: the station shows the device's reason" \
	grep -q "serial 3101 refused: refused by the device: .*secure element.*(device-evidence-unsupported)$" \
	"$T/st.err"
check "a chain not framed as a CBOR array: the device refuses (device-evidence)" \
	grep -q "^device-refused 3102 device-evidence$" "$T/se_frame.log"
check "a chain not framed as a CBOR array: ... and stores nothing" \
	[ ! -e "$T/se_frame.store/3102.store" ]
check "secure element: the journal holds the genuine records only" \
	[ "$(wc -l <"$T/se.recs")" -eq "$N" ]
# plugged in again, the same devices (their storage kept) answer with their
# stored records, evidence and all: the same payload digests, and the blobs
# (which hold each envelope with its randomized ES256 signature) unchanged
check "secure element: each device's storage blob holds its record with the evidence (over 1 KiB)" \
	[ "$(find "$T/se.store" -type f -name '*.store' -size +1k | wc -l)" -eq "$N" ]
sha256sum "$T"/se.store/*.store >"$T/se.blobs"
sim_start se_again --policy "$AP" --serial 1000 --count "$N" "${GEN_SE[@]}" --storage "$T/se.store"
SIMS="$SIMS $SIM_PID"
collect "$T/se.cbor" "$T/jse_again" "$N" se_again
journal_records "$T/jse_again" "$T/se.cbor" >"$T/se_again.recs"
check "secure element: a keyed device answers its stored record again" \
	cmp -s "$T/se.recs" "$T/se_again.recs"
check "secure element: ... and never writes its storage again" sha256sum --quiet -c "$T/se.blobs"

# ---- firmware evidence ------------------------------------------------------
sim_start fw --policy "$AP" --serial 2000 --count 3 "${GEN_FW[@]}"
SIMS="$SIMS $SIM_PID"
# a token the chip of 3102 made for another record (another nonce), and one
# that the chip of 2000 made, sent by other devices whatever they are asked
"$M" token "$S" iak-3102 "$T/earlier.token" --nonce "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
"$M" token "$S" iak-2000 "$T/copied.token" --nonce "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
sim_start fw_replay --policy "$AP" --serial 3102 "${GEN_FW[@]}" --token-replay "$T/earlier.token"
SIMS="$SIMS $SIM_PID"
sim_start fw_copy --policy "$AP" --serial 3103 "${GEN_FW[@]}" --token-replay "$T/copied.token"
SIMS="$SIMS $SIM_PID"
sim_start fw_nonce --policy "$AP" --serial 3104 "${GEN_FW[@]}" --token-wrong-nonce
SIMS="$SIMS $SIM_PID"
sim_start fw_other --policy "$AP" --serial 3000 "${GEN_FW[@]}" --token-other-firmware
SIMS="$SIMS $SIM_PID"
sim_start fw_debug --policy "$AP" --serial 3001 "${GEN_FW[@]}" --token-debug
SIMS="$SIMS $SIM_PID"
sim_start fw_none --policy "$AP" --serial 3101 "${GEN_SE[@]}"
SIMS="$SIMS $SIM_PID"
collect "$T/fw.cbor" "$T/jfw" 10 fw fw_replay fw_copy fw_nonce fw_other fw_debug fw_none
check "firmware: the 3 genuine devices are journaled" [ "$(grep -c '^done ' "$T/fw.log")" -eq 3 ]
journal_records "$T/jfw" "$T/fw.cbor" >"$T/fw.recs"
check "firmware: their keys are Ed25519, made by the agent" \
	[ "$(awk 'length($3) == 64' "$T/fw.recs" | wc -l)" -eq 3 ]
refused fw_replay 3102 attest-token-nonce "firmware: a token replayed from an earlier record"
refused fw_copy 3103 attest-token-instance "firmware: a token copied from another chip"
refused fw_nonce 3104 attest-token-nonce "firmware: a token for a wrong nonce"
refused fw_other 3000 attest-token-measurement "firmware: a measurement of other firmware"
refused fw_debug 3001 attest-token-lifecycle "firmware: a debug lifecycle"
check "no attestation service: the device refuses (device-evidence-unsupported)" \
	grep -q "^device-refused 3101 device-evidence-unsupported$" "$T/fw_none.log"
# devices sharing one chip: 3105's firmware attests with 2000's attestation
# key and chain, a sound token for its own key and nonce, so only the
# batch's seen set can refuse it (the station resumes the journal holding
# 2000); then 3106 and 3107 share a new chip, one after the other: the
# first is taken, the second refused
sim_start fw_shared --policy "$AP" --serial 3105 --iak-key "$E/2000.iak" \
	--iak-chain "$E/2000.iak.chain" --components "$T/ref.txt"
SIMS="$SIMS $SIM_PID"
collect "$T/fw.cbor" "$T/jfw" 1 fw_shared
refused fw_shared 3105 record-duplicate-instance "firmware: a device attesting with another's chip"
check "firmware: ... naming the device that holds the chip" \
	grep -q "serial 3105 refused: .*same chip.*(serial 2000)" "$T/st.err"
"$M" scalar "$S" iak-3106 "$E/3106.iak" && "$M" chain "$S" "$P" @iak-3106 "$E/3106.iak.chain" ||
	notok "the chip of 3106"
sim_start fw_first --policy "$AP" --serial 3106 --iak-key "$E/3106.iak" \
	--iak-chain "$E/3106.iak.chain" --components "$T/ref.txt"
SIMS="$SIMS $SIM_PID"
collect "$T/fw.cbor" "$T/jfw" 1 fw_first
sim_start fw_second --policy "$AP" --serial 3107 --iak-key "$E/3106.iak" \
	--iak-chain "$E/3106.iak.chain" --components "$T/ref.txt"
SIMS="$SIMS $SIM_PID"
collect "$T/fw.cbor" "$T/jfw" 1 fw_second
check "firmware: the first device of a chip is journaled" grep -q "^done 3106" "$T/fw_first.log"
refused fw_second 3107 record-duplicate-instance "firmware: the second device of that chip"

# the nonce each device's agent asked its firmware for is the binding nonce
# the verifiers compute (lib/attest through mkattest nonce) and the spec's
# SHA-256 computed here independently
OD_FW=$("$CONSIGN" inspect --json "$T/fw.cbor" | jq -r .digest)
# nonces SIMOUT RECS ORDER_DIGEST: "lib python asked" per record, one a line
nonces() {
	local s d k
	while read -r s d k; do
		echo "$("$M" nonce "$3" "$k")" \
			"$(python3 -c 'import hashlib, sys; print(hashlib.sha256(b"consign-psa-nonce-v1" + bytes.fromhex(sys.argv[1] + sys.argv[2])).hexdigest())' "$3" "$k")" \
			"$(sed -n "s/^consign-devsim: serial $s: attestation token asked for nonce //p" "$1" | tail -1)"
	done <"$2"
}
nonces "$T/fw.out" "$T/fw.recs" "$OD_FW" >"$T/fw.nonces"
check "firmware: the agent's nonce for each Ed25519 record is cs_psa_binding_nonce's and the spec's" \
	[ "$(awk '$1 == $2 && $2 == $3 && length($1) == 64' "$T/fw.nonces" | wc -l)" -eq 3 ]

# ---- both ---------------------------------------------------------------------
sim_start both --policy "$AP" --serial 2000 --count 2 "${GEN_SE[@]}" "${GEN_FW[@]}"
SIMS="$SIMS $SIM_PID"
sim_start both_se --policy "$AP" --serial 3104 "${GEN_SE[@]}"
SIMS="$SIMS $SIM_PID"
collect "$T/both.cbor" "$T/jboth" 4 both both_se
check "both: the 2 devices with an element and attesting firmware are journaled" \
	[ "$(grep -c '^done ' "$T/both.log")" -eq 2 ]
check "both: a device with an element but no attestation service refuses" \
	grep -q "^device-refused 3104 device-evidence-unsupported$" "$T/both_se.log"
journal_records "$T/jboth" "$T/both.cbor" >"$T/both.recs"
OD_BO=$("$CONSIGN" inspect --json "$T/both.cbor" | jq -r .digest)
nonces "$T/both.out" "$T/both.recs" "$OD_BO" >"$T/both.nonces"
check "both: the agent's nonce binds the element's P-256 key, as the verifiers compute it" \
	[ "$(awk '$1 == $2 && $2 == $3 && length($1) == 64' "$T/both.nonces" | wc -l)" -eq 2 ]

# ---- the batches ------------------------------------------------------------
for b in se:"$N" fw:4 both:2; do
	name=${b%%:*} count=${b#*:}
	expect 0 "$name: seal writes the batch" "$CONSIGN" station seal --key "$F/station.key" \
		--passphrase-file "$F/station.pass" --order "$T/$name.cbor" --journal "$T/j$name" \
		-o "$T/$name.zip"
	expect 0 "$name: the batch verifies against the policy (its chains and tokens too)" \
		"$CONSIGN" verify --policy "$AP" "$T/$name.zip"
	check "$name: all $count records pass" has "$T/out" "$count of $count records pass"
done

# ---- the secure-element batch on to the cloud, with each device's certificate
"$CONSIGN" ledger --ledger "$T/L" init --policy "$AP" >/dev/null &&
	"$CONSIGN" release create --policy "$AP" --ledger "$T/L" "$T/se.zip" -o "$T/se-rel.zip" \
		>/dev/null &&
	sign_as "$F" "$T/se-rel.zip" alice --policy "$AP" &&
	sign_as "$F" "$T/se-rel.zip" bob --policy "$AP" || notok "se: the release is made and signed"
expect 0 "se: the cloud exports the release (--deep: every chain again)" "$CONSIGN" export \
	--policy "$AP" --first --deep --format jsonl "$T/se-rel.zip" -o "$T/se.jsonl"
# each certificate is the element's chain's leaf the device sent, byte for byte
ok_certs=0
while read -r serial b64; do
	echo "$b64" | base64 -d | cmp -s - <("$TOOLS/mkattest" leaf "$E/$serial.se.chain") &&
		ok_certs=$((ok_certs + 1))
done < <(jq -r '.serial|tostring' "$T/se.jsonl" | paste -d' ' - <(jq -r .certificate "$T/se.jsonl"))
check "se: the $N devices exported, each with its element's own certificate" \
	[ "$(wc -l <"$T/se.jsonl"):$ok_certs" = "$N:$N" ]
