#!/usr/bin/env bash
# "Already released" exclusions name the release that holds the value, and
# whoever has that release checks them: the ledger against its signed files
# (not its index), a custodian and the cloud against the earlier release
# zips (--released DIR). An office insider who adds a false exclusion to a
# draft, or a false row to the index, is found out; ledger rebuild says the
# index was the wrong side.
. "$(dirname "$0")/../lib.sh"

F=$T/f
office "$F" 100 1000-1999 || { notok "fixture"; exit 1; }
P=$F/policy.cbor
L=$F/L
DIR=$L/releases

# release 1: serials 1000-1009
office_mkb "$F" --count 10 --seed 1 -o "$T/a.zip" && office_release "$F" "$T/a.zip" "$T/r1.zip" &&
	"$CONSIGN" ledger --ledger "$L" add "$T/r1.zip" >/dev/null || notok "release 1"
after1=$(chain_of "$T/r1.zip")

# release 2: serials 1005-1014, 1005-1009 already in release 1
office_mkb "$F" --count 10 --seed 2 --first-serial 1005 -o "$T/b.zip" || notok "mkbatch b"
expect 0 "release create --exclude-refused drafts release 2" \
	"$CONSIGN" release create --policy "$P" --ledger "$L" --exclude-refused "$T/b.zip" -o "$T/r2.zip"
"$CONSIGN" inspect --json "$T/r2.zip" >"$T/r2.json"
checkx "its five exclusions are record-released-serial, each naming release 1" \
	'[ "$(jq -c "[.excluded[] | [.index, .serial, .reason, .released_in]]" "$T/r2.json")" = \
	"$(echo "[[0,1005,\"record-released-serial\",1],[1,1006,\"record-released-serial\",1],[2,1007,\"record-released-serial\",1],[3,1008,\"record-released-serial\",1],[4,1009,\"record-released-serial\",1]]")" ]'
expect 0 "alice signs without the earlier releases" "$CONSIGN" sign --key "$F/alice.key" \
	--passphrase-file "$F/alice.pass" --yes --policy "$P" "$T/r2.zip"
check "... and is told the five were taken on the office's word" \
	grep -q "5 \"released\" exclusions taken on the office's word" "$T/out"
cp "$T/r2.zip" "$T/r2-bob.zip"
run "$CONSIGN" sign --key "$F/bob.key" --passphrase-file "$F/bob.pass" --yes --policy "$P" \
	--released "$DIR" "$T/r2.zip"
checkx "bob signs with --released (exit $RC), each exclusion checked" \
	'[ "$RC" = 0 ] && grep -q "each \"released\" exclusion checked" "$T/out"'
check "... every exclusion was listed, and the count shown" \
	grep -q "record 4 (serial 1009): record-released-serial in release 1" "$T/out"
expect 0 "the ledger takes release 2" "$CONSIGN" ledger --ledger "$L" add "$T/r2.zip"
mkdir -p "$T/cloud" && cp "$T/r1.zip" "$T/cloud/"
run "$CONSIGN" verify --policy "$P" --after "$after1" --released "$T/cloud" --json "$T/r2.zip"
checkx "the cloud accepts it with --released (exit $RC)" '[ "$RC" = 0 ]'
checkx "... its report gives each claim's value and release" \
	'[ "$(jq -c "[.excluded[] | [.value, .released_in]][0]" "$T/out")" = "[\"1005\",1]" ]'
mkdir -p "$T/empty"
expect 1 "... and refuses it when the earlier release is not there to check" \
	"$CONSIGN" verify --policy "$P" --after "$after1" --released "$T/empty" "$T/r2.zip"
check "... saying it cannot be checked" grep -q "cannot be checked" "$T/out"
after2=$(chain_of "$T/r2.zip")

# an insider adds a false "released before" to a draft: good device 2 of
# batch C excluded as record-released-key in release 1
office_mkb "$F" --count 10 --seed 3 --first-serial 1100 -o "$T/c.zip" || notok "mkbatch c"
insider_exclusion "$F" "$T/c.zip" "$T/r3.zip" "$T/r3x.zip" || notok "release 3 with the false exclusion"
cp "$T/r3x.zip" "$T/r3y.zip"
run "$CONSIGN" sign --key "$F/alice.key" --passphrase-file "$F/alice.pass" --yes --policy "$P" \
	--released "$DIR" "$T/r3x.zip"
