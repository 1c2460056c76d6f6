# make demo TOKENS=1 (examples/demo/demo.sh with TOKENS=1, a few devices):
# the same story with the custodians' keys made in and used from SoftHSM2
# tokens in the demo's own store. It runs to its end; no custodian key file
# is written, only their .pub and PIN files; every consign sign of a
# custodian said where the key lives; the policy, order and release verify.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/p11.sh"
p11_setup
D=$T/demo
export CONSIGN CONSIGN_DEVSIM=$DEVSIM DEMO_DEVICES=8 TOKENS=1
# the demo makes its own store: the test's SOFTHSM2_CONF must not be what it uses
unset SOFTHSM2_CONF

run timeout 300 "$ROOT/examples/demo/demo.sh" "$D"
check "the demo with TOKENS=1 runs to its end (exit 0)" [ "$RC" -eq 0 ]
[ "$RC" -eq 0 ] || sed 's/^/# /' "$T/err" | tail -5
cp "$T/out" "$T/story"
check "it tells 12 numbered steps" grep -q '^12\. Refused: a release with one signature' "$T/story"
check "the custodians' keys are made inside their tokens" \
	[ "$(grep -c 'no secret file was written' "$T/story")" -eq 3 ]
# the demo shows three signatures in full (the others by their last line)
check "each custodian signature shown in full said where its key lives" \
	[ "$(grep -c '^ *key: [a-z]* (token "[a-z]*-token", SoftHSM slot [0-9]*)$' "$T/story")" -eq 3 ]
missing=""
for f in alice.pub alice.pin bob.pub bob.pin carol.pub carol.pin softhsm2.conf office.key station.key; do
	[ -s "$D/$f" ] || missing="$missing $f"
done
check "the .pub and PIN files are there:${missing:- all}" [ -z "$missing" ]
checkx "no custodian key file is written" \
	'[ ! -e "$D/alice.key" ] && [ ! -e "$D/bob.key" ] && [ ! -e "$D/carol.key" ]'
check "the tokens live in the demo's own store" \
	grep -qx "directories.tokendir = $D/tokens" "$D/softhsm2.conf"
P=$D/policy.cbor
run "$CONSIGN" verify "$P"
checkx "the policy verifies, signed by alice and bob" \
	'[ "$RC" -eq 0 ] && grep -q "alice, valid" "$T/out" && grep -q "bob, valid" "$T/out"'
expect 0 "the order verifies under it" "$CONSIGN" verify --policy "$P" "$D/order.cbor"
run "$CONSIGN" verify --policy "$P" --first "$D/registry.zip"
checkx "the release verifies on the cloud side, signed by bob and carol" \
	'[ "$RC" -eq 0 ] && grep -q "bob, valid" "$T/out" && grep -q "carol, valid" "$T/out"'
check "devices.jsonl has one line per device" [ "$(wc -l <"$D/devices.jsonl")" -eq 8 ]
