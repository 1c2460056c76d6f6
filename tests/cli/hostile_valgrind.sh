# The end-to-end CLI flow under valgrind memcheck: key generation, policy and
# order drafts, signing, verification, inspection, merging, and the error
# paths of a wrong passphrase and malformed inputs. Any invalid access,
# uninitialised use or definite/indirect leak fails the step.
. "$(dirname "$0")/../lib.sh"
G=$ROOT/manifests/golden
M=$ROOT/tests/malformed

if ! command -v valgrind >/dev/null; then
	skip "valgrind memcheck: valgrind is not installed"
	exit 0
fi
if nm "$CONSIGN" 2>/dev/null | grep -q -E '__asan_init|__tsan_init|__msan_init'; then
	skip "valgrind memcheck: $CONSIGN is built with a sanitizer (valgrind cannot run it)"
	exit 0
fi

# vg DESC WANT CMD...: CMD under memcheck exits WANT with no memcheck error
vg() {
	local desc=$1 want=$2
	shift 2
	valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--show-leak-kinds=definite,indirect --track-origins=yes --log-file="$T/vg.log" \
		"$CONSIGN" "$@" >"$T/out" 2>"$T/err"
	RC=$?
	if [ "$RC" -eq "$want" ] && [ ! -s "$T/vg.log" ]; then
		ok "memcheck clean: $desc (exit $RC)"
	else
		notok "memcheck: $desc (exit $RC, want $want): $(head -c 600 "$T/vg.log" | tr '\n' ' ') $(head -c 200 "$T/err")"
	fi
}

echo "valgrind pass" >"$T/pp"
vg "keygen" 0 keygen --id vgkey --kdf interactive --passphrase-file "$T/pp" -o "$T/vgkey"
vg "policy create" 0 policy create --threshold 1 --custodian "$G/alice.pub" --custodian "$T/vgkey.pub" \
	--office "$G/office.pub" -o "$T/p.cbor"
vg "sign a policy" 0 sign --key "$T/vgkey.key" --passphrase-file "$T/pp" --yes "$T/p.cbor"
vg "verify a policy" 0 verify "$T/p.cbor"
vg "verify --json a policy" 0 verify --json "$T/p.cbor"
vg "order create" 0 order create --policy "$T/p.cbor" --batch B7 --product "Probe" \
	--serials 1-100 --quantity 10 --station "$G/station.pub" -o "$T/o.cbor"
vg "verify an unsigned order" 1 verify --policy "$T/p.cbor" "$T/o.cbor"
cp "$T/p.cbor" "$T/p2.cbor"
vg "merge" 0 merge -o "$T/m.cbor" "$T/p.cbor" "$T/p2.cbor"
vg "inspect a policy" 0 inspect "$T/m.cbor"
vg "inspect a key file" 0 inspect --json "$T/vgkey.key"
vg "verify the golden order" 0 verify --policy "$G/policy.cbor" "$G/order.cbor"
vg "verify the golden record" 0 verify "$G/record.cbor"
vg "verify the golden header" 0 verify "$G/header.cbor"
echo "wrong" >"$T/wrong"
cp "$T/o.cbor" "$T/o2.cbor"
vg "a wrong passphrase" 1 sign --key "$T/vgkey.key" --passphrase-file "$T/wrong" --yes \
	--policy "$T/p.cbor" "$T/o2.cbor"
vg "a truncated policy" 3 verify "$M/policy-trailing.cbor"
vg "a non-canonical order" 3 verify --policy "$G/policy.cbor" "$M/order-unsorted.cbor"
vg "deeply nested input" 3 verify "$M/deep-arrays.cbor"
vg "absurd KDF parameters" 3 sign --key "$M/key-kdf-memory.key" --passphrase-file "$T/pp" --yes "$T/o2.cbor"
vg "a usage error" 2 sign --yes
