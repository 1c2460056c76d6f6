# Attestation through the CLI: policy create pins makers' roots (DER or PEM,
# named, at most 4, the policy within 4096 bytes), a rotation retires the
# roots it leaves out, order create takes the required evidence and the
# firmware reference values from a file, and sign shows both before anyone
# signs. The roots are tests/tools/mkattest's TEST maker; the fingerprints
# are checked against sha256sum, the stored bytes against inspect --json.
. "$(dirname "$0")/../lib.sh"
needs jq "attest_cli: jq is not installed"
M=$TOOLS/mkattest
K=$T/k
keys "$K" alice bob carol office station || { notok "keys"; exit 1; }
P=$T/pki
P2=$T/pki2
mkdir -p "$P" "$P2"
"$M" pki "attest_cli seed" "$P" && "$M" pki "attest_cli other seed" "$P2" ||
	{ notok "mkattest pki"; exit 1; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
ROOT_SHA=$(sha "$P/root.der")
OTHER_SHA=$(sha "$P/other-root.der")
# PEM as any tool writes it: base64 of the DER in 64-column lines, armoured
pem() {
	echo "-----BEGIN ${2:-CERTIFICATE}-----"
	base64 -w 64 "$1"
	echo "-----END ${2:-CERTIFICATE}-----"
}
pem "$P/root.der" >"$T/root.pem"

# pcreate OUT [OPTIONS...]: policy create, 2 of alice, bob, carol
pcreate() {
	local out=$1
	shift
	"$CONSIGN" policy create --threshold 2 --custodian "$K/alice.pub" --custodian "$K/bob.pub" \
		--custodian "$K/carol.pub" --office "$K/office.pub" -o "$out" "$@"
}
# roots FILE: the policy's attestation roots as "name sha256" lines
roots() { "$CONSIGN" inspect --json "$1" | jq -r '.attestation_roots[] | "\(.name) \(.sha256)"'; }

# ---- policy create --attestation-root ----
run pcreate "$T/p1.cbor" --attestation-root "Acme TEST=$P/root.der" \
	--attestation-root "other=$P/other-root.der"
check "policy create with two DER roots (exit $RC)" [ "$RC" -eq 0 ]
check "... prints each root's name and full SHA-256" \
	grep -q "^  attestation root Acme TEST: sha256 $ROOT_SHA$" "$T/out"
check "... both of them" grep -q "^  attestation root other: sha256 $OTHER_SHA$" "$T/out"
check "... and the subject" grep -q "subject CN=consign TEST maker root - not for production" "$T/out"
checkx "the policy carries both roots, named, in order, with the files' SHA-256" \
	'[ "$(roots "$T/p1.cbor")" = "Acme TEST $ROOT_SHA
other $OTHER_SHA" ]'
if command -v openssl >/dev/null; then
	checkx "... and inspect reads each one's subject from the stored certificate (as openssl does)" \
		'[ "$("$CONSIGN" inspect --json "$T/p1.cbor" | jq -r ".attestation_roots[1].subject")" = \
		"$(openssl x509 -inform der -in "$P/other-root.der" -noout -subject -nameopt RFC2253 |
			sed "s/^subject=//")" ]'
else
	skip "the roots' subjects against openssl's: openssl is not installed"
fi
run pcreate "$T/none.cbor"
checkx "without --attestation-root the policy has none" \
	'[ "$RC" -eq 0 ] && [ "$("$CONSIGN" inspect --json "$T/none.cbor" | jq ".attestation_roots | length")" = 0 ]'

# PEM: the same certificate bytes as the DER
run pcreate "$T/pem.cbor" --attestation-root "Acme TEST=$T/root.pem"
run pcreate "$T/der.cbor" --attestation-root "Acme TEST=$P/root.der"
checkx "a PEM root gives the same stored root as its DER" \
	'[ "$("$CONSIGN" inspect --json "$T/pem.cbor" | jq -c .attestation_roots)" = \
	"$("$CONSIGN" inspect --json "$T/der.cbor" | jq -c .attestation_roots)" ] &&
	[ "$(roots "$T/pem.cbor")" = "Acme TEST $ROOT_SHA" ]'
{ echo "subject=O = consign TEST maker (what openssl x509 -text prints first)"; pem "$P/root.der"; echo; } >"$T/texted.pem"
run pcreate "$T/texted.cbor" --attestation-root "Acme TEST=$T/texted.pem"
checkx "... also with text around the PEM block (exit $RC)" \
	'[ "$RC" -eq 0 ] && [ "$(roots "$T/texted.cbor")" = "Acme TEST $ROOT_SHA" ]'
