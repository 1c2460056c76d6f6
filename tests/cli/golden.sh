# The core golden files in manifests/golden/ are reproduced byte for byte from
# their fixed seeds, and the CLI accepts them.
. "$(dirname "$0")/../lib.sh"
G=$ROOT/manifests/golden
"$TOOLS/golden" write "$T" || { notok "golden files generated"; exit 1; }
for f in alice.pub bob.pub carol.pub dave.pub office.pub station.pub policy.payload policy.cbor \
	policy-v2.cbor order.payload order.cbor record.payload record.cbor header.payload header.cbor; do
	check "golden $f reproduced byte for byte" cmp -s "$G/$f" "$T/$f"
done
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
