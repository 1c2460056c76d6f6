#!/usr/bin/env bash
# The reference verifier (CONSIGN_ENGINE=reference: lib/verify/ref.c, one
# plain loop) and the fast one (on 1 and on 2 threads) give the same
# reports byte for byte: stdout, stderr, exit status and every file
# written, for the batches and releases the verify tests make (each
# mkbatch --break and --pad, items past the header's count, a tail that
# does not split, a batch across many blocks), the golden office files, the
# malformed zips, and the releases, ledger lookups and "released before"
# claims of verify, export, release create, sign and receipt.
. "$(dirname "$0")/../lib.sh"

F=$T/f
office "$F" 4000 1000-9999 || { notok "fixture"; exit 1; }
P=$F/policy.cbor
L=$F/L
G=$ROOT/manifests/golden
N=0

# same WANT DESC CMD...: CMD under the fast engine with --threads 1 and
# --threads 2, and under the reference engine, each run after $PREP (a
# command that puts the state back, e.g. a ledger copy); the runs' stdout,
# stderr, exit status and the files named in $KEEP must be identical, and
# the status WANT (any: not checked here). THREADS=0: CMD has no --threads (the fast engine then
# uses every core).
same() {
	local want=$1 desc=$2 i f d bad="" extra
	shift 2
	N=$((N + 1))
	d=$T/same.$N
	mkdir -p "$d"
	for i in fast1 fast2 ref; do
		${PREP:-:}
		# (the reference engine is given --threads 2 too, and ignores it)
		extra=()
		[ "${THREADS:-1}" = 1 ] && extra=(--threads "${i#fast}")
		[ "${THREADS:-1}" = 1 ] && [ "$i" = ref ] && extra=(--threads 2)
		if [ "$i" = ref ]; then
			(export CONSIGN_ENGINE=reference && "$@" "${extra[@]}") >"$d/$i.out" 2>"$d/$i.err"
		else
			(unset CONSIGN_ENGINE && "$@" "${extra[@]}") >"$d/$i.out" 2>"$d/$i.err"
		fi
		echo $? >"$d/$i.rc"
		for f in ${KEEP:-}; do
			cp "$f" "$d/$i.keep.$(basename "$f")" 2>/dev/null || echo "(no file)" >"$d/$i.keep.$(basename "$f")"
		done
	done
	for f in "$d"/ref.*; do
		f=${f#"$d/ref."}
		for i in fast1 fast2; do
			cmp -s "$d/$i.$f" "$d/ref.$f" ||
				bad="$bad ${i}/$f: $(diff "$d/$i.$f" "$d/ref.$f" 2>/dev/null | head -4 | tr '\n' ' ' | head -c 400)"
		done
	done
	if [ -n "$bad" ]; then
		notok "$desc: the engines differ:$bad"
	elif [ "$want" != any ] && [ "$(cat "$d/ref.rc")" != "$want" ]; then
		notok "$desc: the same on both engines, but exit $(cat "$d/ref.rc"), want $want: $(head -c 300 "$d/ref.err")"
	else
		ok "$desc: exit $(cat "$d/ref.rc"), the same report on both engines"
	fi
}
V() { "$CONSIGN" verify --policy "$P" "$@"; }

# ---- batches: every check broken once, alone and together --------------------
office_mkb "$F" --count 30 -o "$T/good.zip" || notok "mkbatch good"
CONSIGN_ENGINE=turbo run "$CONSIGN" verify --policy "$P" "$T/good.zip"
checkx "CONSIGN_ENGINE=turbo is a usage error naming the variable (exit $RC)" \
	'[ "$RC" = 2 ] && grep -q "CONSIGN_ENGINE: no engine \"turbo\": fast or reference (usage)" "$T/err"'
same 0 "a valid batch" V --json "$T/good.zip"
same 0 "... and its text report" V "$T/good.zip"
for b in record-signature record-key-invalid record-nonce record-batch record-deployment \
	record-serial-range record-duplicate-serial record-duplicate-key record-duplicate-hwid \
	record-copy record-malformed record-indefinite records-digest records-count \
	station-not-allowed station-signature header-order header-batch records-tail; do
	office_mkb "$F" --count 30 --break "$b@17" -o "$T/$b.zip" || notok "mkbatch $b"
	same 1 "--break $b" V --json "$T/$b.zip"
done
same 1 "record-signature, text report" V "$T/record-signature.zip"
office_mkb "$F" --count 30 --break record-signature@0 --break record-duplicate-key@5 \
	--break record-malformed@8 --break record-key-invalid@9 --break record-copy@12 \
	--break record-nonce@13 --break record-duplicate-hwid@20 --break record-serial-range@29 \
	-o "$T/many.zip" || notok "mkbatch many"
same 1 "eight records broken eight ways" V --json "$T/many.zip"
# secure elements' records (ES256), checked deep by both engines: a flipped
# signature bit, a key off the curve, EdDSA over a P-256 key (its kid the
# P-256 key's); P-256 records 4 and 6 are sound and pass
office_mkb "$F" --count 10 --seed 6 --p256 1 --p256 2 --p256 3 --p256 4 --p256 6 \
	--break record-signature@1 --break record-key-invalid@2 --break record-alg@3 \
	-o "$T/es256.zip" || notok "mkbatch es256"
same 1 "ES256 records: a bad signature, a key off the curve, EdDSA on a P-256 key" \
	V --json "$T/es256.zip"
checkx "... records 1, 2, 3 refused, each for its reason; 7 of 10 pass" \
	'[ "$(jq -c "[.failures[] | [.index, .reason]], .records - .failed" "$T/same.$N/ref.out" |
		tr -d "\n")" = "[[1,\"record-signature\"],[2,\"record-key-invalid\"],[3,\"record-signature\"]]7" ]'

# junk items counted in the header, before, between and after the records
for where in 0 20 39 40; do
	office_mkb "$F" --count 40 --seed 3 --break record-copy@39 --pad 47@$where -o "$T/p$where.zip" ||
		notok "mkbatch --pad 47@$where"
	same 1 "--pad 47@$where with a copied record" V --json "$T/p$where.zip"
done
office_mkb "$F" --count 40 --seed 4 --break record-copy@39 --header-count 39 -o "$T/over.zip" ||
	notok "mkbatch --header-count 39"
same 1 "an item past the header's count" V --json "$T/over.zip"
office_mkb "$F" --count 30 --header-count 31 -o "$T/under.zip" || notok "mkbatch --header-count 31"
same 1 "fewer records than the header's count" V --json "$T/under.zip"

# across many blocks of the fast engine (256 records each), with junk, a
# tail and failures at the blocks' edges
office_mkb "$F" --count 3000 --seed 5 --break record-signature@0 --break record-malformed@255 \
	--break record-duplicate-serial@256 --break record-copy@511 --break record-key-invalid@1300 \
	--break record-duplicate-key@2999 --break records-tail --pad 5@1024 -o "$T/big.zip" ||
	notok "mkbatch big"
same 1 "3,000 records, junk and a tail" V --json "$T/big.zip"

# an order of 5, and one signed by one custodian of two needed
"$CONSIGN" order create --policy "$P" --batch B43 --product "Sensor v2" --serials 1000-1999 \
	--quantity 5 --station "$F/station.pub" -o "$T/o5.cbor" >/dev/null &&
	sign_as "$F" "$T/o5.cbor" alice --policy "$P" && cp "$T/o5.cbor" "$T/o5thin.cbor" &&
	sign_as "$F" "$T/o5.cbor" bob --policy "$P" || notok "order of 5"
"$TOOLS/mkbatch" --order "$T/o5.cbor" --key "$F/station.key" --passphrase-file "$F/station.pass" \
	--count 6 -o "$T/q6.zip" || notok "mkbatch q6"
"$TOOLS/mkbatch" --order "$T/o5thin.cbor" --key "$F/station.key" --passphrase-file "$F/station.pass" \
	--count 5 -o "$T/thin.zip" || notok "mkbatch thin"
same 1 "quantity-exceeded" V --json "$T/q6.zip"
same 1 "order-threshold" V --json "$T/thin.zip"

# ---- the golden files and the malformed zips ------------------------------------
same 1 "the golden batch" "$CONSIGN" verify --policy "$G/policy.cbor" --json "$G/office/batch.zip"
same 0 "the golden release" "$CONSIGN" verify --policy "$G/policy.cbor" --first --json \
	"$G/office/release.zip"
same 0 "the golden release, --deep" "$CONSIGN" verify --policy "$G/policy.cbor" --first --deep \
	--json "$G/office/release.zip"
same 0 "the golden release, text" "$CONSIGN" verify --policy "$G/policy.cbor" --first --deep \
	"$G/office/release.zip"
PREP="rm -f $T/golden.jsonl" KEEP="$T/golden.jsonl" same 0 "the golden release exported" "$CONSIGN" export --policy \
	"$G/policy.cbor" --first --deep --format jsonl "$G/office/release.zip" -o "$T/golden.jsonl"
# (their statuses are hostile_malformed.sh's: with --threads, verify takes
# an empty zip for a batch, zip-entries, not for an artifact)
while read -r f want reason; do
	case $f in '#'*) continue ;; esac
	same any "tests/malformed/$f ($reason)" V --json "$ROOT/tests/malformed/$f"