# PEM line endings of another system
sed 's/$/\r/' "$T/root.pem" >"$T/crlf.pem"
run pcreate "$T/crlf.cbor" --attestation-root "Acme TEST=$T/crlf.pem"
checkx "... and with CRLF line ends (exit $RC)" \
	'[ "$RC" -eq 0 ] && [ "$(roots "$T/crlf.cbor")" = "Acme TEST $ROOT_SHA" ]'

# refusals: exit 2, one line naming what is wrong, nothing written
# refused_by CREATE WHAT DESC MESSAGE OPTIONS...: CREATE (pcreate or
# ocreate) with OPTIONS exits 2 with one line, MESSAGE, on stderr, and writes
# nothing; WHAT names it in the test line
refused_by() {
	local create=$1 what=$2 desc=$3 msg=$4
	shift 4
	rm -f "$T/bad.cbor"
	run "$create" "$T/bad.cbor" "$@"
	if [ "$RC" -eq 2 ] && grep -q -- "$msg" "$T/err" && [ ! -e "$T/bad.cbor" ] &&
		[ "$(grep -c "^consign: " "$T/err")" -eq 1 ]; then
		ok "$what: $desc"
	else
		notok "$what: $desc (exit $RC, want 2 with '$msg'): $(head -c 300 "$T/err" | tr '\n' ' ')"
	fi
}
# refused DESC MESSAGE OPTIONS...: policy create refuses OPTIONS
refused() { refused_by pcreate refused "$@"; }
cat "$T/root.pem" "$T/root.pem" >"$T/two.pem"
refused "a PEM file with two certificates" \
	"two.pem: attestation root a: more than one PEM block" --attestation-root "a=$T/two.pem"
{ pem "$P/root.der"; pem "$P/inter.der"; } >"$T/chain.pem"
refused "a PEM chain (two different certificates)" "more than one PEM block" \
	--attestation-root "a=$T/chain.pem"
cat "$P/root.der" "$P/inter.der" >"$T/two.der"
refused "two DER certificates in one file" "two.der: attestation root a: not exactly one DER certificate" \
	--attestation-root "a=$T/two.der"
{ cat "$P/root.der"; printf '\0'; } >"$T/trailing.der"
refused "a DER certificate with a byte after it" "not exactly one DER certificate" \
	--attestation-root "a=$T/trailing.der"
head -c 300 "$P/root.der" >"$T/cut.der"
refused "a truncated DER certificate" "cut.der: attestation root a: not exactly one DER certificate" \
	--attestation-root "a=$T/cut.der"
refused "a consign key file" "alice.pub: attestation root a: neither a DER certificate nor a PEM one" \
	--attestation-root "a=$K/alice.pub"
: >"$T/empty.der"
refused "an empty file" "empty.der: attestation root a: an empty file" --attestation-root "a=$T/empty.der"
pem "$P/root.der" "PUBLIC KEY" >"$T/key.pem"
refused "a PEM block that is not a certificate" "a PEM PUBLIC KEY, not a CERTIFICATE" \
	--attestation-root "a=$T/key.pem"
sed 's/^MII/XII/' "$T/root.pem" >"$T/garbled.pem"
refused "a PEM certificate whose content is not one" "garbled.pem: attestation root a: not exactly one DER certificate" \
	--attestation-root "a=$T/garbled.pem"
refused "no NAME" "wants NAME=FILE" --attestation-root "=$P/root.der"
refused "no FILE" "wants NAME=FILE" --attestation-root "name-only"
refused "a name of 65 characters" "at most 64 characters" \
	--attestation-root "$(printf 'n%.0s' $(seq 65))=$P/root.der"
refused "a name with a control character" "1-64 printable ASCII characters" \
	--attestation-root "$(printf 'a\tb')=$P/root.der"
