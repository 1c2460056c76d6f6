#!/usr/bin/env bash
# A release signed by M custodians and then given up by the office is not
# silently replaceable: the office frees its sequence only with a withdrawal
# M custodians signed, the ledger never takes the withdrawn release, and a
# cloud given the withdrawal refuses it; a cloud that imported the signed
# release anyway refuses the replacement as a fork, not a replay.
. "$(dirname "$0")/../lib.sh"

F=$T/f
office "$F" 100 1000-1999 || { notok "fixture"; exit 1; }
P=$F/policy.cbor
L=$F/L

office_mkb "$F" --count 5 --seed 1 -o "$T/a.zip" && office_release "$F" "$T/a.zip" "$T/r1.zip" &&
	"$CONSIGN" ledger --ledger "$L" add "$T/r1.zip" >/dev/null || notok "release 1"
after1=$(chain_of "$T/r1.zip")

# release 2, signed by both custodians, then given up by the office
office_mkb "$F" --count 5 --seed 2 --first-serial 1100 -o "$T/b.zip" || notok "mkbatch b"
office_release "$F" "$T/b.zip" "$T/r2.zip" || notok "release 2 signed"
expect 0 "the signed release 2 would be accepted by the cloud" \
	"$CONSIGN" verify --policy "$P" --after "$after1" "$T/r2.zip"
expect 2 "the office cannot abandon it on its own" "$CONSIGN" ledger --ledger "$L" abandon 2
"$CONSIGN" ledger --ledger "$L" withdraw 2 -o "$T/w2.cbor" >/dev/null || notok "withdraw"
run "$CONSIGN" sign --key "$F/alice.key" --passphrase-file "$F/alice.pass" --yes --policy "$P" "$T/w2.cbor"
checkx "alice is shown what she withdraws, and signs (exit $RC)" \
	'[ "$RC" = 0 ] && grep -q "Withdrawal of release 2" "$T/out"'
cp "$T/w2.cbor" "$T/w2-one.cbor"
sign_as "$F" "$T/w2.cbor" bob --policy "$P" || notok "bob signs the withdrawal"
expect 0 "the withdrawal verifies under the policy" "$CONSIGN" verify --policy "$P" "$T/w2.cbor"
expect_reason 1 withdrawal-threshold "one custodian's withdrawal frees nothing" \
	"$CONSIGN" ledger --ledger "$L" abandon --withdrawal "$T/w2-one.cbor" 2
expect 0 "with M signatures the office abandons draft 2" \
	"$CONSIGN" ledger --ledger "$L" abandon --withdrawal "$T/w2.cbor" 2
check "... and keeps the withdrawal" test -n "$(ls "$L/withdrawals/"*.cose 2>/dev/null)"
expect_reason 1 release-withdrawn "the ledger never takes the withdrawn release" \
	"$CONSIGN" ledger --ledger "$L" add "$T/r2.zip"

# the cloud, given the withdrawal, refuses the withdrawn release
expect_reason 1 release-withdrawn "the cloud refuses the withdrawn release" \
	"$CONSIGN" verify --policy "$P" --after "$after1" --withdrawn "$T/w2.cbor" "$T/r2.zip"
expect_reason 1 withdrawal-threshold "... and takes no withdrawal short of M signatures" \
	"$CONSIGN" verify --policy "$P" --after "$after1" --withdrawn "$T/w2-one.cbor" "$T/r2.zip"

# the same batch drafted again at sequence 2 is the very release withdrawn
# (a release's digest is its content); another batch takes sequence 2
office_mkb "$F" --count 5 --seed 3 --first-serial 1200 -o "$T/c.zip" || notok "mkbatch c"
office_release "$F" "$T/c.zip" "$T/r2b.zip" || notok "replacement release 2"
checkx "the replacement is release 2 again" '[ "$(chain_of "$T/r2b.zip" | cut -d: -f1)" = 2 ]'
expect 0 "the cloud accepts the replacement, the withdrawal given" \
	"$CONSIGN" verify --policy "$P" --after "$after1" --withdrawn "$T/w2.cbor" "$T/r2b.zip"
expect 0 "the ledger takes it" "$CONSIGN" ledger --ledger "$L" add "$T/r2b.zip"

# a cloud that imported the withdrawn release first says fork, not replay
after2=$(chain_of "$T/r2.zip")
expect_reason 1 "release 2 is a fork" "a cloud that imported the withdrawn one calls the replacement a fork" \
	"$CONSIGN" verify --policy "$P" --after "$after2" "$T/r2b.zip"
check "... with reason release-chain" grep -q "release-chain" "$T/out"
expect_reason 1 release-replayed "the very release imported again is a replay" \
	"$CONSIGN" verify --policy "$P" --after "$after2" "$T/r2.zip"
