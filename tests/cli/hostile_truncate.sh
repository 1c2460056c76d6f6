# Every proper prefix of a valid artifact is refused (exit 3, or 1 where the
# prefix still parses), never accepted, never a crash or hang: the golden
# policy, order, record and batch header, a key file, and (once the
# commands that make them exist) a small batch zip and release zip.
. "$(dirname "$0")/../lib.sh"
G=$ROOT/manifests/golden
# a prefix that makes consign spin is caught by the CPU limit (killed: exit
# 137, counted as mishandled); this is cheaper than a timeout process each
ulimit -t 60

# truncate_all DESC FILE CMD...: CMD with the file's prefix as last argument
# (TAIL=N: the last N bytes are optional, e.g. a key file's final newline)
truncate_all() {
	local desc=$1 file=$2 size off bad=0 first=""
	shift 2
	size=$(($(stat -c %s "$file") - ${TAIL:-0}))
	for ((off = 0; off < size; off++)); do
		head -c "$off" "$file" >"$T/cut"
		"$@" "$T/cut" >/dev/null 2>"$T/cuterr"
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

# batch and release zips: a small valid batch (one record) collected from a
# simulated device and sealed (else made by the test tool mkbatch), and its
# release signed by two custodians
zips=0
if fixture "$T/f" 1 >/dev/null 2>&1; then
	if "$CONSIGN" station seal --help >/dev/null 2>&1 && [ -x "$DEVSIM" ]; then
		mkdir -p "$T/st"
		"$DEVSIM" --policy "$T/f/policy.cbor" --pty "$T/tty" --storage "$T/st" --serial 1000 \
			--count 1 --linger 500 >/dev/null 2>&1 &
		dev=$!
		for _ in $(seq 50); do [ -e "$T/tty" ] && break; sleep 0.05; done
		timeout 30 "$CONSIGN" station collect --order "$T/f/order.cbor" --port "$T/tty" \
			--journal "$T/J" --quiet >/dev/null 2>&1 &&
			"$CONSIGN" station seal --key "$T/f/station.key" --passphrase-file "$T/f/station.pass" \
				--order "$T/f/order.cbor" --journal "$T/J" -o "$T/batch.zip" --quiet >/dev/null 2>&1
		kill "$dev" 2>/dev/null
		wait "$dev" 2>/dev/null
	fi
	if [ ! -s "$T/batch.zip" ] && [ -x "$TOOLS/mkbatch" ]; then
		"$TOOLS/mkbatch" --order "$T/f/order.cbor" --key "$T/f/station.key" \
			--passphrase-file "$T/f/station.pass" --count 1 -o "$T/batch.zip" >/dev/null 2>&1
	fi
fi
if [ -s "$T/batch.zip" ] && "$CONSIGN" verify --policy "$T/f/policy.cbor" "$T/batch.zip" >/dev/null 2>&1; then
	truncate_all "truncated batch zip" "$T/batch.zip" "$CONSIGN" verify --policy "$T/f/policy.cbor"
	zips=1
else
	notok "truncated batch zip: no small valid batch could be made (mkbatch or station seal)"
fi
if [ "$zips" = 1 ] && "$CONSIGN" release create --help >/dev/null 2>&1 &&
	"$CONSIGN" ledger --ledger "$T/L" init --policy "$T/f/policy.cbor" >/dev/null 2>&1 &&
	"$CONSIGN" release create --ledger "$T/L" --policy "$T/f/policy.cbor" "$T/batch.zip" \
		-o "$T/release.zip" >/dev/null 2>&1 &&
	sign_as "$T/f" "$T/release.zip" alice --policy "$T/f/policy.cbor" &&
	sign_as "$T/f" "$T/release.zip" bob --policy "$T/f/policy.cbor" &&
	"$CONSIGN" verify --policy "$T/f/policy.cbor" --first "$T/release.zip" >/dev/null 2>&1; then
	truncate_all "truncated release zip" "$T/release.zip" "$CONSIGN" verify \
		--policy "$T/f/policy.cbor" --first
else
	notok "truncated release zip: no signed release could be made (consign release create)"
fi
