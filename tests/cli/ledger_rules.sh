#!/usr/bin/env bash
# The ledger remembers: an order's quantity holds across batches, a serial,
# key or hardware id is released once, a batch once; drafts reserve
# sequences and abandoning frees them; rebuild recreates the same index.
. "$(dirname "$0")/../lib.sh"

F=$T/f
office "$F" 10 1000-1999 || { notok "fixture"; exit 1; }
P=$F/policy.cbor
L=$F/L
rel() { "$CONSIGN" release create --policy "$P" --ledger "$L" "$@"; }
state() { "$CONSIGN" ledger --ledger "$1" --json | jq -c 'del(.subject)'; }

office_mkb "$F" --count 6 --seed 1 -o "$T/a.zip"
office_release "$F" "$T/a.zip" "$T/ra.zip" || notok "release A"
expect 0 "release A (6 of the order's 10) enters the ledger" "$CONSIGN" ledger --ledger "$L" add "$T/ra.zip"
run "$CONSIGN" ledger --ledger "$L"
check "ledger show: 6 of 10 released, 4 remain" grep -q "6 of 10 released, 4 remain" "$T/out"

# two batches under one order beyond its quantity
office_mkb "$F" --count 6 --seed 2 --first-serial 1100 -o "$T/b.zip"
expect_reason 1 quantity-remaining "verify --ledger: 6 more exceed what remains" \
	"$CONSIGN" verify --policy "$P" --ledger "$L" "$T/b.zip"
expect 0 "... while the batch alone is fine" "$CONSIGN" verify --policy "$P" "$T/b.zip"
expect_reason 1 quantity-remaining "the second batch cannot be released" rel "$T/b.zip" -o "$T/rb.zip"
expect_reason 1 quantity-remaining "... not even with --exclude-refused" \
	rel --exclude-refused "$T/b.zip" -o "$T/rb.zip"
check "... and nothing is written" [ ! -e "$T/rb.zip" ]

# two batches sharing a serial (1005)
office_mkb "$F" --count 2 --seed 3 --first-serial 1005 -o "$T/c.zip"
expect_reason 1 record-released-serial "verify --ledger: serial 1005 was released" \
	"$CONSIGN" verify --policy "$P" --ledger "$L" "$T/c.zip"
expect_reason 1 record-released-serial "the second batch cannot be released" rel "$T/c.zip" -o "$T/rc.zip"
# the same devices again under new serials: keys and hardware ids are remembered too
office_mkb "$F" --count 2 --seed 1 --first-serial 1500 -o "$T/d.zip"
expect_reason 1 record-released-key "a device key released before" \
	"$CONSIGN" verify --policy "$P" --ledger "$L" "$T/d.zip"
expect_reason 1 batch-released "a batch released before" \
	"$CONSIGN" verify --policy "$P" --ledger "$L" "$T/a.zip"
expect_reason 1 batch-released "... is not released again" rel --exclude-refused "$T/a.zip" -o "$T/ra2.zip"

# with --exclude-refused the shared serial is left out, the other released
expect 0 "--exclude-refused leaves the shared serial out" rel --exclude-refused "$T/c.zip" -o "$T/rc.zip"
check "... record 0 (serial 1005) record-released-serial" \
	grep -q "record 0 (serial 1005) record-released-serial" "$T/out"
sign_as "$F" "$T/rc.zip" alice --policy "$P" && sign_as "$F" "$T/rc.zip" bob --policy "$P"
expect 0 "... it enters the ledger" "$CONSIGN" ledger --ledger "$L" add "$T/rc.zip"
run "$CONSIGN" ledger --ledger "$L" --json
check "... 7 devices released of the order" [ "$(jq '.orders[0].released' "$T/out")" -eq 7 ]

# drafts drafted side by side, then one conflicts when it is added
office_mkb "$F" --count 1 --seed 5 --first-serial 1300 -o "$T/e.zip"
office_mkb "$F" --count 1 --seed 6 --first-serial 1300 -o "$T/g.zip"
office_release "$F" "$T/e.zip" "$T/re.zip" || notok "draft E"
office_release "$F" "$T/g.zip" "$T/rg.zip" || notok "draft G"
checkx "drafts chain on each other: 3 then 4" \
	'[ "$(chain_of "$T/re.zip" | cut -d: -f1)" = 3 ] && [ "$(chain_of "$T/rg.zip" | cut -d: -f1)" = 4 ]'
