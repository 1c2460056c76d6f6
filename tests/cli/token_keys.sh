# Keys in a PKCS#11 token (SoftHSM2, the real module): consign keygen
# --pkcs11 makes the pair inside the token and writes only the .pub; --export
# writes the .pub of a key already there; each way a token key can be wrong
# (no key, two keys, no token, no module, a module that is none, a wrong PIN,
# a key the token would let out, a token gone while consign waits for the
# PIN) is refused with one line and its exit code, and nothing is signed.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/p11.sh"
p11_setup
M=$P11_MODULE
D=$T/k
mkdir -p "$D"
p11_token alice-token

# ---- keygen into the token ---------------------------------------------------
URI="pkcs11:token=alice-token;object=alice"
expect 0 "keygen --pkcs11 makes alice's key pair inside alice-token" \
	"$CONSIGN" keygen --pkcs11 "pkcs11:token=alice-token" --id alice --name "Alice Archer" \
	-o "$D/alice" --module "$M" --pin-file "$T/alice-token.pin"
check "... it names the token and says no secret file was written" \
	grep -q 'the secret stays in token "alice-token" (SoftHSM slot [0-9]*), key "alice"; no secret file' "$T/out"
check "... only alice.pub is written (no alice.key)" \
	[ "$(ls "$D")" = alice.pub ]
run "$CONSIGN" inspect --json "$D/alice.pub"
check "... a consign public key of alice, named Alice Archer" \
	[ "$(jq -r '.kind + " " + .id + " " + .name' "$T/out")" = "public-key alice Alice Archer" ]
expect_reason 2 "token-key" "a second keygen of alice into the same token is refused (token-key)" \
	"$CONSIGN" keygen --pkcs11 "pkcs11:token=alice-token" --id alice -o "$D/again" --module "$M" \
	--pin-file "$T/alice-token.pin"
check "... and writes nothing" [ ! -e "$D/again.pub" ]
expect 2 "keygen refuses to overwrite an existing .pub (before the token is touched)" \
	"$CONSIGN" keygen --pkcs11 "pkcs11:token=alice-token" --id alice2 -o "$D/alice" --module "$M" \
	--pin-file "$T/alice-token.pin"
expect_reason 2 "object= names another key" "keygen refuses a URI whose object= is not --id" \
	"$CONSIGN" keygen --pkcs11 "pkcs11:token=alice-token;object=bob" --id alice3 -o "$D/a3" \
	--module "$M" --pin-file "$T/alice-token.pin"
expect 2 "keygen --pkcs11 refuses --passphrase-file and --kdf (those are for key files)" \
	"$CONSIGN" keygen --pkcs11 "$URI" --id x -o "$D/x" --kdf interactive
expect 2 "keygen refuses --module without --pkcs11" \
	"$CONSIGN" keygen --id x -o "$D/x" --module "$M"

expect 0 "keygen --pkcs11 --export writes the .pub of the key already in the token" \
	"$CONSIGN" keygen --pkcs11 "$URI" --export --id alice --name "Alice Archer" -o "$D/exported" \
	--module "$M" --pin-file "$T/alice-token.pin"
check "... byte for byte the .pub keygen wrote" cmp -s "$D/alice.pub" "$D/exported.pub"
check "... and it shows where the key lives before the PIN" \
	grep -q '^key: alice (token "alice-token", SoftHSM slot [0-9]*)$' "$T/out"

# ---- the token key signs ------------------------------------------------------
keys "$D" bob carol office
"$CONSIGN" policy create --threshold 2 --custodian "$D/alice.pub" --custodian "$D/bob.pub" \
	--custodian "$D/carol.pub" --office "$D/office.pub" -o "$D/policy.cbor" >/dev/null
cp "$D/policy.cbor" "$D/draft.cbor"
expect 0 "alice signs the policy with her token key" \
	"$CONSIGN" sign --key "$URI" --module "$M" --pin-file "$T/alice-token.pin" --yes "$D/policy.cbor"
