#!/usr/bin/env bash
# Releases end to end: a batch of 1,000 with 2 bad records is released with
# --exclude-refused (998 accepted), each custodian re-verifies before signing;
# the cloud-side verify accepts only M distinct valid custodian signatures
# that continue the chain, and export writes exactly the accepted devices.
. "$(dirname "$0")/../lib.sh"

F=$T/f
office "$F" 5000 1000-9999 || { notok "fixture"; exit 1; }
P=$F/policy.cbor
rel() { "$CONSIGN" release create --policy "$P" --ledger "$F/L" "$@"; }

office_mkb "$F" --count 1000 --break record-signature@17 --break record-duplicate-hwid@503 \
	-o "$T/b1.zip" || notok "mkbatch"
expect_reason 1 record-signature "release create refuses a batch with failing records" \
	rel "$T/b1.zip" -o "$T/r1.zip"
check "... and writes nothing" [ ! -e "$T/r1.zip" ]
expect 0 "--exclude-refused releases the rest" rel --exclude-refused "$T/b1.zip" -o "$T/r1.zip"
check "... the summary says 998 accepted, 2 excluded with record, serial and reason" \
	grep -q "998 accepted, 2 excluded: record 17 (serial 1017) record-signature, record 503 (serial 1503) record-duplicate-hwid" "$T/out"
R1=$(chain_of "$T/r1.zip")
checkx "... the chain position is 1:<64 hex digits>" '[[ "$R1" =~ ^1:[0-9a-f]{64}$ ]]'
checkx "... the batch entries are byte for byte the batch's" \
	'for e in header.cose order.cose records.cborseq; do cmp -s <(unzip -p "$T/b1.zip" $e) <(unzip -p "$T/r1.zip" $e) || exit 1; done'
expect_reason 1 ledger-reserved "the same batch cannot be drafted twice" \
	rel --exclude-refused "$T/b1.zip" -o "$T/r1again.zip"

V() { "$CONSIGN" verify --policy "$P" "$@"; }
expect_reason 1 release-threshold "an unsigned draft is rejected" V --first "$T/r1.zip"
run sign_as "$F" "$T/r1.zip" alice --policy "$P"
check "alice signs after the whole batch is checked again" [ "$RC" -eq 0 ]
expect_reason 1 release-threshold "M-1 signatures: rejected" V --first "$T/r1.zip"
expect_reason 1 release-threshold "export refuses it" \
	"$CONSIGN" export --policy "$P" --first --format jsonl "$T/r1.zip" -o "$T/no.jsonl"
check "... and leaves no output file" [ ! -e "$T/no.jsonl" ]

"$TOOLS/relsig" "$F/alice.key" "$F/alice.pass" "$T/r1.zip" "$T/twice.zip" random
run "$CONSIGN" inspect --json "$T/twice.zip"
check "two different valid signatures by alice" [ "$(jq '.signatures | length' "$T/out")" -eq 2 ]
expect_reason 1 release-threshold "two signatures from one custodian count once: rejected" \
	V --first "$T/twice.zip"
check "... the repeat is reported" grep -q "repeated signer" "$T/out"
"$TOOLS/relsig" "$F/station.key" "$F/station.pass" "$T/r1.zip" "$T/foreign.zip"
expect_reason 1 release-threshold "a signature by a key outside the policy does not count" \
	V --first "$T/foreign.zip"
check "... it is reported as unknown" grep -q "unknown key" "$T/out"

cp "$T/r1.zip" "$T/r1-bob.zip"
sign_as "$F" "$T/r1-bob.zip" bob --policy "$P"
expect 0 "copies signed in parallel merge" "$CONSIGN" merge -o "$T/r1m.zip" "$T/r1.zip" "$T/r1-bob.zip"
expect 0 "M distinct valid signatures, --first: accepted" V --first "$T/r1m.zip"
check "... 998 accepted, 2 excluded" grep -q "998 accepted, 2 excluded" "$T/out"
expect 0 "... and --deep repeats every record check" V --first --deep --threads 2 "$T/r1m.zip"
expect_reason 1 release-chain-unpinned "without --first or --after it does not say yes" V "$T/r1m.zip"
expect 2 "export needs the chain position too" \
	"$CONSIGN" export --policy "$P" --format jsonl "$T/r1m.zip"

