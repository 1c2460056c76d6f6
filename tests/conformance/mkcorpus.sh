#!/usr/bin/env bash
# Writes the conformance corpus (manifests/conformance/) and its index from
# fixed seeds: every file is written field by field from the spec (CDDL and
# prose) with tests/tools/mkconf and tests/conformance/mkzip.py, and signed
# with keys from the golden seeds, so a second run makes the same bytes.
# The verdict each case expects is written here, next to the commands that
# make it, from manifests/ alone: never copied from consign's output.
#   tests/conformance/mkcorpus.sh BUILD_DIR OUT_DIR
set -eu
export TZ=UTC LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=$(cd "$1" && pwd)
mkdir -p "$2"
OUT=$(cd "$2" && pwd)
MK=$BUILD/tools/mkconf
ZIP="python3 $HERE/mkzip.py"
G=$ROOT/manifests/golden
W=$(mktemp -d "${TMPDIR:-/tmp}/mkcorpus.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$OUT"
INDEX=$OUT/index.tsv

# ---- the index -------------------------------------------------------------
# case FILE POLICY CHAIN EXTRA EXIT REASONS SECTION: one line of the index
# (columns in manifests/README.md, "The conformance corpus").
case_() {
	[ $# -eq 7 ] || { echo "mkcorpus: case $1: want 7 columns" >&2; exit 2; }
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$INDEX"
}

# ---- writing artifacts -----------------------------------------------------
cb() { "$MK" cbor "$1" "$2"; }
hex() { od -An -v -tx1 "$1" | tr -d ' \n'; }
texthex() { printf %s "$1" | od -An -v -tx1 | tr -d ' \n'; }
dig() { "$MK" digest "$1" "$2"; } # KIND PAYLOAD-FILE
ct() { echo "\"application/vnd.consign.$1+cbor\""; }

# sign1 KIND KEY PAYLOAD OUT [KID-KEY [TAG]]: COSE_Sign1 (formats.md, COSE
# profile) by KEY; KID-KEY names another key's id in the header.
sign1() {
	local kind=$1 key=$2 pl=$3 out=$4 kidk=${5:-$2} tag=${6:-18} prot sig
	prot="<<{1: -8, 3: $(ct "$kind"), 4: kid($kidk)}>>"
	cb "[\"Signature1\", $prot, h'', @$pl]" "$W/tbs" || return 1
	sig=$("$MK" sig "$key" "$W/tbs") || return 1
	cb "$tag([$prot, {}, @$pl, h'$sig'])" "$out"
}

# sign KIND PAYLOAD OUT SIGNER...: COSE_Sign with one signature per SIGNER,
# in the order given; SIGNER is KEY, or KID-KEY/KEY for a signature by KEY
# under another key's id (one that does not verify).
sign() {
	local kind=$1 pl=$2 out=$3 s kidk key bprot sprot sig sigs=""
	shift 3
	bprot="<<{3: $(ct "$kind")}>>"
	for s in "$@"; do
		kidk=${s%%/*} key=${s#*/}
		sprot="<<{1: -8, 4: kid($kidk)}>>"
		cb "[\"Signature\", $bprot, $sprot, h'', @$pl]" "$W/tbs"
		sig=$("$MK" sig "$key" "$W/tbs")
		sigs="$sigs[$sprot, {}, h'$sig'],"
	done
	cb "98([$bprot, {}, @$pl, [$sigs]])" "$out"
}

# ---- the deployment, policies and orders (formats.md) ------------------------
DEP="h'$(printf 'consign golden deployment' | sha256sum | cut -c1-32)'"
DEP2="h'$(printf 'consign conformance deployment 2' | sha256sum | cut -c1-32)'"
NONCE="h'$(printf 'consign golden nonce' | sha256sum | cut -c1-64)'"
SMALL="h'0100000000000000000000000000000000000000000000000000000000000000'" # order 1
cust() { echo "{0: \"$1\", 1: \"$2 Custodian\", 2: pk($1)}"; }
ALICE=$(cust alice Alice) BOB=$(cust bob Bob) CAROL=$(cust carol Carol) DAVE=$(cust dave Dave)

# policy_pl OUT [DEPLOYMENT VERSION PREVIOUS THRESHOLD CUSTODIANS OFFICE]
policy_pl() {
	cb "{0: 1, 1: ${2:-$DEP}, 2: \"policy\", 3: ${3:-1}, 4: ${4:-null}, 5: ${5:-2},
	     6: [${6:-$ALICE, $BOB, $CAROL}], 7: ${7:-pk(office)}}" "$1"
}

mkdir -p policy order record header receipt withdrawal batch zip release released encoding \
	command
policy_pl "$W/p1"
sign policy "$W/p1" policy.cbor alice bob
# the helpers above write the golden policy byte for byte, or nothing here is trusted
cmp -s policy.cbor "$G/policy.cbor" || { echo "mkcorpus: policy.cbor is not the golden one" >&2; exit 2; }
P1=$(dig policy "$W/p1")
policy_pl "$W/p2" "$DEP" 2 "h'$P1'" 2 "$ALICE, $CAROL, $DAVE"
sign policy "$W/p2" policy-v2.cbor alice bob carol
cmp -s policy-v2.cbor "$G/policy-v2.cbor" || { echo "mkcorpus: policy-v2.cbor is not the golden one" >&2; exit 2; }
P2=$(dig policy "$W/p2")
case_ policy.cbor - - - 0 - formats.md#first-policy
case_ policy.cbor policy.cbor - - 0 - formats.md#what-a-verifier-decides
case_ policy-v2.cbor policy.cbor - - 0 - formats.md#rotation

# order_pl OUT [POLICY-DIGEST DEPLOYMENT QUANTITY STATIONS FIRST LAST]
order_pl() {
	cb "{0: 1, 1: ${3:-$DEP}, 2: \"order\", 3: h'${2:-$P1}', 4: \"B42\", 5: \"Sensor v2\",
	     6: ${6:-1000}, 7: ${7:-1999}, 8: ${4:-1000}, 9: $NONCE, 10: [${5:-pk(station)}]}" "$1"
}
order_pl "$W/o1"
sign order "$W/o1" order.cbor alice bob
cmp -s order.cbor "$G/order.cbor" || { echo "mkcorpus: order.cbor is not the golden one" >&2; exit 2; }
O1=$(dig order "$W/o1")
case_ order.cbor policy.cbor - - 0 - formats.md#order