refused "a name given twice" "attestation root name 'twice' given twice" \
	--attestation-root "twice=$P/root.der" --attestation-root "twice=$P/other-root.der"
refused "the same certificate twice (DER, then PEM)" \
	"root.pem: attestation root b: the same certificate as root a" \
	--attestation-root "a=$P/root.der" --attestation-root "b=$T/root.pem"
refused "five roots" "at most 4 attestation roots" \
	--attestation-root "r1=$P/root.der" --attestation-root "r2=$P/inter.der" \
	--attestation-root "r3=$P/other-root.der" --attestation-root "r4=$P/other-inter.der" \
	--attestation-root "r5=$P2/root.der"
rm -f "$T/bad.cbor"
run "$CONSIGN" policy create --threshold 2 --custodian "$K/alice.pub" --custodian "$K/bob.pub" \
	--custodian "$K/carol.pub" --office "$K/office.pub" -o "$T/bad.cbor" \
	--attestation-root "a=$T/missing.der"
checkx "a root file that does not exist is an I/O error naming it (exit $RC)" \
	'[ "$RC" -eq 3 ] && grep -q "missing.der: " "$T/err" && [ ! -e "$T/bad.cbor" ]'

# four roots fit a policy of three custodians; with sixteen custodians
# named at length the same four would take it above 4096 bytes
ROOTS4=(--attestation-root "r1=$P/root.der" --attestation-root "r2=$P/inter.der"
	--attestation-root "r3=$P/other-root.der" --attestation-root "r4=$P/other-inter.der")
run pcreate "$T/four.cbor" "${ROOTS4[@]}"
checkx "four roots are accepted (exit $RC)" \
	'[ "$RC" -eq 0 ] && [ "$(roots "$T/four.cbor" | wc -l)" -eq 4 ]'
echo "big pass" >"$T/big.pass"
many=()
for i in $(seq 1 16); do
	"$CONSIGN" keygen --id "custodian-number-$i-of-sixteen" \
		--name "$(printf 'Custodian %02d, a name as long as a name may be ........................' "$i" | cut -c1-64)" \
		--kdf interactive --passphrase-file "$T/big.pass" -o "$T/big$i" >/dev/null || notok "keygen big$i"
	many+=(--custodian "$T/big$i.pub")
done
run "$CONSIGN" policy create --threshold 9 "${many[@]}" --office "$K/office.pub" -o "$T/big0.cbor"
check "sixteen long-named custodians alone fit (exit $RC)" [ "$RC" -eq 0 ]
run "$CONSIGN" policy create --threshold 9 "${many[@]}" --office "$K/office.pub" \
	-o "$T/big.cbor" "${ROOTS4[@]}"
checkx "... with four roots the policy would be above 4096 bytes: refused (exit $RC), nothing written" \
	'[ "$RC" -eq 2 ] && grep -q "the policy would be above 4096 bytes: fewer or smaller roots" "$T/err" &&
	[ ! -e "$T/big.cbor" ]'
run "$CONSIGN" policy create --threshold 9 "${many[@]}" --office "$K/office.pub" \
	-o "$T/big3.cbor" "${ROOTS4[@]:0:6}"
checkx "... with three of them it fits, at most 4096 bytes of payload (exit $RC)" \
	'[ "$RC" -eq 0 ] && [ "$(roots "$T/big3.cbor" | wc -l)" -eq 3 ]'

# ---- sign shows the roots ----
run "$CONSIGN" sign --key "$K/alice.key" --passphrase-file "$K/alice.pass" --yes "$T/p1.cbor"
check "sign of a policy with roots (exit $RC)" [ "$RC" -eq 0 ]
check "... shows each root's name" grep -q "^  attest root: Acme TEST$" "$T/out"
check "... its subject" grep -q "^               subject CN=consign TEST maker root - not for production (maker)" "$T/out"
check "... and its SHA-256 in full" grep -q "^               SHA-256 $ROOT_SHA$" "$T/out"
check "... for every root" grep -q "^               SHA-256 $OTHER_SHA$" "$T/out"
checkx "... before the signature is added" \
	'[ "$(grep -n "SHA-256 $OTHER_SHA" "$T/out" | cut -d: -f1)" -lt "$(grep -n "signed by alice" "$T/out" | cut -d: -f1)" ]'
