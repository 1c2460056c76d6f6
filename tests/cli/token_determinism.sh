# Ed25519 is deterministic, so the token path cannot differ from the file path
# in what it signs: RFC 8032's first test key, its seed put into SoftHSM2
# (tests/tools/p11tool import: C_CreateObject with CKA_VALUE, test only) and
# into a consign key file (p11tool seckey), gives the same public key file,
# and the same policy signed once through the token (C_Sign, CKM_EDDSA) and
# once through the file (libsodium) is the same file byte for byte.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/p11.sh"
p11_setup
M=$P11_MODULE
SEED=9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60
PK=d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a # RFC 8032, TEST 1
mkdir -p "$T/tok" "$T/file"
p11_token seed-token
"$TOOLS/p11tool" import "$M" seed-token "$T/seed-token.pin" dana "$SEED" ||
	notok "p11tool import"
echo "passphrase of dana" >"$T/dana.pass"
"$TOOLS/p11tool" seckey "$SEED" dana "$T/dana.pass" "$T/file/dana" || notok "p11tool seckey"

expect 0 "the seeded token key exports as a .pub" \
	"$CONSIGN" keygen --pkcs11 "pkcs11:token=seed-token;object=dana" --export --id dana \
	-o "$T/tok/dana" --module "$M" --pin-file "$T/seed-token.pin"
run "$CONSIGN" inspect --json "$T/tok/dana.pub"
check "... its public key is RFC 8032's for that seed" [ "$(jq -r .public_key "$T/out")" = "$PK" ]
check "... and the .pub is byte for byte the key file's" cmp -s "$T/tok/dana.pub" "$T/file/dana.pub"

keys "$T/k" erin frank office
"$CONSIGN" policy create --threshold 2 --custodian "$T/tok/dana.pub" --custodian "$T/k/erin.pub" \
	--custodian "$T/k/frank.pub" --office "$T/k/office.pub" -o "$T/draft.cbor" >/dev/null
cp "$T/draft.cbor" "$T/tok/policy.cbor"
cp "$T/draft.cbor" "$T/file/policy.cbor"
expect 0 "dana signs the policy through the token" \
	"$CONSIGN" sign --key "pkcs11:token=seed-token;object=dana" --module "$M" \
	--pin-file "$T/seed-token.pin" --yes "$T/tok/policy.cbor"
expect 0 "dana signs the same policy through the key file" \
	"$CONSIGN" sign --key "$T/file/dana.key" --passphrase-file "$T/dana.pass" --yes \
	"$T/file/policy.cbor"
run "$CONSIGN" inspect --json "$T/tok/policy.cbor"
check "... the token's policy now carries one signature (not the unsigned draft)" \
	[ "$(jq '.signatures | length' "$T/out")" -eq 1 ]
check "the two signed policies are the same bytes: the token's signature is libsodium's" \
	cmp "$T/tok/policy.cbor" "$T/file/policy.cbor"
sign_as "$T/k" "$T/tok/policy.cbor" erin
run "$CONSIGN" verify "$T/tok/policy.cbor"
checkx "... and with erin's the policy verifies, counting dana" \
	'[ "$RC" -eq 0 ] && grep -q "dana, valid" "$T/out"'