# ---- policies: threshold counting, rotation (formats.md) ----------------------
S=formats.md#threshold-counting
sign policy "$W/p1" policy/one-signature.cbor alice
case_ policy/one-signature.cbor - - - 1 policy-threshold $S
sign policy "$W/p1" policy/repeated-signer.cbor alice alice
case_ policy/repeated-signer.cbor - - - 1 policy-threshold $S
sign policy "$W/p1" policy/bad-signature.cbor alice bob/carol
case_ policy/bad-signature.cbor - - - 1 policy-threshold $S
sign policy "$W/p1" policy/unknown-key.cbor alice eve
case_ policy/unknown-key.cbor - - - 1 policy-threshold $S
# an unknown key beside M valid signatures is shown, never counted: accepted
sign policy "$W/p1" policy/extra-unknown-key.cbor alice eve bob
case_ policy/extra-unknown-key.cbor - - - 0 - $S
sign policy "$W/p1" policy/unsigned-draft.cbor
case_ policy/unsigned-draft.cbor - - - 1 policy-threshold formats.md#cose-profile
S=formats.md#rotation
case_ policy-v2.cbor - - - 2 usage formats.md#what-a-verifier-decides
case_ policy-v2.cbor policy-v2.cbor - - 0 - formats.md#what-a-verifier-decides
sign policy "$W/p2" policy/rotation-previous-short.cbor carol dave
case_ policy/rotation-previous-short.cbor policy.cbor - - 1 policy-threshold-previous $S
sign policy "$W/p2" policy/rotation-own-short.cbor alice bob
case_ policy/rotation-own-short.cbor policy.cbor - - 1 policy-threshold $S
policy_pl "$W/p" "$DEP2" 2 "h'$P1'" 2 "$ALICE, $CAROL, $DAVE"
sign policy "$W/p" policy/rotation-deployment.cbor alice bob carol
case_ policy/rotation-deployment.cbor policy.cbor - - 1 policy-deployment $S
case_ policy.cbor policy-v2.cbor - - 1 policy-rollback $S
policy_pl "$W/p" "$DEP" 2 "h'$P1'" 2 "$ALICE, $BOB, $DAVE"
sign policy "$W/p" policy/fork.cbor alice bob dave
case_ policy/fork.cbor policy-v2.cbor - - 1 policy-fork $S
policy_pl "$W/p" "$DEP" 2 "h'$(printf '%064d' 0)'" 2 "$ALICE, $CAROL, $DAVE"
sign policy "$W/p" policy/wrong-predecessor.cbor alice bob carol
case_ policy/wrong-predecessor.cbor policy.cbor - - 1 policy-predecessor $S
policy_pl "$W/p" "$DEP" 3 "h'$P2'" 2 "$ALICE, $CAROL, $DAVE"
sign policy "$W/p" policy/version-3.cbor alice carol dave
case_ policy/version-3.cbor policy.cbor - - 1 policy-predecessor $S
S=formats.md#which-reason-an-invalid-public-key-gets
policy_pl "$W/p" "$DEP" 1 null 2 "$ALICE, $BOB, {0: \"mallory\", 1: \"Mallory\", 2: $SMALL}"
sign policy "$W/p" policy/invalid-custodian-key.cbor alice bob
case_ policy/invalid-custodian-key.cbor - - - 3 schema $S
policy_pl "$W/p" "$DEP" 1 null 2 "$ALICE, $BOB, $CAROL" "$SMALL"
sign policy "$W/p" policy/invalid-office-key.cbor alice bob
case_ policy/invalid-office-key.cbor - - - 3 schema $S
policy_pl "$W/p" "$DEP" 1 null 4 "$ALICE, $BOB, $CAROL"
sign policy "$W/p" policy/threshold-above-n.cbor alice bob carol
case_ policy/threshold-above-n.cbor - - - 3 schema formats.md#policy

