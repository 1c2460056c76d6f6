#!/usr/bin/env bash
# Attested batches (issue 18) through the office and the cloud: under an
# order that requires secure-element or firmware evidence, genuine devices
# pass `consign verify`, `release create` and `consign sign`, and every
# forgery a factory could try is refused by each of them with its own reason
# (the binding checks always, the chain and token signatures with --deep and
# by every custodian). The maker is a TEST maker (tests/tools/mkattest).
. "$(dirname "$0")/../lib.sh"

F=$T/f
MAKER="verify_attest TEST maker"
fixture "$F" 10 1000-1999 || { notok "fixture"; exit 1; }
mkdir -p "$T/pki" && "$TOOLS/mkattest" pki "$MAKER" "$T/pki" >/dev/null || { notok "mkattest pki"; exit 1; }
"$TOOLS/mkattest" reference >"$T/refs" || { notok "mkattest reference"; exit 1; }

# A policy that pins the TEST maker's root, and one order for each kind of
# evidence (DIR/order.cbor, DIR/policy.cbor and the keys, as office_mkb wants)
# pinning DIR NAME ROOT: the fixture's keys in DIR and DIR/policy.cbor
# pinning ROOT as NAME, signed by alice and bob
pinning() {
	mkdir -p "$1"
	cp "$F"/*.key "$F"/*.pub "$F"/*.pass "$1/"
	"$CONSIGN" policy create --threshold 2 --custodian "$1/alice.pub" --custodian "$1/bob.pub" \
		--custodian "$1/carol.pub" --office "$1/office.pub" --attestation-root "$2=$3" \
		-o "$1/policy.cbor" >/dev/null &&
		sign_as "$1" "$1/policy.cbor" alice && sign_as "$1" "$1/policy.cbor" bob
}
P=$T/p
pinning "$P" "TEST maker" "$T/pki/root.der" || { notok "a policy pinning the TEST maker"; exit 1; }
# order_for KIND DIR BATCH [OPTIONS...]: DIR holds the order requiring KIND
order_for() {
	local kind=$1 dir=$2 batch=$3
	shift 3
	mkdir -p "$dir"
	cp "$P"/*.key "$P"/*.pub "$P"/*.pass "$P/policy.cbor" "$dir/"
	"$CONSIGN" order create --policy "$P/policy.cbor" --batch "$batch" --product "Sensor v2" \
		--serials 1000-1999 --quantity 40 --station "$P/station.pub" --evidence "$kind" "$@" \
		-o "$dir/order.cbor" >/dev/null &&
		sign_as "$dir" "$dir/order.cbor" alice --policy "$P/policy.cbor" &&
		sign_as "$dir" "$dir/order.cbor" bob --policy "$P/policy.cbor" &&
		"$CONSIGN" ledger --ledger "$dir/L" init --policy "$P/policy.cbor" >/dev/null
}
order_for secure-element "$T/se" BSE || notok "an order requiring secure-element evidence"
order_for firmware "$T/fw" BFW --firmware-reference "$T/refs" ||
	notok "an order requiring firmware evidence"
order_for both "$T/both" BBOTH --firmware-reference "$T/refs" || notok "an order requiring both"
order_for none "$T/none" BNONE || notok "an order requiring no evidence"

# excluded RELEASE.zip: "INDEX:REASON ..." of the records a release excludes
excluded() {
	"$CONSIGN" inspect --json "$1" | jq -r '[.excluded[] | "\(.index):\(.reason)"] | join(" ")'
}

# judged DESC WANT ZIP [VERIFY-OPTIONS...]: consign verify --json finds
# exactly the failing records WANT ("INDEX:REASON ...", exit 1; "": exit 0).
# A batch is always checked in full; --deep is the cloud's, for releases.
# ENGINE=reference runs the reference verifier.
judged() {
	local desc=$1 want=$2 zip=$3 got
	shift 3
	run env CONSIGN_ENGINE="${ENGINE:-fast}" "$CONSIGN" verify --policy "$P/policy.cbor" \
		--json "$@" "$zip"
	got=$(jq -r '[(.failures // [])[] | "\(.index):\(.reason)"] | join(" ")' "$T/out" 2>/dev/null)
	if [ "$got" = "$want" ] && { { [ -z "$want" ] && [ "$RC" -eq 0 ]; } ||
		{ [ -n "$want" ] && [ "$RC" -eq 1 ]; }; }; then
		ok "$desc"
	else
		notok "$desc: exit $RC, failures '$got', want '$want' $(head -c 300 "$T/err")"
	fi
}

# judged_everywhere DESC WANT ZIP: judged on the default engine, the
# reference engine and one thread, the same failures from each
judged_everywhere() {
	judged "$1" "$2" "$3"
	ENGINE=reference judged "... the reference engine agrees" "$2" "$3"
	judged "... on one thread too" "$2" "$3" --threads 1
}

# ---- secure elements -------------------------------------------------------
office_mkb "$T/se" --count 30 --evidence se --maker "$MAKER" -o "$T/se.zip" ||
	notok "mkbatch: 30 secure-element devices"
judged "30 genuine secure-element devices pass" "" "$T/se.zip"
ENGINE=reference judged "... on the reference engine" "" "$T/se.zip"
office_mkb "$T/se" --count 30 --evidence se --maker "$MAKER" --break attest-missing@3 \
	--break attest-leaf-key@5 --break attest-chain-root@7 -o "$T/se-bad.zip" ||
	notok "mkbatch: secure-element forgeries"
SE_WANT="3:attest-missing 5:attest-leaf-key 7:attest-chain-root"
judged_everywhere "no evidence, a leaf for another key, a self-made chain for the record's own key: each refused" \
	"$SE_WANT" "$T/se-bad.zip"
run "$CONSIGN" verify --policy "$P/policy.cbor" "$T/se-bad.zip"
check "the report names record 7 and its reason" grep -q "record 7 (serial 1007): attest-chain-root" "$T/out"

# the office: a release excludes them, each for its reason, and custodians sign it
expect 1 "release create refuses the batch as it is" "$CONSIGN" release create \
	--policy "$P/policy.cbor" --ledger "$T/se/L" "$T/se-bad.zip" -o "$T/se-rel.zip"
office_draft "$T/se" "$T/se-bad.zip" "$T/se-rel.zip" --exclude-refused ||
	notok "release create --exclude-refused"
check "... which excludes records 3, 5 and 7 for their reasons" [ "$(excluded "$T/se-rel.zip")" = \
	"3:attest-missing 5:attest-leaf-key 7:attest-chain-root" ]
expect 0 "a custodian signs the release that excludes them" "$CONSIGN" sign \
	--key "$P/alice.key" --passphrase-file "$P/alice.pass" --yes --policy "$P/policy.cbor" \
	"$T/se-rel.zip"
# an office insider's release that leaves them in: every custodian refuses it
"$TOOLS/relsig" "$P/office.key" "$P/office.pass" "$T/se-rel.zip" "$T/se-lie.zip" clear ||
	notok "relsig clear"
run "$CONSIGN" sign --key "$P/carol.key" --passphrase-file "$P/carol.pass" --yes \
	--policy "$P/policy.cbor" "$T/se-lie.zip"
checkx "a custodian refuses a release that releases the self-made chain (attest-chain-root)" \
	'[ "$RC" -eq 1 ] && grep -q attest-chain-root "$T/err" "$T/out"'
checkx "... and names the missing evidence and the foreign leaf too" \
	'grep -q attest-missing "$T/err" "$T/out" && grep -q attest-leaf-key "$T/err" "$T/out"'
# the same lie signed by two custodians' keys without consign's checks (keys
# stolen, or custodians deceived): the cloud's binding checks, made without
# --deep too, find the missing evidence and the foreign leaf; --deep, the chain
"$TOOLS/relsig" "$P/alice.key" "$P/alice.pass" "$T/se-lie.zip" "$T/se-lie1.zip" &&
	"$TOOLS/relsig" "$P/bob.key" "$P/bob.pass" "$T/se-lie1.zip" "$T/se-lie2.zip" ||
	notok "relsig: the lie signed by two custodian keys"
run "$CONSIGN" verify --policy "$P/policy.cbor" --first --json "$T/se-lie2.zip"
jq -r '.problems[] | select(.reason == "release-exclusions") | .message' "$T/out" >"$T/msgs"
checkx "the cloud without --deep refuses it: records 3 and 5 fail and are not excluded" \
	'[ "$RC" -eq 1 ] && grep -q "record 3 fails attest-missing" "$T/msgs" &&
	grep -q "record 5 fails attest-leaf-key" "$T/msgs" && ! grep -q "record 7" "$T/msgs"'
run "$CONSIGN" verify --policy "$P/policy.cbor" --first --deep --json "$T/se-lie2.zip"
checkx "... with --deep, record 7's self-made chain too" \
	'[ "$RC" -eq 1 ] && jq -r ".problems[].message" "$T/out" | grep -q "record 7 fails attest-chain-root"'
sign_as "$P" "$T/se-rel.zip" bob --policy "$P/policy.cbor" || notok "bob signs the release"
judged "the cloud without --deep takes the excluded chain on the custodians' word" "" \
	"$T/se-rel.zip" --first
judged "... and with --deep finds each exclusion borne out" "" "$T/se-rel.zip" --first --deep
# the cloud's export: each secure element's own certificate, for clouds that
# register devices by X.509 certificate
"$CONSIGN" export --policy "$P/policy.cbor" --first --deep --format jsonl "$T/se-rel.zip" \
	>"$T/se.jsonl" 2>/dev/null || notok "export of the secure-element release"
checkx "export: 27 devices, each with a certificate" \
	'[ "$(jq -r "select(.certificate != \"\") | .serial" "$T/se.jsonl" | wc -l)" -eq 27 ] &&
	[ "$(wc -l <"$T/se.jsonl")" -eq 27 ]'
check "... and no instance id: the order requires no firmware evidence" \
	[ "$(jq -r .instance "$T/se.jsonl" | sort -u)" = "" ]
# the certificate is the leaf the record carried: its key is the device key
# and it chains to the TEST maker's root (checked by OpenSSL's own tool)
if command -v openssl >/dev/null; then
	bad=0
	openssl x509 -inform DER -in "$T/pki/root.der" -out "$T/root.pem" &&
		openssl x509 -inform DER -in "$T/pki/inter.der" -out "$T/inter.pem" || bad=1
	while read -r key b64; do
		echo "$b64" | base64 -d >"$T/leaf.der" &&
			openssl x509 -inform DER -in "$T/leaf.der" -out "$T/leaf.pem" &&
			openssl verify -no_check_time -CAfile "$T/root.pem" -untrusted "$T/inter.pem" \
				"$T/leaf.pem" >/dev/null &&
			[ "$(openssl x509 -in "$T/leaf.pem" -noout -pubkey |
				openssl pkey -pubin -outform DER | tail -c 65 | od -An -v -tx1 | tr -d ' \n')" = "$key" ] ||
			bad=$((bad + 1))
	done < <(jq -r '.public_key_hex + " " + .certificate' "$T/se.jsonl")
	check "... each is the device key's, and chains to the TEST maker's root (openssl verify)" [ "$bad" -eq 0 ]
else
	skip "... the certificates are the device keys' (openssl is not installed)"
fi

# ---- firmware evidence -----------------------------------------------------
office_mkb "$T/fw" --count 30 --evidence firmware --maker "$MAKER" -o "$T/fw.zip" ||
	notok "mkbatch: 30 attesting devices"
judged "30 devices whose firmware attests their keys pass" "" "$T/fw.zip"
office_mkb "$T/fw" --count 30 --evidence firmware --maker "$MAKER" \
	--break attest-token-measurement@2 --break attest-token-nonce@4 --break attest-token-copy@6 \
	--break attest-token-lifecycle@8 --break attest-token-instance@10 \
	--break attest-token-signature@12 --break attest-missing@14 -o "$T/fw-bad.zip" ||
	notok "mkbatch: firmware forgeries"
FW_WANT="2:attest-token-measurement 4:attest-token-nonce 6:attest-token-nonce"
FW_WANT="$FW_WANT 8:attest-token-lifecycle 10:attest-token-instance 12:attest-token-signature"
FW_WANT="$FW_WANT 14:attest-missing"
judged "other firmware, a nonce for another record, a copied token, a debug chip, another chip's instance id, a flipped token signature, no token: each refused" \
	"$FW_WANT" "$T/fw-bad.zip"
ENGINE=reference judged "... the reference engine agrees" "$FW_WANT" "$T/fw-bad.zip"
office_draft "$T/fw" "$T/fw-bad.zip" "$T/fw-rel.zip" --exclude-refused ||
	notok "release create --exclude-refused (firmware)"
check "the release excludes each with its reason" [ "$(excluded "$T/fw-rel.zip")" = "$FW_WANT" ]
sign_as "$T/fw" "$T/fw-rel.zip" alice --policy "$P/policy.cbor" &&
	sign_as "$T/fw" "$T/fw-rel.zip" bob --policy "$P/policy.cbor" || notok "the custodians sign it"
judged "the cloud (--deep) imports it: every exclusion borne out" "" "$T/fw-rel.zip" --first --deep
checkx "... and its export carries no certificate (the order requires none of a secure element)" \
	'[ "$("$CONSIGN" export --policy "$P/policy.cbor" --first --format jsonl "$T/fw-rel.zip" |
		jq -r .certificate | sort -u)" = "" ]'

# ---- one chip, many records ------------------------------------------------
# A factory replaying one genuine chip's evidence: iak-0 attests records 5
# and 9 too, each token sound for its own record (nonce, instance id, chain
# and signature all verify), so only the duplicate check can refuse them.
office_mkb "$T/fw" --count 12 --evidence firmware --maker "$MAKER" \
	--break attest-same-instance@5 --break attest-same-instance@9 -o "$T/fw-dup.zip" ||
	notok "mkbatch: one chip attesting three records"
DUP_WANT="5:record-duplicate-instance 9:record-duplicate-instance"
judged_everywhere "one chip's evidence for records 0, 5 and 9: records 5 and 9 record-duplicate-instance" \
	"$DUP_WANT" "$T/fw-dup.zip"
run "$CONSIGN" verify --policy "$P/policy.cbor" "$T/fw-dup.zip"
check "the report names the first record holding the chip" \
	grep -q "record 9 (serial 1009): record-duplicate-instance: PSA instance id (the same chip) also in record 0" "$T/out"
expect 1 "release create refuses it" "$CONSIGN" release create --policy "$P/policy.cbor" \
	--ledger "$T/fw/L" "$T/fw-dup.zip" -o "$T/fw-dup-rel.zip"
office_draft "$T/fw" "$T/fw-dup.zip" "$T/fw-dup-rel.zip" --exclude-refused ||
	notok "release create --exclude-refused (one chip)"
check "... which excludes records 5 and 9 for it" [ "$(excluded "$T/fw-dup-rel.zip")" = "$DUP_WANT" ]

# across batches: a chip released once is refused in every later batch
order_for firmware "$T/fw2" BFW2 --firmware-reference "$T/refs" || notok "a second firmware order"
office_mkb "$T/fw2" --count 6 --evidence firmware --maker "$MAKER" -o "$T/fw2-a.zip" &&
	office_release "$T/fw2" "$T/fw2-a.zip" "$T/fw2-a-rel.zip" &&
	"$CONSIGN" ledger --ledger "$T/fw2/L" add "$T/fw2-a-rel.zip" >/dev/null ||
	notok "six devices released and entered into the ledger"
# the same maker's chips 0..7 for new serials, keys and hardware ids
office_mkb "$T/fw2" --count 8 --seed 7 --first-serial 1100 --evidence firmware --maker "$MAKER" \
	-o "$T/fw2-b.zip" || notok "mkbatch: a later batch reusing six released chips"
REL_WANT="$(seq -s ' ' -f '%g:record-released-instance' 0 5)"
judged "a later batch reusing the six released chips: each record-released-instance (--ledger)" \
	"$REL_WANT" "$T/fw2-b.zip" --ledger "$T/fw2/L"
ENGINE=reference judged "... the reference engine agrees" "$REL_WANT" "$T/fw2-b.zip" \
	--ledger "$T/fw2/L"
judged "... without the ledger it passes (the chips are new to this batch)" "" "$T/fw2-b.zip"
run "$CONSIGN" verify --policy "$P/policy.cbor" --ledger "$T/fw2/L" "$T/fw2-b.zip"
check "the report names the release holding the chip" \
	grep -q "record 3 (serial 1103): record-released-instance: PSA instance id (the same chip) already released in release 1" "$T/out"
expect 1 "release create refuses it" "$CONSIGN" release create --policy "$P/policy.cbor" \
	--ledger "$T/fw2/L" "$T/fw2-b.zip" -o "$T/fw2-b-rel.zip"
office_release "$T/fw2" "$T/fw2-b.zip" "$T/fw2-b-rel.zip" --exclude-refused ||
	notok "release create --exclude-refused (released chips), checked against release 1's file"
check "... which excludes records 0 to 5 as released in release 1" \
	[ "$("$CONSIGN" inspect --json "$T/fw2-b-rel.zip" |
		jq -r '[.excluded[] | "\(.index):\(.reason):\(.released_in)"] | join(" ")')" = \
		"$(seq -s ' ' -f '%g:record-released-instance:1' 0 5)" ]
expect 0 "the ledger takes that release (two new chips)" "$CONSIGN" ledger --ledger "$T/fw2/L" \
	add "$T/fw2-b-rel.zip"
after1=$(chain_of "$T/fw2-a-rel.zip")
mkdir -p "$T/cloud" && cp "$T/fw2-a-rel.zip" "$T/cloud/"
run "$CONSIGN" verify --policy "$P/policy.cbor" --deep --after "$after1" --released "$T/cloud" \
	--json "$T/fw2-b-rel.zip"
checkx "the cloud imports release 2 after release 1 (--deep --released: exit $RC)" '[ "$RC" = 0 ]'
checkx "... its report gives each claim's value: the chip's instance id" \
	'[ "$(jq -r "[.excluded[] | .value | test(\"^01[0-9a-f]{64}$\")] | all" "$T/out")" = true ]'
# the export gives each device its chip's instance id: release 1's six are
# the values release 2's exclusions name, release 2's two are new chips
"$CONSIGN" export --policy "$P/policy.cbor" --first --deep --format jsonl "$T/fw2-a-rel.zip" \
	>"$T/fw2-a.jsonl" 2>/dev/null &&
	"$CONSIGN" export --policy "$P/policy.cbor" --after "$after1" --deep --format jsonl \
		"$T/fw2-b-rel.zip" >"$T/fw2-b.jsonl" 2>/dev/null || notok "export of releases 1 and 2"
checkx "export: release 1's six chips, each the value of release 2's exclusion of it" \
	'[ "$(jq -r .instance "$T/fw2-a.jsonl")" = "$(jq -r ".excluded[].value" "$T/out")" ] &&
	[ "$(jq -r .instance "$T/fw2-a.jsonl" | sort -u | wc -l)" -eq 6 ]'
checkx "... release 2's two devices (serials 1106, 1107), two chips none of release 1 holds" \
	'[ "$(jq -r .serial "$T/fw2-b.jsonl" | tr "\n" " ")" = "1106 1107 " ] &&
	[ "$(cat "$T/fw2-a.jsonl" "$T/fw2-b.jsonl" | jq -r .instance | grep -c "^01[0-9a-f]\{64\}$")" -eq 8 ] &&
	[ "$(cat "$T/fw2-a.jsonl" "$T/fw2-b.jsonl" | jq -r .instance | sort -u | wc -l)" -eq 8 ]'

# an index made before instance ids were kept is refused until rebuilt
cp -r "$T/fw2/L" "$T/fw2-old"
python3 - "$T/fw2-old/ledger.db" <<'PY' || notok "drop the instance table"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("DROP TABLE instance")
db.commit()
PY
expect_reason 3 "predates PSA instance ids" "an index without the instance table: ledger-inconsistent" \
	"$CONSIGN" verify --policy "$P/policy.cbor" --ledger "$T/fw2-old" "$T/fw2-b.zip"
expect 0 "ledger rebuild makes it again from the release files" "$CONSIGN" ledger \
	--ledger "$T/fw2-old" rebuild
check "... and says the old index predated the chips: the 8 released are entered" \
	grep -q "the old index predates released chips (PSA instance ids): the 8 the signed files hold are now entered" "$T/out"
judged "... and it finds the released chips again (and release 2's serials)" \
	"$REL_WANT 6:record-released-serial 7:record-released-serial" "$T/fw2-b.zip" --ledger "$T/fw2-old"
# an insider deletes two chips' rows so that they can be released again,
# and adds a chip no release holds: the rebuild puts back the files' truth
# and says the index was the wrong side
cp -r "$T/fw2/L" "$T/fw2-tampered"
python3 - "$T/fw2-tampered/ledger.db" <<'PY' || notok "tamper the chips' rows"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
ids = [r[0] for r in db.execute("SELECT id FROM instance ORDER BY id LIMIT 2")]
assert len(ids) == 2
db.executemany("DELETE FROM instance WHERE id = ?", [(i,) for i in ids])
db.execute("INSERT INTO instance(id, seq) VALUES(?, 1)", (b"\x01" + b"\xee" * 32,))
db.commit()
PY
expect 0 "ledger rebuild of an index with chips' rows deleted and one added" "$CONSIGN" ledger \
	--ledger "$T/fw2-tampered" rebuild
check "... says the old index held 1 chip no signed release file holds" \
	grep -q "the old index was altered or damaged: it held 1 chip (PSA instance id) that no signed release file holds, now gone" "$T/out"
check "... and lacked 2 that the signed files hold" \
	grep -q "the old index lacked 2 released chips (PSA instance ids) that the signed files hold, now entered" "$T/out"
judged "... after which every released chip is found again" \
	"$REL_WANT 6:record-released-serial 7:record-released-serial" "$T/fw2-b.zip" --ledger "$T/fw2-tampered"

# an insider's false "released before" for a chip no release holds: record
# 8 of batch C is a new chip (0 to 7 are released ones)
office_mkb "$T/fw2" --count 10 --seed 9 --first-serial 1200 --evidence firmware --maker "$MAKER" \
	-o "$T/fw2-c.zip" &&
	office_draft "$T/fw2" "$T/fw2-c.zip" "$T/fw2-c-rel.zip" --exclude-refused &&
	"$TOOLS/relsig" "$P/office.key" "$P/office.pass" "$T/fw2-c-rel.zip" "$T/fw2-c-lie.zip" \
		exclude 8 record-released-instance 1 &&
	sign_as "$T/fw2" "$T/fw2-c-lie.zip" alice --policy "$P/policy.cbor" &&
	sign_as "$T/fw2" "$T/fw2-c-lie.zip" bob --policy "$P/policy.cbor" ||
	notok "release 3 with a false record-released-instance"
cp "$T/fw2-b-rel.zip" "$T/cloud/"
expect_reason 1 "holds no such PSA instance id" "the cloud refuses it with --released" \
	"$CONSIGN" verify --policy "$P/policy.cbor" --after "$(chain_of "$T/fw2-b-rel.zip")" \
	--released "$T/cloud" "$T/fw2-c-lie.zip"
expect_reason 1 release-exclusions "the ledger refuses it, checking its release files" \
	"$CONSIGN" ledger --ledger "$T/fw2/L" add "$T/fw2-c-lie.zip"

# ---- both, and none --------------------------------------------------------
office_mkb "$T/both" --count 20 --evidence both --maker "$MAKER" -o "$T/both.zip" ||
	notok "mkbatch: both kinds"
judged "devices carrying both kinds pass an order requiring both" "" "$T/both.zip"
office_release "$T/both" "$T/both.zip" "$T/both-rel.zip" &&
	"$CONSIGN" export --policy "$P/policy.cbor" --first --deep --format csv "$T/both-rel.zip" \
		>"$T/both.csv" 2>/dev/null || notok "release and export of the both order"
checkx "... exported, each with its certificate and its chip's instance id, the last two columns" \
	'[ "$(tail -n +2 "$T/both.csv" | tr -d "\r" | awk -F, "\$11 ~ /^MI/ && \$12 ~ /^01[0-9a-f]+\$/ && length(\$12) == 66" | wc -l)" -eq 20 ] &&
	[ "$(tail -n +2 "$T/both.csv" | cut -d, -f12 | sort -u | wc -l)" -eq 20 ]'
office_mkb "$T/se" --count 20 --evidence se --maker "$MAKER" -o "$T/se-only.zip" &&
	office_mkb "$T/both" --count 20 --evidence se --maker "$MAKER" -o "$T/se-for-both.zip" ||
	notok "mkbatch: secure-element devices for the both order"
judged "secure-element evidence alone under an order requiring both: attest-missing for each" \
	"$(seq -s ' ' -f '%g:attest-missing' 0 19)" "$T/se-for-both.zip"
office_mkb "$T/none" --count 20 --evidence se --maker "$MAKER" --break attest-chain-root@3 \
	-o "$T/none.zip" || notok "mkbatch: evidence no order asked for"
judged "an order requiring no evidence does not judge what records carry" "" "$T/none.zip"

# ---- the policy's roots decide ---------------------------------------------
# the same genuine devices under a policy that pins another maker's root
Q=$T/q
pinning "$Q" "other maker" "$T/pki/other-root.der" &&
	"$CONSIGN" order create --policy "$Q/policy.cbor" --batch BSE --product "Sensor v2" \
		--serials 1000-1999 --quantity 40 --station "$Q/station.pub" \
		--evidence secure-element -o "$Q/order.cbor" >/dev/null &&
	sign_as "$Q" "$Q/order.cbor" alice --policy "$Q/policy.cbor" &&
	sign_as "$Q" "$Q/order.cbor" bob --policy "$Q/policy.cbor" || notok "a policy pinning another maker"
office_mkb "$Q" --count 5 --evidence se --maker "$MAKER" -o "$T/q.zip" || notok "mkbatch (q)"
run "$CONSIGN" verify --policy "$Q/policy.cbor" --json "$T/q.zip"
check "genuine chips of a maker the custodians did not pin: every one attest-chain-root" \
	[ "$(jq -r '[.failures[].reason] | unique | join(",")' "$T/out"):$(jq '.failures | length' "$T/out")" = \
	"attest-chain-root:5" ]
