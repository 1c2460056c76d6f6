#!/usr/bin/env bash
# The office golden files (manifests/golden/office/) are reproduced byte for
# byte from their fixed seeds, the CLI makes the same release and receipt
# from the golden batch, and accepts (or refuses) them as the spec says.
. "$(dirname "$0")/../lib.sh"
export TZ=UTC # zip entry times are local times
G=$ROOT/manifests/golden
O=$G/office
"$TOOLS/office_golden" "$G" "$T" || { notok "office golden files generated"; exit 1; }
for f in batch.zip release.payload release.cose release.zip release-2.payload withdrawal.payload \
	withdrawal.cbor receipt.payload receipt.cbor; do
	check "golden office/$f reproduced byte for byte" cmp -s "$O/$f" "$T/$f"
done
echo golden >"$T/pass"
chmod 600 "$T"/*.key

expect 1 "the golden batch is refused: record 1 fails" "$CONSIGN" verify --policy "$G/policy.cbor" "$O/batch.zip"
check "... record 1 (serial 1001) record-signature" grep -q "record 1 (serial 1001): record-signature" "$T/out"
expect 0 "the golden release is accepted as the first" \
	"$CONSIGN" verify --policy "$G/policy.cbor" --first --deep "$O/release.zip"
expect 0 "the golden withdrawal verifies under the golden policy" \
	"$CONSIGN" verify --policy "$G/policy.cbor" "$O/withdrawal.cbor"
expect_reason 1 release-withdrawn "... and the cloud given it refuses the golden release" \
	"$CONSIGN" verify --policy "$G/policy.cbor" --first --withdrawn "$O/withdrawal.cbor" "$O/release.zip"
expect 0 "the golden receipt verifies under the golden policy" \
	"$CONSIGN" verify --policy "$G/policy.cbor" "$O/receipt.cbor"
check "... 2 of 3 accepted, 1 refused" grep -q "2 of 3 records accepted, 1 refused" "$T/out"

# the CLI drafts, and custodians sign, exactly the golden release
"$CONSIGN" ledger --ledger "$T/L" init --policy "$G/policy.cbor" >/dev/null
expect 0 "release create on the golden batch" "$CONSIGN" release create --policy "$G/policy.cbor" \
	--ledger "$T/L" --exclude-refused "$O/batch.zip" -o "$T/cli.zip"
for n in alice bob; do
	"$CONSIGN" sign --key "$T/$n.key" --passphrase-file "$T/pass" --policy "$G/policy.cbor" --yes \
		"$T/cli.zip" >/dev/null
done
check "... signed by alice and bob it is the golden release.zip byte for byte" cmp -s "$T/cli.zip" "$O/release.zip"
expect 0 "consign receipt on the golden batch" "$CONSIGN" receipt --key "$T/office.key" \
	--passphrase-file "$T/pass" --policy "$G/policy.cbor" "$O/batch.zip" -o "$T/cli-receipt.cbor"
check "... is the golden receipt byte for byte" cmp -s "$T/cli-receipt.cbor" "$O/receipt.cbor"
expect_reason 1 "not the office key" "the receipt needs the policy's office key" \
	"$CONSIGN" receipt --key "$T/station.key" --passphrase-file "$T/pass" --policy "$G/policy.cbor" \
	"$O/batch.zip" -o "$T/no.cbor"
run "$CONSIGN" export --policy "$G/policy.cbor" --first --format jsonl "$O/release.zip"
check "the golden release exports its 2 devices" [ "$(wc -l <"$T/out")" -eq 2 ]