# ---- orders (formats.md) --------------------------------------------------------
S=formats.md#order
case_ order.cbor - - - 2 usage formats.md#what-a-verifier-decides
# the --policy file is checked first: without M signatures of its own, nothing is verified against it
case_ order.cbor policy/one-signature.cbor - - 1 policy-threshold formats.md#what-a-verifier-decides
# a --policy that is not a policy: a usage error of kind
case_ order.cbor order.cbor - - 2 kind formats.md#envelope-against-expectation
sign order "$W/o1" order/one-signature.cbor bob
case_ order/one-signature.cbor policy.cbor - - 1 order-threshold $S
sign order "$W/o1" order/bad-signature.cbor alice bob/eve
case_ order/bad-signature.cbor policy.cbor - - 1 order-threshold $S
sign order "$W/o1" order/custodian-of-v2.cbor alice dave
case_ order/custodian-of-v2.cbor policy.cbor - - 1 order-threshold $S
order_pl "$W/o" "$P2"
sign order "$W/o" order/other-policy.cbor alice bob
case_ order/other-policy.cbor policy.cbor - - 1 order-policy $S
order_pl "$W/o" "$P1" "$DEP2"
sign order "$W/o" order/other-deployment.cbor alice bob
case_ order/other-deployment.cbor policy.cbor - - 1 order-deployment $S
order_pl "$W/o" "$P1" "$DEP" 1000 "pk(station), $SMALL"
sign order "$W/o" order/invalid-station-key.cbor alice bob
case_ order/invalid-station-key.cbor policy.cbor - - 3 schema formats.md#which-reason-an-invalid-public-key-gets
order_pl "$W/o" "$P1" "$DEP" 3 "pk(station)" 1000 1001
sign order "$W/o" order/quantity-above-range.cbor alice bob
case_ order/quantity-above-range.cbor policy.cbor - - 3 schema $S
cb "{0: 1, 1: $DEP, 2: \"order\", 3: h'$P1', 4: \"B42\", 5: \"Sensor\\\\v2\", 6: 1000, 7: 1999,
     8: 1000, 9: $NONCE, 10: [pk(station)]}" "$W/o"
sign order "$W/o" order/product-backslash.cbor alice bob
case_ order/product-backslash.cbor policy.cbor - - 0 - formats.md#encoding
cb "{0: 1, 1: $DEP, 2: \"order\", 3: h'$P1', 4: \"B42\", 5: \"Sensor$(printf '\t')v2\", 6: 1000,
     7: 1999, 8: 1000, 9: $NONCE, 10: [pk(station)]}" "$W/o"
sign order "$W/o" order/product-control.cbor alice bob
case_ order/product-control.cbor policy.cbor - - 3 schema formats.md#encoding
cb "{0: 1, 1: $DEP, 2: \"order\", 3: h'$P1', 4: \"B 42\", 5: \"Sensor v2\", 6: 1000,
     7: 1999, 8: 1000, 9: $NONCE, 10: [pk(station)]}" "$W/o"
sign order "$W/o" order/batch-id-space.cbor alice bob
case_ order/batch-id-space.cbor policy.cbor - - 3 schema formats.md#encoding
# a small order for quantity-exceeded below: 3 devices of 1000..1999
order_pl "$W/oq" "$P1" "$DEP" 3
sign order "$W/oq" order/quantity-3.cbor alice bob
OQ=$(dig order "$W/oq")
case_ order/quantity-3.cbor policy.cbor - - 0 - $S

