# The core golden files in manifests/golden/ are reproduced byte for byte from
# their fixed seeds, and the CLI accepts them.
. "$(dirname "$0")/../lib.sh"
G=$ROOT/manifests/golden
"$TOOLS/golden" write "$T" || { notok "golden files generated"; exit 1; }
for f in alice.pub bob.pub carol.pub dave.pub office.pub station.pub policy.payload policy.cbor \
	policy-v2.cbor order.payload order.cbor record.payload record.cbor header.payload header.cbor \
	record-es256.payload; do
	check "golden $f reproduced byte for byte" cmp -s "$G/$f" "$T/$f"
done
# ES256 signatures are randomized: everything before the 64 signature bytes
# is reproduced, and both the golden record and the new one verify
n=$(($(stat -c %s "$G/record-es256.cbor") - 64))
check "golden record-es256.cbor reproduced up to its (randomized) ES256 signature" \
	cmp -s <(head -c "$n" "$G/record-es256.cbor") <(head -c "$n" "$T/record-es256.cbor")
check "... and is that prefix and a 64-byte signature, no more" \
	[ "$(stat -c %s "$T/record-es256.cbor")" = "$((n + 64))" ]
expect 0 "golden ES256 record verifies" "$CONSIGN" verify "$G/record-es256.cbor"
expect 0 "regenerated ES256 record verifies" "$CONSIGN" verify "$T/record-es256.cbor"
run "$CONSIGN" inspect --json "$G/record-es256.cbor"
check "golden ES256 record: inspect says ES256 and a 65-byte key, 04 || x || y" \
	[ "$(jq -r '.algorithm + " " + (.public_key | length | tostring) + " " + .public_key[0:2]' \
		"$T/out")" = "ES256 130 04" ]
cp "$G/record-es256.cbor" "$T/bad.cbor"
printf '\001' | dd of="$T/bad.cbor" bs=1 seek=$((n + 10)) conv=notrunc 2>/dev/null
expect_reason 1 record-signature "golden ES256 record with a signature byte changed is refused" \
	"$CONSIGN" verify "$T/bad.cbor"

alice=$("$CONSIGN" inspect --json "$G/alice.pub" | sed -n 's/.*"public_key":"\([0-9a-f]*\)".*/\1/p')
check "golden alice.key decrypts with passphrase 'golden' to alice.pub's key" \
	[ "$("$TOOLS/golden" unlock "$G/alice.key" golden)" = "$alice" ]
expect 1 "golden alice.key refuses another passphrase" "$TOOLS/golden" unlock "$G/alice.key" nope
expect 0 "golden policy verifies" "$CONSIGN" verify "$G/policy.cbor"
expect 0 "golden policy v2 verifies as a rotation of v1" \
	"$CONSIGN" verify --policy "$G/policy.cbor" "$G/policy-v2.cbor"
expect 0 "golden order verifies under the golden policy" \
	"$CONSIGN" verify --policy "$G/policy.cbor" "$G/order.cbor"
expect 0 "golden record verifies" "$CONSIGN" verify "$G/record.cbor"
expect 0 "golden batch header verifies" "$CONSIGN" verify "$G/header.cbor"