sign_as "$K" "$T/p1.cbor" bob
run "$CONSIGN" sign --key "$K/alice.key" --passphrase-file "$K/alice.pass" --yes "$T/none.cbor"
check "sign of a policy without roots says so" grep -q "^  attest root: none" "$T/out"

# ---- a rotation lists its roots anew ----
run "$CONSIGN" policy create --threshold 2 --custodian "$K/alice.pub" --custodian "$K/bob.pub" \
	--custodian "$K/carol.pub" --office "$K/office.pub" --previous "$T/p1.cbor" -o "$T/p2.cbor" \
	--attestation-root "other=$P/other-root.der" --attestation-root "second maker=$P2/root.der"
check "a rotation keeping one root and adding another (exit $RC)" [ "$RC" -eq 0 ]
check "... names the root it retires" grep -q "^  retired attestation root Acme TEST: sha256 $ROOT_SHA$" "$T/out"
checkx "... and not the one it keeps" '! grep -q "retired attestation root other" "$T/out"'
checkx "... carries the roots it lists, and only those" \
	'[ "$(roots "$T/p2.cbor")" = "other $OTHER_SHA
second maker $(sha "$P2/root.der")" ]'
run "$CONSIGN" sign --key "$K/carol.key" --passphrase-file "$K/carol.pass" --yes \
	--policy "$T/p1.cbor" "$T/p2.cbor"
checkx "sign of the rotation shows what it retires (exit $RC)" \
	'[ "$RC" -eq 0 ] && grep -q "^  retires:     attest root Acme TEST$" "$T/out" &&
	grep -A1 "retires:" "$T/out" | grep -q "SHA-256 $ROOT_SHA$" &&
	! grep -q "retires:     attest root other" "$T/out"'
run "$CONSIGN" policy create --threshold 2 --custodian "$K/alice.pub" --custodian "$K/bob.pub" \
	--custodian "$K/carol.pub" --office "$K/office.pub" --previous "$T/p1.cbor" -o "$T/p2none.cbor"
checkx "a rotation without --attestation-root retires every root (exit $RC)" \
	'[ "$RC" -eq 0 ] && [ "$(grep -c "^  retired attestation root" "$T/out")" -eq 2 ] &&
	[ "$("$CONSIGN" inspect --json "$T/p2none.cbor" | jq ".attestation_roots | length")" = 0 ]'

# ---- order create --evidence, --firmware-reference ----
"$M" reference >"$T/refs.txt"
check "mkattest reference gives two reference lines" [ "$(wc -l <"$T/refs.txt")" -eq 2 ]
H48=$(printf 'ab%.0s' $(seq 48))
H64=$(printf 'cd%.0s' $(seq 64))
H32=$(printf '0f%.0s' $(seq 32))
{
	echo "# the TEST firmware, and a component of any type with SHA-384 and SHA-512"
	echo
	cat "$T/refs.txt"
	printf '  *\t%s  %s\r\n' "$H48" "$H64"
	echo "   # an indented comment"
} >"$T/refs-all.txt"
# ocreate OUT [OPTIONS...]: order create under p1 (signed by alice and bob)
ocreate() {
	local out=$1
	shift
	"$CONSIGN" order create --policy "$T/p1.cbor" --batch B7 --product "Sensor v3" \
		--serials 1-100 --quantity 10 --station "$K/station.pub" -o "$out" "$@"
}
# refs_of ORDER: its firmware reference values as "TYPE MEASUREMENT SIGNER"
# lines, (any) for a value of any type
refs_of() {
	"$CONSIGN" inspect --json "$1" |
		jq -r '.firmware_references[] | "\(.type // "(any)") \(.measurement) \(.signer)"'
}
run ocreate "$T/o-fw.cbor" --evidence firmware --firmware-reference "$T/refs.txt"
check "order create --evidence firmware --firmware-reference (exit $RC)" [ "$RC" -eq 0 ]
check "... says what it requires" \
	grep -q "^  evidence required: firmware, 2 firmware reference values$" "$T/out"