# ---- encoding, precedence, the envelope (formats.md) -----------------------------
# each payload is signed validly: the refusal must come from the reader's rules
S=formats.md#precedence
POLF="1: $DEP, 2: \"policy\", 3: 1, 4: null, 5: 2, 6: [$ALICE, $BOB, $CAROL], 7: pk(office)"
# keys 4 and 5 swapped: reading in order would first find field 4 "missing"; it is cbor
cb "{0: 1, 1: $DEP, 2: \"policy\", 3: 1, 5: 2, 4: null, 6: [$ALICE, $BOB, $CAROL], 7: pk(office)}" "$W/p"
sign policy "$W/p" encoding/unsorted-keys.cbor alice bob
case_ encoding/unsorted-keys.cbor - - - 3 cbor $S
# a wrong type early (field 3 text) and a cbor fault late (keys 7 and 6 swapped): cbor wins
cb "{0: 1, 1: $DEP, 2: \"policy\", 3: \"one\", 4: null, 5: 2, 7: pk(office), 6: [$ALICE, $BOB, $CAROL]}" "$W/p"
sign policy "$W/p" encoding/schema-then-cbor.cbor alice bob
case_ encoding/schema-then-cbor.cbor - - - 3 cbor $S
cb "{0: 1, $POLF, 7: pk(office)}" "$W/p"
sign policy "$W/p" encoding/duplicate-key.cbor alice bob
case_ encoding/duplicate-key.cbor - - - 3 cbor formats.md#encoding
cb "{0: 1, 1: $DEP, 2: \"policy\", 3: 1, 4: null, 5: raw'1802', 6: [$ALICE, $BOB, $CAROL], 7: pk(office)}" "$W/p"
sign policy "$W/p" encoding/non-shortest.cbor alice bob
case_ encoding/non-shortest.cbor - - - 3 cbor formats.md#encoding
cb "$ALICE" "$W/a" && cb "$BOB" "$W/b" && cb "$CAROL" "$W/c"
cb "{0: 1, 1: $DEP, 2: \"policy\", 3: 1, 4: null, 5: 2, 6: raw'9f$(hex "$W/a")$(hex "$W/b")$(hex "$W/c")ff', 7: pk(office)}" "$W/p"
sign policy "$W/p" encoding/indefinite.cbor alice bob
case_ encoding/indefinite.cbor - - - 3 cbor formats.md#encoding
cb "{0: 1, 1: $DEP, 2: \"policy\", 3: 1, 4: null, 5: raw'f94000', 6: [$ALICE, $BOB, $CAROL], 7: pk(office)}" "$W/p"
sign policy "$W/p" encoding/float.cbor alice bob
case_ encoding/float.cbor - - - 3 cbor formats.md#encoding
cb "{0: 1, $POLF} raw'00'" "$W/p" 2>/dev/null || { cb "{0: 1, $POLF}" "$W/p" && printf '\0' >>"$W/p"; }
sign policy "$W/p" encoding/payload-trailing.cbor alice bob
case_ encoding/payload-trailing.cbor - - - 3 cbor formats.md#encoding
cp policy.cbor encoding/envelope-trailing.cbor && printf '\0' >>encoding/envelope-trailing.cbor
case_ encoding/envelope-trailing.cbor - - - 3 cbor formats.md#encoding
head -c 200 policy.cbor >encoding/truncated.cbor
case_ encoding/truncated.cbor - - - 3 cbor formats.md#encoding
# nesting: the payload map is level 1; an unknown field 8 holding 15 nested
# arrays (the innermost empty) reaches level 16, allowed, so the fault is the
# unknown field (schema); 16 nested arrays reach level 17 (cbor)
deep() { local s="[]" i; for ((i = 1; i < $1; i++)); do s="[$s]"; done; echo "$s"; }
cb "{0: 1, $POLF, 8: $(deep 15)}" "$W/p"
sign policy "$W/p" encoding/nesting-16.cbor alice bob
case_ encoding/nesting-16.cbor - - - 3 schema formats.md#precedence
cb "{0: 1, $POLF, 8: $(deep 16)}" "$W/p"
sign policy "$W/p" encoding/nesting-17.cbor alice bob
case_ encoding/nesting-17.cbor - - - 3 cbor formats.md#precedence
cb "{0: 1, $POLF, 8: 0}" "$W/p"
sign policy "$W/p" encoding/unknown-field.cbor alice bob
case_ encoding/unknown-field.cbor - - - 3 schema formats.md#encoding
cb "{0: 1, 1: $DEP, 2: \"policy\", 3: 1, 4: null, 5: 2, 6: [$ALICE, $BOB, $CAROL]}" "$W/p"
sign policy "$W/p" encoding/missing-field.cbor alice bob
case_ encoding/missing-field.cbor - - - 3 schema formats.md#encoding
cb "{0: 2, $POLF}" "$W/p"
sign policy "$W/p" encoding/format-version-2.cbor alice bob
case_ encoding/format-version-2.cbor - - - 3 schema formats.md#common-fields
S=formats.md#envelope-against-expectation
"$MK" payload policy.cbor "$W/p"
# the envelope: another tag, no tag, a COSE_Sign1 for a COSE_Sign kind
cb "99([<<{3: $(ct policy)}>>, {}, @$W/p, []])" encoding/tag-99.cbor
case_ encoding/tag-99.cbor - - - 3 schema $S
cb "[<<{3: $(ct policy)}>>, {}, @$W/p, []]" encoding/untagged.cbor
case_ encoding/untagged.cbor - - - 3 schema $S
sign1 policy alice "$W/p" encoding/policy-as-sign1.cbor
case_ encoding/policy-as-sign1.cbor - - - 3 schema $S
# the payload's kind field (key 2) contradicts the content type
cb "{0: 1, 1: $DEP, 2: \"order\", 3: 1, 4: null, 5: 2, 6: [$ALICE, $BOB, $CAROL], 7: pk(office)}" "$W/p"
sign policy "$W/p" encoding/kind-field-contradicts.cbor alice bob
case_ encoding/kind-field-contradicts.cbor - - - 3 schema $S
# the COSE profile: a non-empty unprotected header, another algorithm
"$MK" payload policy.cbor "$W/p"
cb "[\"Signature\", <<{3: $(ct policy)}>>, <<{1: -8, 4: kid(alice)}>>, h'', @$W/p]" "$W/tbs"
SA=$("$MK" sig alice "$W/tbs")
cb "[\"Signature\", <<{3: $(ct policy)}>>, <<{1: -8, 4: kid(bob)}>>, h'', @$W/p]" "$W/tbs"
SB=$("$MK" sig bob "$W/tbs")
cb "98([<<{3: $(ct policy)}>>, {4: kid(alice)}, @$W/p, [[<<{1: -8, 4: kid(alice)}>>, {}, h'$SA'], [<<{1: -8, 4: kid(bob)}>>, {}, h'$SB']]])" encoding/unprotected-label.cbor
case_ encoding/unprotected-label.cbor - - - 3 schema formats.md#cose-profile
cb "[\"Signature\", <<{3: $(ct policy)}>>, <<{1: -7, 4: kid(bob)}>>, h'', @$W/p]" "$W/tbs"
SB7=$("$MK" sig bob "$W/tbs")
cb "98([<<{3: $(ct policy)}>>, {}, @$W/p, [[<<{1: -8, 4: kid(alice)}>>, {}, h'$SA'], [<<{1: -7, 4: kid(bob)}>>, {}, h'$SB7']]])" encoding/algorithm-es256.cbor
case_ encoding/algorithm-es256.cbor - - - 3 schema formats.md#cose-profile
# signatures in another order than writers use (by kid): readers take any order
cb "98([<<{3: $(ct policy)}>>, {}, @$W/p, [[<<{1: -8, 4: kid(bob)}>>, {}, h'$SB'], [<<{1: -8, 4: kid(alice)}>>, {}, h'$SA']]])" encoding/signatures-unsorted.cbor
case_ encoding/signatures-unsorted.cbor - - - 0 - formats.md#cose-profile
# a file that is no CBOR at all, and one that is not there
printf 'consign public key: alice\n' >encoding/text.cbor
case_ encoding/text.cbor - - - 3 cbor formats.md#encoding
case_ encoding/absent.cbor - - - 3 io reasons.md#encoding-and-files