check "... consign sign said where the key lives" \
	grep -q '^key: alice (token "alice-token", SoftHSM slot [0-9]*)$' "$T/out"
check "... and that alice signed" grep -q 'signed by alice' "$T/out"
sign_as "$D" "$D/policy.cbor" bob
expect 0 "the policy with alice's token signature and bob's file signature verifies" \
	"$CONSIGN" verify "$D/policy.cbor"
check "... counting alice's signature" grep -q 'alice, valid' "$T/out"

# p11-kit's configured modules, when --module is not given (softhsm2.module)
cp "$D/draft.cbor" "$D/p11kit.cbor"
if [ -e /usr/share/p11-kit/modules/softhsm2.module ]; then
	expect 0 "without --module the key is found through p11-kit's configured modules" \
		"$CONSIGN" sign --key "$URI" --pin-file "$T/alice-token.pin" --yes "$D/p11kit.cbor"
	check "... and signs" grep -q 'signed by alice' "$T/out"
else
	skip "p11-kit has no softhsm2.module registered: the default-module path is not tried"
fi

# ---- refusals -------------------------------------------------------------------
cp "$D/draft.cbor" "$D/r.cbor"
# refused DESC STATUS REASON ARGS...: consign sign with ARGS on r.cbor exits
# STATUS, with one line on stderr naming REASON, and r.cbor is unchanged
refused() {
	local desc=$1 want=$2 reason=$3
	shift 3
	run "$CONSIGN" sign "$@" --yes "$D/r.cbor"
	if [ "$RC" -eq "$want" ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q -- "$reason" "$T/err" &&
		cmp -s "$D/r.cbor" "$D/draft.cbor"; then
		ok "$desc: exit $want, one line ($(head -c 160 "$T/err"))"
	else
		notok "$desc (exit $RC, want $want with $reason, one line): $(head -c 400 "$T/err" | tr '\n' ' ')"
	fi
}
echo "wrong pin" >"$T/wrong.pin"
refused "a wrong PIN" 1 "wrong PIN for token \"alice-token\".*(pin)" \
	--key "$URI" --module "$M" --pin-file "$T/wrong.pin"
run "$CONSIGN" sign --key "$URI" --module "$M" --pin-file "$T/alice-token.pin" --yes "$D/p11kit.cbor"
check "... the right PIN still works afterwards (consign tried once, the token did not lock)" \
	[ "$RC" -eq 0 ]
refused "a module that does not exist" 3 "cannot load PKCS#11 module $T/none.so.*(token-module)" \
	--key "$URI" --module "$T/none.so" --pin-file "$T/alice-token.pin"
# a real shared library, but no PKCS#11 module (no C_GetFunctionList)
notmod=$(ldd "$CONSIGN" | awk '/libsodium/ { print $3 }')
refused "a shared library that is not a PKCS#11 module" 3 "cannot load PKCS#11 module.*(token-module)" \
	--key "$URI" --module "$notmod" --pin-file "$T/alice-token.pin"
refused "a URI naming no key" 2 "names no Ed25519 key.*(token-key)" \
	--key "pkcs11:token=alice-token;object=nobody" --module "$M" --pin-file "$T/alice-token.pin"
refused "a URI naming no token" 3 "no token matches pkcs11:token=nowhere.*(token)" \
	--key "pkcs11:token=nowhere;object=alice" --module "$M" --pin-file "$T/alice-token.pin"
p11_keygen alice-token alice2 "$D" && rm -f "$D/alice2.pub"
refused "a URI naming two keys" 2 "names more than one Ed25519 key.*(token-key)" \
	--key "pkcs11:token=alice-token" --module "$M" --pin-file "$T/alice-token.pin"
refused "a URI carrying the PIN" 2 "pin-value.*use --pin-file" \
	--key "$URI;pin-value=1234" --module "$M"
refused "a URI with an attribute consign does not know" 2 "does not know" \
	--key "$URI;colour=blue" --module "$M" --pin-file "$T/alice-token.pin"
refused "--passphrase-file with a token key" 2 "passphrase-file is for key files" \
	--key "$URI" --module "$M" --passphrase-file "$T/alice-token.pin"
refused "--pin-file with a key file" 2 "are for a key in a token" \
	--key "$D/bob.key" --pin-file "$T/alice-token.pin"
refused "a key that is not a custodian of the policy (checked before the PIN)" 1 "not a custodian" \
	--key "pkcs11:token=alice-token;object=alice2" --module "$M" --pin-file "$T/wrong.pin"

# ---- a key the token would let out ------------------------------------------
"$TOOLS/p11tool" import "$M" alice-token "$T/alice-token.pin" eve \
	1111111111111111111111111111111111111111111111111111111111111111 extractable
expect_reason 1 "may leave the token.*(token-extractable)" \
	"keygen --export refuses a key marked extractable (token-extractable, exit 1)" \
	"$CONSIGN" keygen --pkcs11 "pkcs11:token=alice-token;object=eve" --export --id eve \
	-o "$D/eve" --module "$M" --pin-file "$T/alice-token.pin"
check "... and writes no eve.pub" [ ! -e "$D/eve.pub" ]
"$TOOLS/p11tool" seckey 1111111111111111111111111111111111111111111111111111111111111111 eve \
	"$T/alice-token.pin" "$D/evefile"
"$CONSIGN" policy create --threshold 1 --custodian "$D/evefile.pub" --office "$D/office.pub" \
	-o "$D/eve-policy.cbor" >/dev/null
cp "$D/eve-policy.cbor" "$D/eve-draft.cbor"
expect_reason 1 "(token-extractable)" "consign sign refuses it too, though it is the policy's custodian" \
	"$CONSIGN" sign --key "pkcs11:token=alice-token;object=eve" --module "$M" \
	--pin-file "$T/alice-token.pin" --yes "$D/eve-policy.cbor"
check "... leaving the policy unsigned" cmp -s "$D/eve-policy.cbor" "$D/eve-draft.cbor"

# ---- the token goes away while consign waits for the PIN ---------------------
# The PIN comes through a pipe: consign has found the key and shown where it
# lives, and blocks reading the PIN; then the token's store is taken away, and
# only then is the PIN given.
mkfifo "$T/pin.fifo"
"$CONSIGN" sign --key "$URI" --module "$M" --pin-file "$T/pin.fifo" --yes "$D/r.cbor" \
	>"$T/gone.out" 2>"$T/gone.err" &
pid=$!
for _ in $(seq 1 500); do grep -q '^key: alice' "$T/gone.out" && break; sleep 0.02; done
check "consign found the key and shows where it lives before reading the PIN" \
	grep -q '^key: alice (token "alice-token"' "$T/gone.out"
mv "$T/softhsm/tokens" "$T/softhsm/away"
mkdir "$T/softhsm/tokens"
cat "$T/alice-token.pin" >"$T/pin.fifo"
wait "$pid"
rc=$?
checkx "a token removed before the PIN is given: exit 3, one line naming the token ($(head -c 160 "$T/gone.err"))" \
	'[ "$rc" -eq 3 ] && [ "$(wc -l <"$T/gone.err")" -eq 1 ] && grep -q "token \"alice-token\".*(token)" "$T/gone.err"'
check "... and the file is not signed" cmp -s "$D/r.cbor" "$D/draft.cbor"
rm -rf "$T/softhsm/tokens"
mv "$T/softhsm/away" "$T/softhsm/tokens"
expect 0 "the token back, the same command signs" \
	"$CONSIGN" sign --key "$URI" --module "$M" --pin-file "$T/alice-token.pin" --yes "$D/r.cbor"