done <"$ROOT/tests/malformed/EXPECT-zip"

# ---- releases: drafted, signed, verified, exported ---------------------------------
office_mkb "$F" --count 30 --seed 6 --break record-signature@3 --break record-duplicate-hwid@7 \
	--break record-malformed@11 -o "$T/bx.zip" || notok "mkbatch bx"
cp -a "$L" "$T/L.0"
PREP="eval rm -rf $L $T/r1.zip && cp -a $T/L.0 $L" KEEP="$T/r1.zip" \
	same 1 "release create refuses failing records" "$CONSIGN" release create --policy "$P" \
	--ledger "$L" "$T/bx.zip" -o "$T/r1.zip"
PREP="eval rm -rf $L $T/r1.zip && cp -a $T/L.0 $L" KEEP="$T/r1.zip" \
	same 0 "release create --exclude-refused" "$CONSIGN" release create --policy "$P" \
	--ledger "$L" --exclude-refused "$T/bx.zip" -o "$T/r1.zip"
cp "$T/r1.zip" "$T/r1.draft"
PREP="cp $T/r1.draft $T/r1.zip" KEEP="$T/r1.zip" THREADS=0 \
	same 0 "alice signs it, the batch checked again" "$CONSIGN" sign --key "$F/alice.key" \
	--passphrase-file "$F/alice.pass" --yes --policy "$P" "$T/r1.zip"