# ---- a device record and a batch header on their own (formats.md) ----------------
S=formats.md#what-a-verifier-decides
HW0=$(printf 'consign golden hardware id' | sha256sum | cut -c1-24)
# rec OUT KEY SERIAL HWID-HEX: a device record signed by KEY (its proof of
# possession); R_DEP, R_BATCH, R_NONCE, R_FW, R_SIGNER (another signing key),
# R_KID (another key id) and R_MORE (more fields) change it
rec() {
	cb "{0: 1, 1: ${R_DEP:-$DEP}, 2: \"record\", 3: $3, 4: pk($2), 5: h'$4', 6: \"${R_FW:-1.4.2}\",
	     7: \"${R_BATCH:-B42}\", 8: ${R_NONCE:-$NONCE}${R_MORE:-}}" "$W/rp" &&
		sign1 record "${R_SIGNER:-$2}" "$W/rp" "$1" "${R_KID:-$2}"
}
rec record.cbor device 1000 "$HW0"
cmp -s record.cbor "$G/record.cbor" || { echo "mkcorpus: record.cbor is not the golden one" >&2; exit 2; }
case_ record.cbor - - - 0 - $S
R_MORE=", 9: [\"x509-chain\", h'308201']" rec record/attestation.cbor device 1000 "$HW0"
case_ record/attestation.cbor - - - 0 - formats.md#device-record
R_SIGNER=eve rec record/other-signer.cbor device 1000 "$HW0"
case_ record/other-signer.cbor - - - 1 record-signature $S
R_KID=eve R_SIGNER=device rec record/kid-of-another-key.cbor device 1000 "$HW0"
case_ record/kid-of-another-key.cbor - - - 1 record-signature release.md#what-a-release-asserts
# a key of mixed order whose signature verifies (the firmware text is varied
# until its hash is even): only the prime-order check refuses it
keyinvalid() { # OUT KEY SERIAL HWID-HEX
	local i
	for ((i = 0; i < 64; i++)); do
		R_FW=2.0.$i R_SIGNER=mixed:$2 R_KID=mixed:$2 rec "$1" "mixed:$2" "$3" "$4" 2>/dev/null &&
			return 0
	done
	echo "mkcorpus: no even hash for mixed:$2" >&2
	exit 2
}
keyinvalid record/key-invalid.cbor device 1000 "$HW0"
case_ record/key-invalid.cbor - - - 1 record-key-invalid formats.md#which-reason-an-invalid-public-key-gets
R_DEP=$DEP2 R_NONCE="h'$(printf %064d 0)'" rec record/other-order.cbor device 1000 "$HW0"
case_ record/other-order.cbor - - - 0 - $S