expect_reason 1 release-skipped "draft 4 cannot enter before draft 3" "$CONSIGN" ledger --ledger "$L" add "$T/rg.zip"
expect 0 "draft 3 enters" "$CONSIGN" ledger --ledger "$L" add "$T/re.zip"
expect_reason 1 release-exclusions "draft 4 shares serial 1300 with 3: refused" \
	"$CONSIGN" ledger --ledger "$L" add "$T/rg.zip"
before=$(state "$L")
expect 2 "withdrawal of a sequence that is not reserved" "$CONSIGN" ledger --ledger "$L" withdraw 9 \
	-o "$T/w9.cbor"
expect 2 "abandon without a withdrawal is a usage error" "$CONSIGN" ledger --ledger "$L" abandon 4
office_withdraw "$F" 4 "$T/w4.cbor" || notok "withdrawal of 4"
cp "$T/w4.cbor" "$T/w4-alice.cbor"
"$CONSIGN" ledger --ledger "$L" withdraw 4 -o "$T/w4-one.cbor" >/dev/null &&
	sign_as "$F" "$T/w4-one.cbor" alice --policy "$F/policy.cbor" || notok "one signature"
expect_reason 1 withdrawal-threshold "a withdrawal with one signature of two is refused" \
	"$CONSIGN" ledger --ledger "$L" abandon --withdrawal "$T/w4-one.cbor" 4
expect 0 "abandon 4 with its withdrawal frees its sequence" "$CONSIGN" ledger --ledger "$L" abandon \
	--withdrawal "$T/w4.cbor" 4
check "... the draft is gone from the ledger" [ "$(state "$L" | jq '.drafts | length')" -eq 0 ]
office_mkb "$F" --count 1 --seed 7 --first-serial 1400 -o "$T/h.zip"
office_release "$F" "$T/h.zip" "$T/rh.zip" || notok "draft H"
check "... and the next draft takes sequence 4 again" [ "$(chain_of "$T/rh.zip" | cut -d: -f1)" = 4 ]
expect 0 "... which enters the ledger" "$CONSIGN" ledger --ledger "$L" add "$T/rh.zip"
expect_reason 1 release-withdrawn "the withdrawn draft, signed anyway, never enters" \
	"$CONSIGN" ledger --ledger "$L" add "$T/rg.zip"

# the index is only an index: rebuild recreates it from the signed files
before=$(state "$L")
rm -f "$L/ledger.db"
expect_reason 3 ledger-missing "without its index the ledger says so" "$CONSIGN" ledger --ledger "$L"
expect 0 "ledger rebuild" "$CONSIGN" ledger --ledger "$L" rebuild
check "... recreates the same state (releases, devices, orders, drafts)" [ "$(state "$L")" = "$before" ]

# the ledger is pinned to its policy
"$CONSIGN" policy create --threshold 1 --custodian "$F/alice.pub" --office "$F/office.pub" -o "$T/other.cbor" >/dev/null
sign_as "$F" "$T/other.cbor" alice
office_mkb "$F" --count 1 --seed 8 --first-serial 1600 -o "$T/i.zip"
run "$CONSIGN" release create --policy "$T/other.cbor" --ledger "$L" "$T/i.zip" -o "$T/ri.zip"
check "release create with another policy than the ledger's: refused" \
	grep -q "ledger-policy" "$T/err"
expect_reason 1 policy- "a policy that is not a rotation is not taken" \
	"$CONSIGN" ledger --ledger "$L" policy "$T/other.cbor"
# a rotation: the ledger follows the new policy, and releases under it
"$CONSIGN" policy create --threshold 2 --custodian "$F/alice.pub" --custodian "$F/bob.pub" \
	--custodian "$F/carol.pub" --office "$F/office.pub" --previous "$P" -o "$T/p2.cbor" >/dev/null
