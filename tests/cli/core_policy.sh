# Policies and orders through the CLI: thresholds, repeated signers, byte
# flips, rotation, rollback and fork, orders under a policy.
. "$(dirname "$0")/../lib.sh"
K=$T/k
keys "$K" alice bob carol dave office station || { notok "keys"; exit 1; }

"$CONSIGN" policy create --threshold 2 --custodian "$K/alice.pub" --custodian "$K/bob.pub" \
	--custodian "$K/carol.pub" --office "$K/office.pub" -o "$T/p1.cbor" >/dev/null
expect_reason 1 policy-threshold "unsigned draft is rejected" "$CONSIGN" verify "$T/p1.cbor"
sign_as "$K" "$T/p1.cbor" alice
expect_reason 1 policy-threshold "2-of-3 policy signed by one custodian is rejected" \
	"$CONSIGN" verify "$T/p1.cbor"
check "... naming the missing signatures" grep -q "not signed by: bob, carol" "$T/out"
"$TOOLS/cosetool" dupsig "$T/p1.cbor" "$T/p1dup.cbor"
expect_reason 1 policy-threshold "the same custodian signing twice still counts once" \
	"$CONSIGN" verify "$T/p1dup.cbor"
check "... and the repeat is reported" grep -q "repeated signer" "$T/out"
cp "$T/p1.cbor" "$T/p1b.cbor"
sign_as "$K" "$T/p1.cbor" bob
expect 0 "2-of-3 policy signed by two custodians is accepted" "$CONSIGN" verify "$T/p1.cbor"
check "... and says its trust comes from pinning its digest" grep -q "pinning its digest" "$T/out"
expect 0 "--json report is accepted" "$CONSIGN" verify --json "$T/p1.cbor"
check "... with verdict and two valid signatures" \
	grep -q '"verdict":"accepted".*"valid_signatures":2' "$T/out"

# copies signed in parallel, merged
cp "$T/p1b.cbor" "$T/p1c.cbor"
sign_as "$K" "$T/p1c.cbor" carol
expect 0 "merge of copies signed by alice and by alice+carol" \
	"$CONSIGN" merge -o "$T/merged.cbor" "$T/p1b.cbor" "$T/p1c.cbor" "$T/p1dup.cbor"
expect 0 "the merged policy is accepted" "$CONSIGN" verify "$T/merged.cbor"
nvalid=$(grep -c 'signature [0-9]: .*valid' "$T/out")
check "... with two signatures (repeats dropped)" [ "$nvalid" -eq 2 ]
check "... one of them carol's" grep -q "carol, valid" "$T/out"

# a byte flipped anywhere in a file with exactly M signatures: never accepted
size=$("$TOOLS/cosetool" size "$T/p1.cbor")
zero=0
for ((i = 0; i < size; i++)); do
	"$TOOLS/cosetool" flip "$T/p1.cbor" "$i" "$T/flip.cbor"
	"$CONSIGN" verify "$T/flip.cbor" >/dev/null 2>&1
	rc=$?
	if [ "$rc" -ne 1 ] && [ "$rc" -ne 3 ]; then
		zero=$((zero + 1))
		echo "# offset $i: exit $rc"
	fi
done
check "a byte flipped at each of $size offsets of a 2-signature policy gives exit 1 or 3" \
	[ "$zero" -eq 0 ]

# rotation: v2 = alice, carol, dave; M = 2
"$CONSIGN" policy create --threshold 2 --custodian "$K/alice.pub" --custodian "$K/carol.pub" \
	--custodian "$K/dave.pub" --office "$K/office.pub" --previous "$T/p1.cbor" \
	-o "$T/p2.cbor" >/dev/null
expect_reason 1 "not a custodian" "signing v2 with a key of neither policy is refused" \
	"$CONSIGN" sign --key "$K/office.key" --passphrase-file "$K/office.pass" --yes \
	--policy "$T/p1.cbor" "$T/p2.cbor"
cp "$T/p2.cbor" "$T/p2-alone.cbor"
run "$CONSIGN" sign --key "$K/carol.key" --passphrase-file "$K/carol.pass" --yes "$T/p2-alone.cbor"
checkx "signing a rotation without the policy it replaces is a usage error (exit $RC)" \
	'[ "$RC" -eq 2 ] && grep -q "replaces another: give that one with --policy" "$T/err"'
sign_as "$K" "$T/p2.cbor" carol --policy "$T/p1.cbor"
sign_as "$K" "$T/p2.cbor" dave --policy "$T/p1.cbor"
expect_reason 1 policy-threshold-previous \
	"rotation signed by M new but fewer than M old custodians is refused" \
	"$CONSIGN" verify --policy "$T/p1.cbor" "$T/p2.cbor"
sign_as "$K" "$T/p2.cbor" bob --policy "$T/p1.cbor"
expect 0 "rotation signed by M old (carol, bob) and M new (carol, dave) is accepted" \
	"$CONSIGN" verify --policy "$T/p1.cbor" "$T/p2.cbor"