expect 0 "export --first jsonl" "$CONSIGN" export --policy "$P" --first --format jsonl "$T/r1m.zip" -o "$T/r1.jsonl"
check "... exactly 998 devices" [ "$(wc -l <"$T/r1.jsonl")" -eq 998 ]
checkx "... neither excluded serial" '! grep -q "\"serial\":1017," "$T/r1.jsonl" && ! grep -q "\"serial\":1503," "$T/r1.jsonl"'
checkx "... every line is JSON with the release digest" \
	'[ "$(jq -r .release_digest "$T/r1.jsonl" | sort -u)" = "${R1#1:}" ]'
checkx "... keys in hex and base64 agree" \
	'[ "$(head -1 "$T/r1.jsonl" | jq -r .public_key_base64 | base64 -d | od -An -tx1 | tr -d " \n")" = "$(head -1 "$T/r1.jsonl" | jq -r .public_key_hex)" ]'
"$CONSIGN" export --policy "$P" --first --format csv "$T/r1m.zip" >"$T/r1.csv" 2>/dev/null
check "csv: a header row and 998 rows" [ "$(wc -l <"$T/r1.csv")" -eq 999 ]
check "... the header row names the columns" \
	grep -q "^serial,public_key_hex,public_key_base64,hardware_id,firmware,batch,order,release_sequence,release_digest,algorithm" "$T/r1.csv"
# standard base64 starts with "+" for one key in 64: such cells are guarded too
res=$(python3 - "$T/r1.csv" <<'PY'
import base64, csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
bad, guarded = [], 0
for r in rows[1:]:
    c = dict(zip(rows[0], r))
    for v in r:
        if v[:1] in ("=", "+", "-", "@", "\t", "\r"):
            bad.append("cell starts a formula: %r" % v)
    b = c["public_key_base64"]
    if b.startswith("'"):
        guarded += 1
        b = b[1:]
    if base64.b64decode(b).hex() != c["public_key_hex"]:
        bad.append("base64 and hex differ for serial %s" % c["serial"])
if guarded == 0:
    bad.append("no key of 998 starts with '+' (the case is not exercised)")
print("; ".join(bad) or "ok %d" % guarded)
PY
)
checkx "... no cell starts a formula, each base64 key (less a guarding ') is its hex ($res)" \
	'[ "${res%% *}" = ok ]'

expect 0 "ledger add enters the signed release" "$CONSIGN" ledger --ledger "$F/L" add "$T/r1m.zip"
run "$CONSIGN" ledger --ledger "$F/L" --json
check "the ledger's chain is the release's" [ "$(jq -r .chain "$T/out")" = "$R1" ]

# a second and a third release continue the chain
office_mkb "$F" --count 5 --seed 2 --first-serial 5000 -o "$T/b2.zip"
office_release "$F" "$T/b2.zip" "$T/r2.zip" || notok "release 2"
R2=$(chain_of "$T/r2.zip")
expect 0 "release 2 --after release 1: accepted" V --after "$R1" "$T/r2.zip"
expect 0 "... and exports" "$CONSIGN" export --policy "$P" --after "$R1" --format jsonl "$T/r2.zip" -o "$T/r2.jsonl"
check "... its 5 devices" [ "$(wc -l <"$T/r2.jsonl")" -eq 5 ]
expect_reason 1 release-skipped "release 2 with --first: rejected" V --first "$T/r2.zip"
expect_reason 1 release-replayed "release 1 again after release 1: replayed" V --after "$R1" "$T/r1m.zip"
expect_reason 1 release-replayed "release 2 after release 2: replayed" V --after "$R2" "$T/r2.zip"
expect_reason 1 release-chain "release 2 after a different release 1: a fork" \
	V --after "1:$(printf '%064d' 0)" "$T/r2.zip"
"$CONSIGN" ledger --ledger "$F/L" add "$T/r2.zip" >/dev/null
office_mkb "$F" --count 5 --seed 3 --first-serial 6000 -o "$T/b3.zip"
office_release "$F" "$T/b3.zip" "$T/r3.zip" || notok "release 3"
expect_reason 1 release-skipped "release 3 right after release 1: skipped" V --after "$R1" "$T/r3.zip"
expect 0 "release 3 after release 2: accepted" V --after "$R2" "$T/r3.zip"

# the summary and report never print raw control bytes
checkx "reports hold no control byte" 'no_ctl "$T/out" "$T/err"'