# hdr OUT RECORDS COUNT: a batch header over RECORDS (its SHA-256) for the
# golden order, signed by the station; H_ORDER, H_BATCH, H_DEP, H_DIGEST,
# H_STATION (field 8), H_SIGNER, H_KID change it
hdr() {
	local rd
	rd=$(sha256sum "$2" | cut -c1-64)
	cb "{0: 1, 1: ${H_DEP:-$DEP}, 2: \"batch-header\", 3: h'${H_ORDER:-$O1}', 4: \"${H_BATCH:-B42}\",
	     5: $3, 6: h'${H_DIGEST:-$rd}', 7: ${H_CREATED:-1700000000}, 8: ${H_STATION:-pk(station)}}" "$W/hp" &&
		sign1 batch-header "${H_SIGNER:-station}" "$W/hp" "$1" "${H_KID:-station}"
}
H_CREATED=1764028800 hdr header.cbor record.cbor 1
cmp -s header.cbor "$G/header.cbor" || { echo "mkcorpus: header.cbor is not the golden one" >&2; exit 2; }
case_ header.cbor - - - 0 - $S
H_CREATED=1764028800 H_SIGNER=eve hdr header/other-signer.cbor record.cbor 1
case_ header/other-signer.cbor - - - 1 signature $S
# alone, a header naming a key outside every order is judged by its signature only
H_CREATED=1764028800 H_STATION="pk(station2)" H_SIGNER=station2 H_KID=station2 hdr header/station2.cbor record.cbor 1
case_ header/station2.cbor - - - 0 - $S
SMALLKID=$(printf '\1%031d' 0 | tr 0 '\0' | sha256sum | cut -c1-32)
H_CREATED=1764028800 H_STATION=$SMALL hdr "$W/h" record.cbor 1
"$MK" payload "$W/h" "$W/hp"
cb "[\"Signature1\", <<{1: -8, 3: $(ct batch-header), 4: h'$SMALLKID'}>>, h'', @$W/hp]" "$W/tbs"
cb "18([<<{1: -8, 3: $(ct batch-header), 4: h'$SMALLKID'}>>, {}, @$W/hp, h'$("$MK" sig station "$W/tbs")'])" header/invalid-station-key.cbor
case_ header/invalid-station-key.cbor - - - 1 signature formats.md#which-reason-an-invalid-public-key-gets

# ---- batches: content checks (batch.md, release.md) -------------------------------
# The golden order's devices: KEY dN-I, serial SERIAL, hardware id "hw-KEY".
dev() { rec "$W/$1.rec" "$1" "$2" "$(texthex "hw-$1")"; }
for i in 0 1 2 3; do dev "d1-$i" $((1000 + i)); done
for i in 0 1 2 3; do dev "d2-$i" $((1010 + i)); done
# bzip OUT COUNT RECORD-FILE...: the records entry of those records (in that
# order), a header with COUNT (hdr's H_* apply), the golden order
# (Z_ORDER: another order entry), written as consign writes a batch
bzip() {
	local out=$1 count=$2 base=${1%.zip}
	shift 2
	cat "$@" </dev/null >"$W/records"
	hdr "$W/header" "$W/records" "$count"
	"$MK" zip "$out" header.cose="$W/header" order.cose="${Z_ORDER:-order.cbor}" \
		records.cborseq="$W/records"
	# kept for the releases below: the header payload and the records
	mkdir -p "$W/kept/$(dirname "$base")"
	cp "$W/hp" "$W/kept/$base.hp" && cp "$W/records" "$W/kept/$base.rec" && cp "$W/header" "$W/kept/$base.hdr"
}
S=release.md#what-a-release-asserts
bzip batch/valid.zip 3 "$W"/d1-{0,1,2}.rec
case_ batch/valid.zip policy.cbor - - 0 - batch.md
case_ batch/valid.zip - - - 2 usage formats.md#what-a-verifier-decides
bzip batch/empty.zip 0
case_ batch/empty.zip policy.cbor - - 0 - batch.md#rules-for-readers

