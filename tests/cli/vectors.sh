# External vectors from ../shared/vectors (see its README): Wycheproof Ed25519,
# ed25519-speccheck, and the COSE WG EdDSA examples reproduced byte for byte.
. "$(dirname "$0")/../lib.sh"
V=${VECTORS:-}
if [ -z "$V" ] || [ ! -d "$V" ]; then
	skip "vectors: ../shared/vectors is absent"
	exit 0
fi
if ! command -v jq >/dev/null; then
	skip "vectors: jq is not installed"
	exit 0
fi

# run_cases FILE LIST: runs tests/tools/vectors on the LIST it extracted from
# FILE (one case a line) and insists that each case gave exactly one ok/not
# ok line, so a schema change that extracts nothing cannot pass
run_cases() {
	local name=$1 list=$2 n got
	n=$(wc -l <"$list")
	"$TOOLS/vectors" <"$list" >"$T/vec.out" 2>&1
	cat "$T/vec.out"
	got=$(grep -c -E '^(ok|not ok) - ' "$T/vec.out")
	echo "# vectors: $name: $n cases, $(grep -c '^ok - ' "$T/vec.out") ok"
	check "vectors: $name: all $n cases were run (at least one; a case may give several results)" [ "$n" -gt 0 -a "$got" -ge "$n" ]
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

hdr='if . == null or . == {} then "-" else (to_entries | map("\(.key)=\(.value)") | join(",")) end'
if [ -f "$V/cose-eddsa-sig-01.json" ]; then
	jq -r "\"sign1 cose-eddsa-sig-01 \(.input.sign0.key.d_hex) \(.input.sign0.key.x_hex) \" +
		(.input.plaintext | explode | map(. as \$c | \"0123456789abcdef\"[(\$c/16|floor):(\$c/16|floor)+1] + \"0123456789abcdef\"[(\$c%16):(\$c%16)+1]) | join(\"\")) +
		\" \(.input.sign0.protected | $hdr) \(.input.sign0.unprotected | $hdr) \(.intermediates.ToBeSign_hex) \(.output.cbor)\"" \
		"$V/cose-eddsa-sig-01.json" >"$T/cose1"
	run_cases cose-eddsa-sig-01.json "$T/cose1"
else
	skip "vectors: cose-eddsa-sig-01.json is absent"
fi
if [ -f "$V/cose-eddsa-01.json" ]; then
	jq -r "\"sign cose-eddsa-01 \(.input.sign.signers[0].key.d_hex) \(.input.sign.signers[0].key.x_hex) \" +
		(.input.plaintext | explode | map(. as \$c | \"0123456789abcdef\"[(\$c/16|floor):(\$c/16|floor)+1] + \"0123456789abcdef\"[(\$c%16):(\$c%16)+1]) | join(\"\")) +
		\" \(.input.sign.protected | $hdr) \(.input.sign.unprotected | $hdr) \(.input.sign.signers[0].protected | $hdr) \(.input.sign.signers[0].unprotected | $hdr) \(.intermediates.signers[0].ToBeSign_hex) \(.output.cbor)\"" \
		"$V/cose-eddsa-01.json" >"$T/cose"
	run_cases cose-eddsa-01.json "$T/cose"
else
	skip "vectors: cose-eddsa-01.json is absent"
fi
for f in cose-eddsa-02.json cose-eddsa-sig-02.json; do
	[ -f "$V/$f" ] && skip "vectors: $f is Ed448, which libsodium does not implement"
done