checkx "... the order requires firmware evidence" \
	'[ "$("$CONSIGN" inspect --json "$T/o-fw.cbor" | jq -c .evidence)" = "[\"firmware\"]" ]'
checkx "... and carries the reference values as mkattest printed them" \
	'[ "$(refs_of "$T/o-fw.cbor")" = "$(cat "$T/refs.txt")" ]'
run ocreate "$T/o-all.cbor" --evidence both --firmware-reference "$T/refs-all.txt"
checkx "--evidence both, comments, blanks, tabs, CRLF, * and 48/64-byte values (exit $RC)" \
	'[ "$RC" -eq 0 ] && [ "$(refs_of "$T/o-all.cbor")" = "$(cat "$T/refs.txt"; echo "(any) $H48 $H64")" ] &&
	[ "$("$CONSIGN" inspect --json "$T/o-all.cbor" | jq -c .evidence)" = "[\"secure-element\",\"firmware\"]" ]'
run ocreate "$T/o-se.cbor" --evidence secure-element
checkx "--evidence secure-element: no reference values (exit $RC)" \
	'[ "$RC" -eq 0 ] && [ "$("$CONSIGN" inspect --json "$T/o-se.cbor" | jq -c "[.evidence, .firmware_references]")" = "[[\"secure-element\"],[]]" ]'
run ocreate "$T/o-none.cbor"
checkx "no --evidence: none required (exit $RC)" \
	'[ "$RC" -eq 0 ] && [ "$("$CONSIGN" inspect --json "$T/o-none.cbor" | jq -c .evidence)" = "[]" ] &&
	! grep -q "evidence required" "$T/out"'
run ocreate "$T/o-none2.cbor" --evidence none
checkx "--evidence none is the same" \
	'[ "$RC" -eq 0 ] && [ "$("$CONSIGN" inspect --json "$T/o-none2.cbor" | jq -c .evidence)" = "[]" ]'

# orefused DESC MESSAGE OPTIONS...: order create refuses OPTIONS
orefused() { refused_by ocreate "order refused" "$@"; }
orefused "firmware evidence without --firmware-reference" "needs --firmware-reference FILE" \
	--evidence firmware
orefused "both without --firmware-reference" "needs --firmware-reference FILE" --evidence both
orefused "--firmware-reference without firmware evidence" \
	"--firmware-reference applies when --evidence is firmware or both" \
	--evidence secure-element --firmware-reference "$T/refs.txt"
orefused "--firmware-reference alone" "--firmware-reference applies" \
	--firmware-reference "$T/refs.txt"
orefused "an unknown --evidence" "--evidence must be none, secure-element, firmware or both" \
	--evidence tpm
# badref DESC LINE WHY CONTENT: a reference file whose LINE is refused for WHY
badref() {
	printf '%s' "$4" >"$T/bad.refs"
	orefused "reference file: $1" "bad.refs:$2: $3" --evidence firmware --firmware-reference "$T/bad.refs"
}
GOOD="BL $H32 $H32"
badref "two fields" 2 "2 fields, 3 expected: TYPE MEASUREMENT SIGNER" "# c
BL $H32
"
badref "four fields" 1 "4 fields, 3 expected" "BL $H32 $H32 extra
"
badref "a trailing comment is a field" 1 "5 fields, 3 expected" "BL $H32 $H32 # bootloader
"
badref "a measurement of 31 bytes" 3 "MEASUREMENT must be the hex of 32, 48 or 64 bytes" "$GOOD

BL ${H32:2} $H32
"
badref "a measurement of 33 bytes" 1 "MEASUREMENT must be the hex" "BL ${H32}00 $H32
"
badref "a measurement that is not hex" 1 "MEASUREMENT must be the hex" "BL ${H32:2}zz $H32
"
badref "a signer of 40 bytes" 1 "SIGNER must be the hex of 32, 48 or 64 bytes" "BL $H32 $H32${H32:0:16}
"
badref "an odd number of hex digits" 1 "SIGNER must be the hex" "BL $H32 ${H32}0
"
badref "a type of 33 characters" 1 "TYPE must be 1-32 printable characters, or \* for any type" \
	"$(printf 'T%.0s' $(seq 33)) $H32 $H32
