# Every proper prefix of a valid artifact is refused (exit 3, or 1 where the
# prefix still parses), never accepted, never a crash or hang: the golden
# policy, order, record and batch header, a key file, and (once the
# commands that make them exist) a small batch zip and release zip.
. "$(dirname "$0")/../lib.sh"
G=$ROOT/manifests/golden

# truncate_all DESC FILE CMD...: CMD with the file's prefix as last argument
# (TAIL=N: the last N bytes are optional, e.g. a key file's final newline)
truncate_all() {
	local desc=$1 file=$2 size off bad=0 first=""
	shift 2
	size=$(($(stat -c %s "$file") - ${TAIL:-0}))
	for ((off = 0; off < size; off++)); do
		head -c "$off" "$file" >"$T/cut"
		timeout 10 "$@" "$T/cut" >/dev/null 2>"$T/cuterr"
		RC=$?
		if [ "$RC" -ne 3 ] && [ "$RC" -ne 1 ]; then
			bad=$((bad + 1))
			[ -z "$first" ] && first="offset $off: exit $RC $(head -c 200 "$T/cuterr")"
		elif [ "$(wc -l <"$T/cuterr")" -lt 1 ]; then
			bad=$((bad + 1))
			[ -z "$first" ] && first="offset $off: exit $RC without a message"
		fi
	done
	if [ "$bad" -eq 0 ]; then
		ok "$desc: all $size prefixes refused with exit 1 or 3 and a message"
	else
		notok "$desc: $bad of $size prefixes mishandled, first: $first"
	fi
}

truncate_all "truncated policy" "$G/policy.cbor" "$CONSIGN" verify
truncate_all "truncated order" "$G/order.cbor" "$CONSIGN" verify --policy "$G/policy.cbor"
truncate_all "truncated record" "$G/record.cbor" "$CONSIGN" verify
truncate_all "truncated batch header" "$G/header.cbor" "$CONSIGN" verify
TAIL=1 truncate_all "truncated public key file" "$G/alice.pub" "$CONSIGN" inspect
TAIL=1 truncate_all "truncated secret key file" "$G/alice.key" "$CONSIGN" inspect
truncate_all "truncated policy, inspect" "$G/policy-v2.cbor" "$CONSIGN" inspect

# batch and release zips: made by the factory and office commands
if "$CONSIGN" station seal --help >/dev/null 2>&1 && [ -n "${HOSTILE_BATCH:-}" ]; then
	truncate_all "truncated batch zip" "$HOSTILE_BATCH" "$CONSIGN" verify --policy "$G/policy.cbor"
else
	skip "truncated batch zip: no small valid batch to cut yet (consign station seal not in this build)"
fi
if "$CONSIGN" release create --help >/dev/null 2>&1 && [ -n "${HOSTILE_RELEASE:-}" ]; then
	truncate_all "truncated release zip" "$HOSTILE_RELEASE" "$CONSIGN" verify --policy "$G/policy.cbor" --first
else
	skip "truncated release zip: no small valid release to cut yet (consign release create not in this build)"
fi