sign_as "$F" "$T/r1.zip" bob --policy "$P" || notok "bob signs r1"
same 0 "release 1, --first" V --first --json "$T/r1.zip"
same 0 "release 1, --first --deep" V --first --deep --json "$T/r1.zip"
same 0 "release 1, --first --deep, text" V --first --deep "$T/r1.zip"
same 1 "release 1 without a chain position" V --json "$T/r1.zip"
same 1 "release 1 at the wrong place in the chain" V --after "1:$(printf '%064d' 0)" --json "$T/r1.zip"
same 1 "the draft (unsigned) of release 1" V --first --json "$T/r1.draft"
"$TOOLS/relsig" "$F/office.key" "$F/office.pass" "$T/r1.zip" "$T/r1clear.zip" clear ||
	notok "relsig clear"
same 1 "a release whose exclusions lie (none)" V --first --deep --json "$T/r1clear.zip"
PREP="rm -f $T/r1j.jsonl" KEEP="$T/r1j.jsonl" same 0 "export --json" "$CONSIGN" export --policy "$P" \
	--first --json --format jsonl "$T/r1.zip" -o "$T/r1j.jsonl"
for fmt in jsonl csv; do
	PREP="rm -f $T/r1.$fmt" KEEP="$T/r1.$fmt" same 0 "export --format $fmt" "$CONSIGN" export --policy "$P" --first --deep \
		--format "$fmt" "$T/r1.zip" -o "$T/r1.$fmt"
done
"$CONSIGN" ledger --ledger "$L" add "$T/r1.zip" >/dev/null || notok "ledger add r1"
R1=$(chain_of "$T/r1.zip")

# serials 1020-1039, of which release 1 holds 1020-1029
office_mkb "$F" --count 20 --seed 7 --first-serial 1020 -o "$T/by.zip" || notok "mkbatch by"
same 1 "a batch against the ledger (record-released-serial, checked in release 1)" \
	V --ledger "$L" --json "$T/by.zip"
