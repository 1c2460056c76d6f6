# External vectors from ../shared/vectors (see its README): Wycheproof Ed25519,
# ed25519-speccheck, and the COSE WG EdDSA examples reproduced byte for byte.
. "$(dirname "$0")/../lib.sh"
vectors_dir

# run_cases FILE LIST: runs tests/tools/vectors on the LIST it extracted from
# FILE (one case a line) and insists that each case gave an ok/not ok line,
# so a schema change that extracts nothing cannot pass
run_cases() {
	vector_cases vectors "$1" "$2"
	check "vectors: $1: all $VN cases were run (at least one; a case may give several results)" \
		[ "$VN" -gt 0 -a "$VGOT" -ge "$VN" ]
}

if [ -f "$V/wycheproof-ed25519.json" ]; then
	jq -r '.testGroups[] | .publicKey.pk as $pk | .tests[] |
		"ed25519 \(.tcId) \($pk) \(if .msg == "" then "-" else .msg end) \(if .sig == "" then "-" else .sig end) \(.result)"' \
		"$V/wycheproof-ed25519.json" >"$T/wyche"
	run_cases wycheproof-ed25519.json "$T/wyche"
else
	skip "vectors: wycheproof-ed25519.json is absent"
fi

if [ -f "$V/ed25519-speccheck-cases.json" ]; then
	jq -r 'to_entries[] | "reject \(.key) \(.value.pub_key) \(.value.message) \(.value.signature)"' \
		"$V/ed25519-speccheck-cases.json" >"$T/spec"
	run_cases ed25519-speccheck-cases.json "$T/spec"
else
	skip "vectors: ed25519-speccheck-cases.json is absent"
fi

if [ -f "$V/cose-eddsa-sig-01.json" ]; then
	jq -r "\"sign1 cose-eddsa-sig-01 \(.input.sign0.key.d_hex) \(.input.sign0.key.x_hex) \" +
		(.input.plaintext | $JQ_HEX) +
		\" \(.input.sign0.protected | $JQ_HDR) \(.input.sign0.unprotected | $JQ_HDR) \(.intermediates.ToBeSign_hex) \(.output.cbor)\"" \
		"$V/cose-eddsa-sig-01.json" >"$T/cose1"
	run_cases cose-eddsa-sig-01.json "$T/cose1"
else
	skip "vectors: cose-eddsa-sig-01.json is absent"
fi
if [ -f "$V/cose-eddsa-01.json" ]; then
	jq -r "\"sign cose-eddsa-01 \(.input.sign.signers[0].key.d_hex) \(.input.sign.signers[0].key.x_hex) \" +
		(.input.plaintext | $JQ_HEX) +
		\" \(.input.sign.protected | $JQ_HDR) \(.input.sign.unprotected | $JQ_HDR) \(.input.sign.signers[0].protected | $JQ_HDR) \(.input.sign.signers[0].unprotected | $JQ_HDR) \(.intermediates.signers[0].ToBeSign_hex) \(.output.cbor)\"" \
		"$V/cose-eddsa-01.json" >"$T/cose"
	run_cases cose-eddsa-01.json "$T/cose"
else
	skip "vectors: cose-eddsa-01.json is absent"
fi
for f in cose-eddsa-02.json cose-eddsa-sig-02.json; do
	[ -f "$V/$f" ] && skip "vectors: $f is Ed448, which libsodium does not implement"
done