sign_as "$F" "$T/p2.cbor" alice --policy "$P"
sign_as "$F" "$T/p2.cbor" bob --policy "$P"
expect 0 "ledger policy takes a rotation of its policy" "$CONSIGN" ledger --ledger "$L" policy "$T/p2.cbor"
check "... now at version 2" [ "$(state "$L" | jq .policy.version)" -eq 2 ]
run "$CONSIGN" release create --policy "$P" --ledger "$L" "$T/i.zip" -o "$T/ri.zip"
check "... the old policy no longer drafts releases" grep -q "ledger-policy" "$T/err"
"$CONSIGN" order create --policy "$T/p2.cbor" --batch B77 --product "Sensor v3" --serials 3000-3999 \
	--quantity 5 --station "$F/station.pub" -o "$T/o2.cbor" >/dev/null
sign_as "$F" "$T/o2.cbor" alice --policy "$T/p2.cbor"
sign_as "$F" "$T/o2.cbor" bob --policy "$T/p2.cbor"
"$TOOLS/mkbatch" --order "$T/o2.cbor" --key "$F/station.key" --passphrase-file "$F/station.pass" \
	--count 2 --seed 12 -o "$T/j.zip"
"$CONSIGN" release create --policy "$T/p2.cbor" --ledger "$L" "$T/j.zip" -o "$T/rj.zip" >/dev/null
sign_as "$F" "$T/rj.zip" alice --policy "$T/p2.cbor"
sign_as "$F" "$T/rj.zip" bob --policy "$T/p2.cbor"
expect 0 "a release under the new policy enters the ledger" "$CONSIGN" ledger --ledger "$L" add "$T/rj.zip"
before=$(state "$L")
expect 0 "rebuild checks each release under the policy it names" "$CONSIGN" ledger --ledger "$L" rebuild
check "... and gives the same state" [ "$(state "$L")" = "$before" ]
# a tampered release file in the ledger is noticed
cp "$L"/releases/000001-*.zip "$T/keep.zip"
printf 'x' >>"$L"/releases/000001-*.zip
rm -f "$L/ledger.db"
expect_reason 3 ledger-inconsistent "rebuild refuses a release file that does not verify" \
	"$CONSIGN" ledger --ledger "$L" rebuild

# a record both already released and forged (a factory re-using a released
# device key it holds no secret for) is excluded for the ledger, which is
# checked first; each custodian's sign and the cloud's --deep, which run
# without the ledger, find only the signature and still take the exclusion
H=$T/h
office "$H" 20 1000-1999 || notok "second office"
office_mkb "$H" --count 2 --seed 21 -o "$T/k.zip"
office_release "$H" "$T/k.zip" "$T/rk.zip" || notok "release K"
"$CONSIGN" ledger --ledger "$H/L" add "$T/rk.zip" >/dev/null || notok "release K enters"
office_mkb "$H" --count 3 --seed 21 --first-serial 1100 --break record-signature@0 -o "$T/m.zip"
expect 0 "a batch re-using 2 released keys, one record forged, is released with exclusions" \
	"$CONSIGN" release create --policy "$H/policy.cbor" --ledger "$H/L" --exclude-refused \
	"$T/m.zip" -o "$T/rm.zip"
check "... the forged record excluded for its released key" \
	grep -q "record 0 (serial 1100) record-released-key" "$T/out"
expect 0 "... a custodian's sign (no ledger, every signature checked) accepts the exclusion" \
	"$CONSIGN" sign --key "$H/alice.key" --passphrase-file "$H/alice.pass" --yes \
	--policy "$H/policy.cbor" "$T/rm.zip"
sign_as "$H" "$T/rm.zip" bob --policy "$H/policy.cbor"
expect 0 "... the cloud's --deep verify accepts it" "$CONSIGN" verify --policy "$H/policy.cbor" \
	--after "$(chain_of "$T/rk.zip")" --deep "$T/rm.zip"
expect 0 "... and it enters the ledger" "$CONSIGN" ledger --ledger "$H/L" add "$T/rm.zip"