# per-record checks: record 1 fails one check, records 0 and 2 pass
onebad() { # NAME RECORD-1-FILE
	bzip "batch/$1.zip" 3 "$W/d1-0.rec" "$2" "$W/d1-2.rec"
}
{ printf '\xd8\x12'; tail -c +2 "$W/d1-1.rec"; } >"$W/x"
onebad record-malformed "$W/x"
case_ batch/record-malformed.zip policy.cbor - - 1 record-malformed $S
# a record item of another kind (a batch header) is not a record envelope
onebad record-other-kind header.cbor
case_ batch/record-other-kind.zip policy.cbor - - 1 record-malformed $S
R_SIGNER=eve rec "$W/x" d1-1 1001 "$(texthex hw-d1-1)"
onebad record-signature "$W/x"
case_ batch/record-signature.zip policy.cbor - - 1 record-signature $S
R_KID=eve rec "$W/x" d1-1 1001 "$(texthex hw-d1-1)"
onebad record-kid "$W/x"
case_ batch/record-kid.zip policy.cbor - - 1 record-signature $S
keyinvalid "$W/x" d1-1 1001 "$(texthex hw-d1-1)"
onebad record-key-invalid "$W/x"
case_ batch/record-key-invalid.zip policy.cbor - - 1 record-key-invalid formats.md#which-reason-an-invalid-public-key-gets
R_DEP=$DEP2 rec "$W/x" d1-1 1001 "$(texthex hw-d1-1)"
onebad record-deployment "$W/x"
case_ batch/record-deployment.zip policy.cbor - - 1 record-deployment $S
R_BATCH=B43 rec "$W/x" d1-1 1001 "$(texthex hw-d1-1)"
onebad record-batch "$W/x"
case_ batch/record-batch.zip policy.cbor - - 1 record-batch $S
R_NONCE="h'$(printf %064d 1)'" rec "$W/x" d1-1 1001 "$(texthex hw-d1-1)"
onebad record-nonce "$W/x"
case_ batch/record-nonce.zip policy.cbor - - 1 record-nonce $S
rec "$W/x" d1-1 2000 "$(texthex hw-d1-1)"
onebad record-serial-range "$W/x"
case_ batch/record-serial-range.zip policy.cbor - - 1 record-serial-range $S
rec "$W/x" d1-1 1000 "$(texthex hw-d1-1)"
onebad record-duplicate-serial "$W/x"
case_ batch/record-duplicate-serial.zip policy.cbor - - 1 record-duplicate-serial $S
rec "$W/x" d1-0 1001 "$(texthex hw-d1-1)"
onebad record-duplicate-key "$W/x"
case_ batch/record-duplicate-key.zip policy.cbor - - 1 record-duplicate-key $S
rec "$W/x" d1-1 1001 "$(texthex hw-d1-0)"
onebad record-duplicate-hwid "$W/x"
case_ batch/record-duplicate-hwid.zip policy.cbor - - 1 record-duplicate-hwid $S
# the first failing check of the order release.md gives is the record's verdict
R_NONCE="h'$(printf %064d 1)'" R_SIGNER=eve rec "$W/x" d1-1 1001 "$(texthex hw-d1-1)"
onebad first-nonce-then-signature "$W/x"
case_ batch/first-nonce-then-signature.zip policy.cbor - - 1 record-nonce $S
R_SIGNER=eve rec "$W/x" d1-1 1000 "$(texthex hw-d1-1)"
onebad first-duplicate-then-signature "$W/x"
case_ batch/first-duplicate-then-signature.zip policy.cbor - - 1 record-duplicate-serial $S
R_DEP=$DEP2 rec "$W/x" d1-1 2000 "$(texthex hw-d1-1)"
onebad first-deployment-then-range "$W/x"
case_ batch/first-deployment-then-range.zip policy.cbor - - 1 record-deployment $S
keyinvalid "$W/x" d1-0 1000 "$(texthex hw-d1-1)"
onebad first-duplicate-then-key-invalid "$W/x"
case_ batch/first-duplicate-then-key-invalid.zip policy.cbor - - 1 record-duplicate-serial $S
# a duplicate of an earlier record that failed for another reason still counts
R_NONCE="h'$(printf %064d 1)'" rec "$W/x" d1-0 1000 "$(texthex hw-d1-0)"
rec "$W/y" d2-1 1000 "$(texthex hw-d2-1)"
bzip batch/duplicate-of-failed.zip 3 "$W/x" "$W/y" "$W/d1-2.rec"
case_ batch/duplicate-of-failed.zip policy.cbor - - 1 record-duplicate-serial,record-nonce $S