# a release whose exclusion list lies (custodian keys sign a payload that
# excludes nothing): the custodian's sign and the cloud both refuse it
"$TOOLS/relsig" "$F/alice.key" "$F/alice.pass" "$T/r1m.zip" "$T/lie1.zip" clear
"$TOOLS/relsig" "$F/bob.key" "$F/bob.pass" "$T/lie1.zip" "$T/lie.zip"
expect_reason 1 release-exclusions "a release that hides its failing records: rejected" V --first "$T/lie.zip"
check "... naming record 503 (a cheap check)" grep -q "record 503 fails record-duplicate-hwid but is not excluded" "$T/out"
expect_reason 1 release-exclusions "... and --deep also finds record 17's bad signature" V --first --deep "$T/lie.zip"
check "... naming it" grep -q "record 17 fails record-signature but is not excluded" "$T/out"
"$TOOLS/relsig" "$F/alice.key" "$F/alice.pass" "$T/r1m.zip" "$T/lie2.zip" clear
expect_reason 1 release-exclusions "a custodian asked to sign it refuses" \
	"$CONSIGN" sign --key "$F/carol.key" --passphrase-file "$F/carol.pass" --policy "$P" --yes "$T/lie2.zip"

# CSV cells cannot become spreadsheet formulas; JSON strings stay JSON
office_mkb "$F" --count 2 --seed 11 --first-serial 7000 --firmware '=HYPERLINK("x")' -o "$T/b4.zip"
office_release "$F" "$T/b4.zip" "$T/r4.zip" || notok "release 4"
"$CONSIGN" export --policy "$P" --after "$(chain_of "$T/r3.zip")" --format csv "$T/r4.zip" >"$T/r4.csv" 2>/dev/null
check "a firmware cell starting with = is quoted behind an apostrophe" \
	grep -qF ",\"'=HYPERLINK(\"\"x\"\")\"," "$T/r4.csv"
"$CONSIGN" export --policy "$P" --after "$(chain_of "$T/r3.zip")" --format jsonl "$T/r4.zip" >"$T/r4.jsonl" 2>/dev/null
check "... and in JSON Lines it round-trips" [ "$(jq -r .firmware "$T/r4.jsonl" | head -1)" = '=HYPERLINK("x")' ]

# a secure element's device (issue 18): its 65-byte P-256 key (ES256) is
# released, and exported as the record carries it, hex and base64
office_mkb "$F" --count 3 --seed 12 --first-serial 7100 --p256 1 -o "$T/b5.zip"
office_release "$F" "$T/b5.zip" "$T/r5.zip" || notok "release 5"
R4=$(chain_of "$T/r4.zip")
expect 0 "a release with a P-256 device key: accepted, --deep too" V --after "$R4" --deep "$T/r5.zip"
unzip -p "$T/b5.zip" records.cborseq >"$T/b5.seq" && "$TOOLS/recls" records "$T/b5.seq" >"$T/b5.keys"
"$CONSIGN" export --policy "$P" --after "$R4" --format jsonl "$T/r5.zip" >"$T/r5.jsonl" 2>/dev/null
k7101=$(awk '$1 == 7101 { print $3 }' "$T/b5.keys")
checkx "... the record's key is 65 bytes, 0x04 || x || y" '[[ "$k7101" =~ ^04[0-9a-f]{128}$ ]]'
checkx "... export writes it intact, with its algorithm, ES256" \
	'[ "$(jq -r "select(.serial == 7101) | .algorithm + \" \" + .public_key_hex" "$T/r5.jsonl")" = "ES256 $k7101" ]'
checkx "... the devices beside it are EdDSA" \
	'[ "$(jq -r "select(.serial != 7101) | .algorithm" "$T/r5.jsonl" | sort | uniq -c | tr -s " ")" = " 2 EdDSA" ]'
checkx "... and its base64 is the same 65 bytes" '[ "$(jq -r "select(.serial == 7101) |
	.public_key_base64" "$T/r5.jsonl" | base64 -d | od -An -tx1 | tr -d " \n")" = "$k7101" ]'
checkx "... the Ed25519 keys beside it are exported as before" '[ "$(jq -r "select(.serial != 7101) |
	\"\(.serial) \(.public_key_hex)\"" "$T/r5.jsonl")" = "$(awk "\$1 != 7101 { print \$1, \$3 }" "$T/b5.keys")" ]'
"$CONSIGN" export --policy "$P" --after "$R4" --format csv "$T/r5.zip" >"$T/r5.csv" 2>/dev/null
check "... in CSV too, ES256 in the algorithm column, no certificate and no instance id (the order requires no evidence)" \
	grep -q "^7101,$k7101,.*,ES256,,.$" "$T/r5.csv"