expect_reason 2 "is a rotation" \
	"the same rotation without the policy it replaces is not accepted (usage: give --policy)" \
	"$CONSIGN" verify "$T/p2.cbor"
expect_reason 1 policy-rollback "going back to v1 after pinning v2 is refused" \
	"$CONSIGN" verify --policy "$T/p2.cbor" "$T/p1.cbor"
"$CONSIGN" policy create --threshold 3 --custodian "$K/alice.pub" --custodian "$K/carol.pub" \
	--custodian "$K/dave.pub" --office "$K/office.pub" --previous "$T/p1.cbor" \
	-o "$T/p2fork.cbor" >/dev/null
for n in alice carol dave; do sign_as "$K" "$T/p2fork.cbor" $n --policy "$T/p1.cbor"; done
sign_as "$K" "$T/p2fork.cbor" bob --policy "$T/p1.cbor"
expect 0 "a second v2 verifies alone against v1 (what a fork looks like)" \
	"$CONSIGN" verify --policy "$T/p1.cbor" "$T/p2fork.cbor"
expect_reason 1 policy-fork "... but is refused once the first v2 is pinned" \
	"$CONSIGN" verify --policy "$T/p2.cbor" "$T/p2fork.cbor"

# a weak threshold draws a warning
"$CONSIGN" policy create --threshold 2 --custodian "$K/alice.pub" --custodian "$K/bob.pub" \
	--custodian "$K/carol.pub" --custodian "$K/dave.pub" --office "$K/office.pub" \
	-o "$T/weak.cbor" >/dev/null 2>"$T/err"
check "2 of 4 draws the two-groups warning" grep -q "not a majority" "$T/err"

expect_reason 1 policy-threshold "checking against an unsigned policy is refused" \
	"$CONSIGN" sign --key "$K/alice.key" --passphrase-file "$K/alice.pass" --yes \
	--policy "$T/weak.cbor" "$T/p2.cbor"
run "$CONSIGN" sign --key "$K/alice.key" --passphrase-file "$K/alice.pass" --yes "$T/weak.cbor"
check "... and so does signing it" grep -q "warning: threshold 2 of 4 is not a majority" "$T/err"
sign_as "$K" "$T/weak.cbor" bob
expect_reason 1 policy-predecessor "signing v2 as a rotation of an unrelated policy is refused" \
	"$CONSIGN" sign --key "$K/alice.key" --passphrase-file "$K/alice.pass" --yes \
	--policy "$T/weak.cbor" "$T/p2.cbor"

# orders
"$CONSIGN" order create --policy "$T/p1.cbor" --batch B42 --product "Sensor v2" \
	--serials 1000-1999 --quantity 1000 --station "$K/station.pub" -o "$T/o.cbor" >/dev/null
expect 2 "verifying an order needs --policy" "$CONSIGN" verify "$T/o.cbor"
run "$CONSIGN" sign --key "$K/alice.key" --passphrase-file "$K/alice.pass" --yes \
	--policy "$T/p1.cbor" "$T/o.cbor"
checkx "sign shows the order's deployment and counts valid signatures of the policy" \
	'grep -q "^  deployment:  $(jq -r .deployment <("$CONSIGN" inspect --json "$T/p1.cbor"))$" "$T/out" &&
	grep -q "^  signatures:  0 valid of the 2 needed so far (0 in the file)$" "$T/out"'
expect_reason 1 order-threshold "order signed by one of 2 is rejected" \
	"$CONSIGN" verify --policy "$T/p1.cbor" "$T/o.cbor"
sign_as "$K" "$T/o.cbor" bob --policy "$T/p1.cbor"
expect 0 "order signed by two custodians is accepted" \
	"$CONSIGN" verify --policy "$T/p1.cbor" "$T/o.cbor"
"$TOOLS/cosetool" dropsig "$T/p1.cbor" 0 "$T/p1none.cbor"
expect_reason 1 "not a complete policy" \
	"... but not against the same policy without its signatures (same digest, nothing pinned)" \
	"$CONSIGN" verify --policy "$T/p1none.cbor" "$T/o.cbor"
expect_reason 1 order-policy "the order checked against another policy is rejected" \
	"$CONSIGN" verify --policy "$T/p2.cbor" "$T/o.cbor"
expect_reason 1 "not a custodian" "a key outside the policy may not sign the order" \
	"$CONSIGN" sign --key "$K/dave.key" --passphrase-file "$K/dave.pass" --yes \
	--policy "$T/p1.cbor" "$T/o.cbor"
expect 2 "an order with quantity above its range is a usage error" \
	"$CONSIGN" order create --policy "$T/p1.cbor" --batch B43 --product x --serials 1-10 \
	--quantity 11 --station "$K/station.pub" -o "$T/o2.cbor"
expect_reason 1 policy-threshold "an order under an unsigned policy is refused" \
	"$CONSIGN" order create --policy "$T/p1b.cbor" --batch B43 --product x --serials 1-10 \
	--quantity 10 --station "$K/station.pub" -o "$T/o3.cbor"