same 1 "... text" V --ledger "$L" "$T/by.zip"
PREP="rm -f $T/rcpt.cbor" KEEP="$T/rcpt.cbor" same 0 "receipt of it (--json)" "$CONSIGN" receipt \
	--key "$F/office.key" --passphrase-file "$F/office.pass" --policy "$P" --ledger "$L" --json \
	-o "$T/rcpt.cbor" "$T/by.zip"
cp -a "$L" "$T/L.1"
PREP="eval rm -rf $L $T/r2.zip && cp -a $T/L.1 $L" KEEP="$T/r2.zip" \
	same 0 "release create excludes the released serials" "$CONSIGN" release create --policy "$P" \
	--ledger "$L" --exclude-refused "$T/by.zip" -o "$T/r2.zip"
cp "$T/r2.zip" "$T/r2.draft"
PREP="cp $T/r2.draft $T/r2.zip" KEEP="$T/r2.zip" THREADS=0 \
	same 0 "alice signs it, checking each claim in the releases" "$CONSIGN" sign \
	--key "$F/alice.key" --passphrase-file "$F/alice.pass" --yes --policy "$P" \
	--released "$L/releases" "$T/r2.zip"
sign_as "$F" "$T/r2.zip" bob --policy "$P" || notok "bob signs r2"
mkdir -p "$T/cloud" "$T/empty" && cp "$T/r1.zip" "$T/cloud/"
same 0 "release 2 with --released" V --after "$R1" --released "$T/cloud" --json "$T/r2.zip"
same 0 "release 2 with --released, --deep" V --after "$R1" --released "$T/cloud" --deep "$T/r2.zip"
same 1 "release 2 when release 1 is not there to check" \
	V --after "$R1" --released "$T/empty" --json "$T/r2.zip"
same 0 "release 2 on the custodians' word" V --after "$R1" --json "$T/r2.zip"
"$CONSIGN" ledger --ledger "$L" add "$T/r2.zip" >/dev/null || notok "ledger add r2"
R2=$(chain_of "$T/r2.zip")
cp "$T/r2.zip" "$T/cloud/"

# an insider's false "already released": device 2 of batch Z, release 1's key
office_mkb "$F" --count 10 --seed 8 --first-serial 1100 -o "$T/bz.zip" || notok "mkbatch bz"
insider_exclusion "$F" "$T/bz.zip" "$T/r3.zip" "$T/r3x.zip" || notok "r3 with the false exclusion"
cp "$T/r3x.zip" "$T/r3y.zip"
PREP="cp $T/r3y.zip $T/r3x.zip" KEEP="$T/r3x.zip" THREADS=0 \
	same 1 "a custodian with the releases refuses the false exclusion" "$CONSIGN" sign \
	--key "$F/alice.key" --passphrase-file "$F/alice.pass" --yes --policy "$P" \
	--released "$L/releases" "$T/r3x.zip"
sign_as "$F" "$T/r3y.zip" alice --policy "$P" && sign_as "$F" "$T/r3y.zip" bob --policy "$P" ||
	notok "r3y signed"
same 1 "the cloud refuses it with --released" V --after "$R2" --released "$T/cloud" --json "$T/r3y.zip"
same 0 "... and takes it on the custodians' word without" V --after "$R2" --json "$T/r3y.zip"

# an altered index: release create and verify --ledger stop (ledger-inconsistent)
office_mkb "$F" --count 10 --seed 9 --first-serial 1200 -o "$T/bd.zip" || notok "mkbatch bd"
unzip -p "$T/bd.zip" records.cborseq >"$T/bd.rec" && "$TOOLS/recls" records "$T/bd.rec" >"$T/bd.ls"
cp -a "$L" "$T/L.2"
python3 - "$T/L.2/ledger.db" "$(head -1 "$T/bd.ls" | cut -d' ' -f3)" <<'PY' || notok "tamper the index"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("INSERT INTO device(serial, pk, hwid, seq) VALUES(?, ?, ?, 1)",
           (999999, bytes.fromhex(sys.argv[2]), b"fake-hwid"))
db.commit()
PY
PREP="eval rm -rf $L $T/r4.zip && cp -a $T/L.2 $L" KEEP="$T/r4.zip" \
	same 3 "release create from an altered index" "$CONSIGN" release create --policy "$P" \
	--ledger "$L" --exclude-refused "$T/bd.zip" -o "$T/r4.zip"
same 3 "verify --ledger with an altered index" V --ledger "$L" --json "$T/bd.zip"