"
badref "a control byte" 1 "byte 0x01 at column 3 is not printable ASCII" "$(printf 'BL\001') $H32 $H32
"
badref "a byte above ASCII" 2 "byte 0xc3 at column 2 is not printable ASCII" "$GOOD
Bé $H32 $H32
"
badref "the same line twice" 4 "repeats line 2" "# the bootloader
$GOOD
App $H64 $H32
$GOOD
"
lines=""
for i in $(seq 1 17); do lines="$lines
T$i $H32 $H32"; done
badref "seventeen reference values" 18 "more than 16 reference values" "$lines
"
lines=""
for i in $(seq 1 16); do lines="$lines
T$i $H32 $H32"; done
printf '%s\n' "$lines" >"$T/sixteen.refs"
run ocreate "$T/o16.cbor" --evidence firmware --firmware-reference "$T/sixteen.refs"
checkx "sixteen reference values are accepted (exit $RC)" \
	'[ "$RC" -eq 0 ] && [ "$(refs_of "$T/o16.cbor" | wc -l)" -eq 16 ]'
printf '# nothing but comments\n\n' >"$T/bad.refs"
orefused "reference file: no reference values" "bad.refs: no reference values" \
	--evidence firmware --firmware-reference "$T/bad.refs"
run ocreate "$T/obad.cbor" --evidence firmware --firmware-reference "$T/no-such.refs"
checkx "a reference file that does not exist is an I/O error naming it (exit $RC)" \
	'[ "$RC" -eq 3 ] && grep -q "no-such.refs: " "$T/err" && [ ! -e "$T/obad.cbor" ]'

# an order requiring evidence under a policy that pins no roots: warned
sign_as "$K" "$T/none.cbor" bob
run "$CONSIGN" order create --policy "$T/none.cbor" --batch B8 --product "Sensor v3" \
	--serials 1-100 --quantity 10 --station "$K/station.pub" -o "$T/o-noroots.cbor" \
	--evidence secure-element
checkx "evidence required under a policy without roots: written, with a warning (exit $RC)" \
	'[ "$RC" -eq 0 ] && grep -q "warning: .*pins no attestation roots" "$T/err"'

# ---- sign shows the evidence and the reference values ----
run "$CONSIGN" sign --key "$K/alice.key" --passphrase-file "$K/alice.pass" --yes \
	--policy "$T/p1.cbor" "$T/o-all.cbor"
check "sign of an order requiring evidence (exit $RC)" [ "$RC" -eq 0 ]
check "... shows the evidence required" grep -q "^  evidence:    secure-element+firmware$" "$T/out"
read -r t1 m1 s1 < <(head -1 "$T/refs.txt")
checkx "... each reference value: its type, measurement and signer id in full" \
	'grep -A2 "^  firmware 1:  type $t1$" "$T/out" | grep -q "^               measurement $m1$" &&
	grep -A2 "^  firmware 1:  type $t1$" "$T/out" | grep -q "^               signer id   $s1$"'
checkx "... a value of any type as such, in full (48 and 64 bytes)" \
	'grep -A2 "^  firmware 3:  any type$" "$T/out" | grep -q "^               measurement $H48$" &&
	grep -A2 "^  firmware 3:  any type$" "$T/out" | grep -q "^               signer id   $H64$"'
check "... all three of them" [ "$(grep -c "^  firmware [0-9]*: " "$T/out")" -eq 3 ]
run "$CONSIGN" sign --key "$K/alice.key" --passphrase-file "$K/alice.pass" --yes \
	--policy "$T/p1.cbor" "$T/o-none.cbor"
checkx "sign of an order without evidence says none is required" \
	'[ "$RC" -eq 0 ] && grep -q "^  evidence:    none required$" "$T/out" && ! grep -q "^  firmware" "$T/out"'
run "$CONSIGN" sign --key "$K/alice.key" --passphrase-file "$K/alice.pass" --yes \
	--policy "$T/none.cbor" "$T/o-noroots.cbor"
checkx "sign of an order requiring evidence under a policy without roots warns" \
	'[ "$RC" -eq 0 ] && grep -q "warning: the order requires evidence, but its policy pins no attestation roots" "$T/err"'
check "what that sign showed holds no control byte" no_ctl "$T/out"