checkx "a custodian with the earlier releases refuses the false exclusion (exit $RC)" \
	'[ "$RC" = 1 ] && grep -q "release-exclusions" "$T/out" "$T/err" && grep -q "holds no such device key" "$T/out"'
sign_as "$F" "$T/r3y.zip" alice --policy "$P" && sign_as "$F" "$T/r3y.zip" bob --policy "$P" ||
	notok "signed without --released"
expect_reason 1 release-exclusions "the ledger refuses it, checking its release files" \
	"$CONSIGN" ledger --ledger "$L" add "$T/r3y.zip"
cp "$T/r2.zip" "$T/cloud/"
expect_reason 1 "holds no such device key" "the cloud refuses it with --released" \
	"$CONSIGN" verify --policy "$P" --after "$after2" --released "$T/cloud" "$T/r3y.zip"
office_withdraw "$F" 3 "$T/w3.cbor" &&
	"$CONSIGN" ledger --ledger "$L" abandon --withdrawal "$T/w3.cbor" 3 >/dev/null || notok "abandon 3"

# an insider adds a false row to the index: device 0 of batch D "released in 1"
office_mkb "$F" --count 10 --seed 4 --first-serial 1200 -o "$T/d.zip" || notok "mkbatch d"
unzip -p "$T/d.zip" records.cborseq >"$T/d.rec" && "$TOOLS/recls" records "$T/d.rec" >"$T/d.ls"
key0=$(head -1 "$T/d.ls" | cut -d' ' -f3)
python3 - "$L/ledger.db" "$key0" <<'PY' || notok "tamper the index"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("INSERT INTO device(serial, pk, hwid, seq) VALUES(?, ?, ?, 1)",
           (999999, bytes.fromhex(sys.argv[2]), b"fake-hwid"))
db.commit()
PY
expect_reason 3 ledger-inconsistent "release create refuses to draft from the altered index" \
	"$CONSIGN" release create --policy "$P" --ledger "$L" --exclude-refused "$T/d.zip" -o "$T/r4.zip"
check "... naming the record and the release the index claims" \
	grep -q "record 0: the index says its device key was released in release 1" "$T/err"
checkx "... and writes no draft" '[ ! -e "$T/r4.zip" ]'
expect 0 "ledger rebuild recreates the index from the signed files" \
	"$CONSIGN" ledger --ledger "$L" rebuild
check "... and says the old index was the wrong side (1 device no release holds)" \
	grep -q "the old index was altered or damaged: it held 1 device and 0 releases that no signed release file holds" "$T/out"
check "... naming it" grep -q "for example serial 999999, which it said release 1 holds" "$T/out"
expect 0 "after which batch D is drafted with nothing excluded" \
	"$CONSIGN" release create --policy "$P" --ledger "$L" "$T/d.zip" -o "$T/r4.zip"

# the index names release 1 for batch B's first five serials, but release
# 1's signed file no longer has a release's layout (an entry added): that is
# the ledger's damage, not the batch's, and nothing is drafted from it
cp -r "$L" "$T/L-damaged"
r1file=$(ls "$T/L-damaged/releases/"*.zip | head -1)
python3 - "$r1file" <<'PY' || notok "add an entry to release 1's file"
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "a") as z:
    z.writestr("extra.txt", "not part of a release")
PY
expect_reason 3 ledger-inconsistent "release create: a ledger release file the reader refuses is ledger-inconsistent" \
	"$CONSIGN" release create --policy "$P" --ledger "$T/L-damaged" --exclude-refused "$T/b.zip" \
	-o "$T/r-damaged.zip"
check "... naming the file and what is wrong with it" \
	grep -q "releases/.*\.zip: .*entries" "$T/err"
checkx "... and writes no draft" '[ ! -e "$T/r-damaged.zip" ]'