# batch-level checks
S=release.md#what-a-release-asserts
H_SIGNER=eve bzip batch/station-signature.zip 3 "$W"/d1-{0,1,2}.rec
case_ batch/station-signature.zip policy.cbor - - 1 station-signature $S
H_STATION="pk(station2)" H_SIGNER=station2 H_KID=station2 bzip batch/station-not-allowed.zip 3 "$W"/d1-{0,1,2}.rec
case_ batch/station-not-allowed.zip policy.cbor - - 1 station-not-allowed $S
# an invalid point as the header's station key: both station checks fail
cat "$W"/d1-{0,1,2}.rec >"$W/records"
H_STATION=$SMALL hdr "$W/h" "$W/records" 3
"$MK" payload "$W/h" "$W/hp"
cb "[\"Signature1\", <<{1: -8, 3: $(ct batch-header), 4: h'$SMALLKID'}>>, h'', @$W/hp]" "$W/tbs"
cb "18([<<{1: -8, 3: $(ct batch-header), 4: h'$SMALLKID'}>>, {}, @$W/hp, h'$("$MK" sig station "$W/tbs")'])" "$W/h"
"$MK" zip batch/station-key-invalid.zip header.cose="$W/h" order.cose=order.cbor records.cborseq="$W/records"
case_ batch/station-key-invalid.zip policy.cbor - - 1 station-not-allowed,station-signature formats.md#which-reason-an-invalid-public-key-gets
H_ORDER=$P1 bzip batch/header-order.zip 3 "$W"/d1-{0,1,2}.rec
case_ batch/header-order.zip policy.cbor - - 1 header-order $S
H_BATCH=B43 bzip batch/header-batch.zip 3 "$W"/d1-{0,1,2}.rec
case_ batch/header-batch.zip policy.cbor - - 1 header-batch $S
H_DEP=$DEP2 bzip batch/header-deployment.zip 3 "$W"/d1-{0,1,2}.rec
case_ batch/header-deployment.zip policy.cbor - - 1 header-batch $S
H_DIGEST=$(printf %064d 0) bzip batch/records-digest.zip 3 "$W"/d1-{0,1,2}.rec
case_ batch/records-digest.zip policy.cbor - - 1 records-digest $S
bzip batch/records-count-fewer.zip 4 "$W"/d1-{0,1,2}.rec
case_ batch/records-count-fewer.zip policy.cbor - - 1 records-count batch.md#rules-for-readers
# items past the header's count are never examined (record 2 fails, unseen)
R_SIGNER=eve rec "$W/x" d1-2 1002 "$(texthex hw-d1-2)"
bzip batch/records-past-count.zip 2 "$W"/d1-{0,1}.rec "$W/x"
case_ batch/records-past-count.zip policy.cbor - - 1 records-count batch.md#rules-for-readers
Z_ORDER=order/one-signature.cbor bzip batch/order-threshold.zip 3 "$W"/d1-{0,1,2}.rec
case_ batch/order-threshold.zip policy.cbor - - 1 order-threshold $S
order_pl "$W/o" "$P2"
H_ORDER=$(dig order "$W/o") Z_ORDER=order/other-policy.cbor bzip batch/order-policy.zip 3 "$W"/d1-{0,1,2}.rec
case_ batch/order-policy.zip policy.cbor - - 1 order-policy $S
# the quantity: the header's count against the order's (3 here)
H_ORDER=$OQ Z_ORDER=order/quantity-3.cbor bzip batch/quantity-exceeded.zip 4 "$W"/d1-{0,1,2,3}.rec
case_ batch/quantity-exceeded.zip policy.cbor - - 1 quantity-exceeded batch.md#rules-for-readers
H_ORDER=$OQ Z_ORDER=order/quantity-3.cbor bzip batch/quantity-header-count.zip 4 "$W"/d1-{0,1,2}.rec
case_ batch/quantity-header-count.zip policy.cbor - - 1 quantity-exceeded,records-count batch.md#rules-for-readers
H_ORDER=$OQ Z_ORDER=order/quantity-3.cbor bzip batch/quantity-records-read.zip 3 "$W"/d1-{0,1,2,3}.rec
case_ batch/quantity-records-read.zip policy.cbor - - 1 records-count batch.md#rules-for-readers
H_ORDER=$OQ Z_ORDER=order/quantity-3.cbor bzip batch/quantity-full.zip 3 "$W"/d1-{0,1,2}.rec
case_ batch/quantity-full.zip policy.cbor - - 0 - batch.md#rules-for-readers
# records-malformed: a byte string head that claims 4 GiB, 3 bytes of it
printf '\x5a\xff\xff\xff\xff\x01\x02\x03' >"$W/junk"
bzip batch/records-malformed-count.zip 4 "$W"/d1-{0,1,2}.rec "$W/junk"
case_ batch/records-malformed-count.zip policy.cbor - - 1 records-malformed batch.md#rules-for-readers
bzip batch/records-malformed.zip 3 "$W/d1-0.rec" "$W/junk"
case_ batch/records-malformed.zip policy.cbor - - 1 records-malformed batch.md#rules-for-readers
R_SIGNER=eve rec "$W/x" d1-0 1000 "$(texthex hw-d1-0)"
bzip batch/records-malformed-after-failure.zip 3 "$W/x" "$W/junk"
case_ batch/records-malformed-after-failure.zip policy.cbor - - 1 record-signature,records-malformed batch.md#rules-for-readers
# past the count, the junk is never examined: only records-count
bzip batch/records-junk-past-count.zip 3 "$W"/d1-{0,1,2}.rec "$W/junk"
case_ batch/records-junk-past-count.zip policy.cbor - - 1 records-count batch.md#rules-for-readers
# an item above 8 KiB (a well-formed byte string of 9000 bytes) does not split
cb "h'$(head -c 9000 /dev/zero | od -An -v -tx1 | tr -d ' \n')'" "$W/big"
bzip batch/records-item-too-large.zip 3 "$W/d1-0.rec" "$W/big" "$W/d1-2.rec"
case_ batch/records-item-too-large.zip policy.cbor - - 1 records-malformed batch.md#rules-for-readers
# an indefinite-length item does not split either
{ printf '\x5f\x41\x00\xff'; } >"$W/indef"
bzip batch/records-indefinite.zip 3 "$W/d1-0.rec" "$W/indef" "$W/d1-2.rec"
case_ batch/records-indefinite.zip policy.cbor - - 1 records-malformed batch.md#rules-for-readers
# an entry of another kind where the header or the order should be (formats.md)
"$MK" zip batch/header-entry-is-order.zip header.cose=order.cbor order.cose=order.cbor records.cborseq="$W/kept/batch/valid.rec"
case_ batch/header-entry-is-order.zip policy.cbor - - 3 kind formats.md#envelope-against-expectation
"$MK" zip batch/order-entry-is-header.zip header.cose="$W/kept/batch/valid.hdr" order.cose="$W/kept/batch/valid.hdr" records.cborseq="$W/kept/batch/valid.rec"
case_ batch/order-entry-is-header.zip policy.cbor - - 3 kind formats.md#envelope-against-expectation
cp "$W/kept/batch/valid.hdr" "$W/x" && printf '\0' >>"$W/x"
"$MK" zip batch/header-entry-cbor.zip header.cose="$W/x" order.cose=order.cbor records.cborseq="$W/kept/batch/valid.rec"
case_ batch/header-entry-cbor.zip policy.cbor - - 3 cbor formats.md#encoding
