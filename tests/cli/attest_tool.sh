# tests/tools/mkattest, the TEST maker and attesting firmware: what it makes
# for a genuine device passes lib/attest's checks, and each misbehaviour
# switch is refused with its own reason (the checks the station, verify and
# sign will run once wired in).
. "$(dirname "$0")/../lib.sh"
M=$TOOLS/mkattest
S="attest_tool seed"
P=$T/pki
mkdir -p "$P"

check "mkattest: a TEST maker (root, intermediate, another maker)" "$M" pki "$S" "$P"
check "mkattest: the root is named as a TEST root" \
	grep -q "consign TEST maker root - not for production" "$P/root.der"

K=$("$M" key "$S" dev-1)
K2=$("$M" key "$S" dev-2)
check "mkattest: test keys are 65-byte uncompressed points" \
	[ "${#K}" -eq 130 -a "${K:0:2}" = 04 -a "$K" != "$K2" ]
check "mkattest: keys repeat under the same seed" [ "$("$M" key "$S" dev-1)" = "$K" ]

# secure-element evidence
"$M" chain "$S" "$P" "$K" "$T/se1.chain" || notok "mkattest chain"
expect 0 "secure element: the device's chain validates to the pinned root for its key" \
	"$M" check-chain "$P" "$T/se1.chain" --key "$K"
check "secure element: the check names root 0 and the key" has "$T/out" "^ok root 0 key $K"
"$M" chain "$S" "$P" "$K" "$T/se1r.chain" --with-root
expect 0 "secure element: ... also with the root carried" \
	"$M" check-chain "$P" "$T/se1r.chain" --key "$K"
"$M" chain "$S" "$P" "$K" "$T/other-key.chain" --other-key
expect_reason 1 attest-leaf-key "secure element: a leaf for another key is attest-leaf-key" \
	"$M" check-chain "$P" "$T/other-key.chain" --key "$K"
expect_reason 1 attest-leaf-key "secure element: another device's chain for this record's key" \
	"$M" check-chain "$P" "$T/se1.chain" --key "$K2"
"$M" chain "$S" "$P" "$K" "$T/unknown.chain" --maker other
expect_reason 1 attest-chain-root "secure element: a chain to an unknown root is attest-chain-root" \
	"$M" check-chain "$P" "$T/unknown.chain" --key "$K"
"$M" chain "$S" "$P" "$K" "$T/unknownr.chain" --maker other --with-root
expect_reason 1 attest-chain-root "secure element: ... with its own root carried too" \
	"$M" check-chain "$P" "$T/unknownr.chain" --key "$K"
head -c 100 "$T/se1.chain" >"$T/cut.chain"
expect_reason 1 attest-malformed "secure element: a truncated chain is attest-malformed" \
	"$M" check-chain "$P" "$T/cut.chain"

# a record signed by the simulated element
printf 'record payload' >"$T/rec"
"$M" sign "$S" dev-1 "$T/rec" "$T/rec.sig"
check "secure element: an ES256 signature is 64 bytes (r || s)" [ "$(stat -c %s "$T/rec.sig")" -eq 64 ]
"$M" sign "$S" dev-1 "$T/rec" "$T/rec.sig2"
check "secure element: the simulated element's signature repeats (the conformance corpus's records)" \
	cmp -s "$T/rec.sig" "$T/rec.sig2"
"$M" scalar "$S" dev-1 "$T/dev-1.scalar"
check "secure element: the simulated element's secret is 32 bytes, mode 0600" \
	[ "$(stat -c %s:%a "$T/dev-1.scalar")" = 32:600 ]

# firmware evidence
OD=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
DEVKEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
N=$("$M" nonce "$OD" "$DEVKEY")
N2=$("$M" nonce "$OD" "$K")
check "firmware: the binding nonce is 32 bytes, another key gives another" \
	[ "${#N}" -eq 64 -a "$N" != "$N2" ]
want=$(python3 -c 'import hashlib, sys; print(hashlib.sha256(b"consign-psa-nonce-v1" + bytes.fromhex(sys.argv[1] + sys.argv[2])).hexdigest())' "$OD" "$DEVKEY")
check "firmware: nonce = SHA-256(\"consign-psa-nonce-v1\" || order digest || device key)" [ "$N" = "$want" ]
"$M" chain "$S" "$P" @iak-1 "$T/iak1.chain"
"$M" token "$S" iak-1 "$T/t.good" --nonce "$N"
expect 0 "firmware: a genuine token for this record passes" \
	"$M" check-token "$P" "$T/iak1.chain" "$T/t.good" "$N"
check "firmware: ... lifecycle secured, two components" has "$T/out" "lifecycle 0x3000 components 2"
for prof in 1 tfm; do
	"$M" token "$S" iak-1 "$T/t.p$prof" --nonce "$N" --profile "$prof"
	expect 0 "firmware: a token of profile $prof passes too" \
		"$M" check-token "$P" "$T/iak1.chain" "$T/t.p$prof" "$N"
done
"$M" token "$S" iak-1 "$T/t.wrong" --nonce "$N" --wrong-nonce
expect_reason 1 attest-token-nonce "firmware: a wrong nonce is attest-token-nonce" \
	"$M" check-token "$P" "$T/iak1.chain" "$T/t.wrong" "$N"
expect_reason 1 attest-token-nonce "firmware: a token made for another record is attest-token-nonce" \
	"$M" check-token "$P" "$T/iak1.chain" "$T/t.good" "$N2"
"$M" token "$S" iak-1 "$T/t.fw" --nonce "$N" --other-firmware
expect_reason 1 attest-token-measurement "firmware: other firmware's measurement is attest-token-measurement" \
	"$M" check-token "$P" "$T/iak1.chain" "$T/t.fw" "$N"
"$M" token "$S" iak-1 "$T/t.debug" --nonce "$N" --debug
expect_reason 1 attest-token-lifecycle "firmware: a debug lifecycle is attest-token-lifecycle" \
	"$M" check-token "$P" "$T/iak1.chain" "$T/t.debug" "$N"
"$M" token "$S" iak-1 "$T/t.inst" --nonce "$N" --instance-of iak-2
expect_reason 1 attest-token-instance "firmware: another chip's instance id is attest-token-instance" \
	"$M" check-token "$P" "$T/iak1.chain" "$T/t.inst" "$N"
"$M" token "$S" iak-2 "$T/t.replay" --nonce "$N"
expect_reason 1 attest-token-signature "firmware: another chip's token beside this chip's chain" \
	"$M" check-token "$P" "$T/iak1.chain" "$T/t.replay" "$N"
"$M" chain "$S" "$P" @iak-1 "$T/iak1-other.chain" --maker other
expect_reason 1 attest-chain-root "firmware: an attestation key under an unknown root" \
	"$M" check-token "$P" "$T/iak1-other.chain" "$T/t.good" "$N"
read -r _ bl sig < <("$M" reference | grep '^BL ')
expect_reason 1 attest-token-measurement "firmware: references that list only the bootloader refuse the app" \
	"$M" check-token "$P" "$T/iak1.chain" "$T/t.good" "$N" --ref "BL:$bl:$sig"
