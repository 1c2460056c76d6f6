# External P-256 vectors from ../shared/vectors (see its README): every case
# of Wycheproof ECDSA P-256 / SHA-256 in the r || s form, and the COSE WG's
# ES256 examples through the project's COSE code (tests/tools/p256vectors).
. "$(dirname "$0")/../lib.sh"
vectors_dir

# run_cases NAME LIST WANT: runs the tool on LIST (one case a line) and insists
# on at least WANT ok/not ok lines, so extracting nothing cannot pass
run_cases() {
	local name=$1 want=$3
	vector_cases p256vectors "$name" "$2"
	check "vectors: $name: all $VN cases were run ($VGOT checks, at least $want)" \
		[ "$VN" -gt 0 -a "$VGOT" -ge "$want" ]
	check "vectors: $name: the tool finished" grep -qx 'exit [01]' "$T/vec.out"
}

W=$V/wycheproof-ecdsa-p256-sha256-p1363.json
if [ -f "$W" ]; then
	total=$(jq '[.testGroups[].tests[]] | length' "$W")
	jq -r '.testGroups[] | .publicKey.uncompressed as $pk | .tests[] |
		"ecdsa \(.tcId) \($pk) \(if .msg == "" then "-" else .msg end) \(if .sig == "" then "-" else .sig end) \(.result) \(if (.flags | length) == 0 then "-" else (.flags | join(",")) end)"' \
		"$W" >"$T/wyche"
	check "vectors: wycheproof-ecdsa-p256: every one of the file's $total tests extracted" \
		[ "$(wc -l <"$T/wyche")" -eq "$total" -a "$total" -gt 0 ]
	run_cases wycheproof-ecdsa-p256-sha256-p1363.json "$T/wyche" "$total"
else
	skip "vectors: wycheproof-ecdsa-p256-sha256-p1363.json is absent"
fi

if [ -f "$V/cose-ecdsa-sig-01.json" ]; then
	jq -r ".input.sign0 as \$s | \"sign1 cose-ecdsa-sig-01 \(\$s.key.x) \(\$s.key.y) \(\$s.key.d) \" +
		(.input.plaintext | $JQ_HEX) +
		\" \(\$s.protected | $JQ_HDR) \(\$s.unprotected | $JQ_HDR) \(.intermediates.ToBeSign_hex) \(.output.cbor)\"" \
		"$V/cose-ecdsa-sig-01.json" >"$T/cose1"
	run_cases cose-ecdsa-sig-01.json "$T/cose1" 8
else
	skip "vectors: cose-ecdsa-sig-01.json is absent"
fi
if [ -f "$V/cose-ecdsa-01.json" ]; then
	jq -r ".input.sign.signers[0] as \$s | \"sign cose-ecdsa-01 \(\$s.key.x) \(\$s.key.y) \(\$s.key.d) \" +
		(.input.plaintext | $JQ_HEX) +
		\" \(.input.sign.protected | $JQ_HDR) \(.input.sign.unprotected | $JQ_HDR) \(\$s.protected | $JQ_HDR) \(\$s.unprotected | $JQ_HDR) \(.intermediates.signers[0].ToBeSign_hex) \(.output.cbor)\"" \
		"$V/cose-ecdsa-01.json" >"$T/cose"
	run_cases cose-ecdsa-01.json "$T/cose" 6
else
	skip "vectors: cose-ecdsa-01.json is absent"
fi
