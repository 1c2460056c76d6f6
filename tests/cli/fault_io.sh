# Output faults seen from outside: a full disk (a tiny tmpfs when root may
# mount one; RLIMIT_FSIZE's EFBIG everywhere), a missing target directory, a
# read-only file system or directory, and an output name that is a FIFO or a
# device node (given --force: without it an existing name is refused first,
# exit 2, as every output is). After each: exit 3 with one line naming the file and the
# reason (io), the previous file byte for byte intact, no new file, and no
# temporary file left behind.
. "$(dirname "$0")/../lib.sh"
G=$ROOT/manifests/golden

"$CONSIGN" policy create --threshold 1 --custodian "$G/alice.pub" --custodian "$G/bob.pub" \
	--office "$G/office.pub" -o "$T/draft.cbor" >/dev/null 2>&1 || notok "draft policy made"
cp "$G/alice.key" "$T/alice.key"
chmod 600 "$T/alice.key"
echo golden >"$T/alice.pass"

# only_files DIR NAME...: DIR holds exactly these names (no temporary files)
only_files() {
	local dir=$1
	shift
	[ "$(ls -A "$dir" | sort | tr '\n' ' ')" = "$(printf '%s\n' "$@" | sort | tr '\n' ' ')" ]
}

# one_io_line: stderr is one line naming FILE with reason io
one_io_line() {
	[ "$(grep -vc "^consign: warning: " "$T/err")" -eq 1 ] && grep -q -- "$1" "$T/err" && grep -q "(io)" "$T/err"
}

sign_in() {
	"$CONSIGN" sign --key "$T/alice.key" --passphrase-file "$T/alice.pass" --yes "$1"
}

# --- file size limit: the write fails midway with EFBIG -------------------------
mkdir -p "$T/fsize"
cp "$T/draft.cbor" "$T/fsize/p.cbor"
# the limit applies to the process only: its messages pass through a pipe
run bash -c "trap '' XFSZ; (ulimit -f 0; exec \"\$@\") 2>&1 >/dev/null | cat >&2;
	exit \${PIPESTATUS[0]}" sh "$CONSIGN" sign --key "$T/alice.key" \
	--passphrase-file "$T/alice.pass" --yes "$T/fsize/p.cbor"
check "sign under a zero file size limit fails with exit 3 (got $RC)" [ "$RC" -eq 3 ]
check "  with one line naming the file, reason io" one_io_line p.cbor
check "  the previous file is intact" cmp -s "$T/fsize/p.cbor" "$T/draft.cbor"
check "  no temporary file is left" only_files "$T/fsize" p.cbor

# --- a really full file system ----------------------------------------------------
if [ "$(id -u)" = 0 ] && mkdir -p "$T/tiny" && mount -t tmpfs -o size=8k tmpfs "$T/tiny" 2>/dev/null; then
	trap 'umount "$T/tiny" 2>/dev/null; rm -rf "$T"' EXIT
	cp "$T/draft.cbor" "$T/tiny/p.cbor"
	# fill it up, leaving less room than a signature takes
	dd if=/dev/zero of="$T/tiny/fill" bs=1 count=100000 2>/dev/null
	run sign_in "$T/tiny/p.cbor"
	check "sign on a full file system fails with exit 3 (got $RC)" [ "$RC" -eq 3 ]
	check "  with one line naming the file, reason io" one_io_line p.cbor
	check "  the previous file is intact" cmp -s "$T/tiny/p.cbor" "$T/draft.cbor"
	check "  no temporary file is left" only_files "$T/tiny" p.cbor fill
	run "$CONSIGN" merge -o "$T/tiny/m.cbor" "$T/draft.cbor" "$T/draft.cbor"
	checkx "merge onto a full file system fails with exit 3, no output (got $RC)" \
		'[ "$RC" -eq 3 ] && [ ! -e "$T/tiny/m.cbor" ] && only_files "$T/tiny" p.cbor fill'
	rm -f "$T/tiny/fill"
	run sign_in "$T/tiny/p.cbor"
	check "once there is room again, sign succeeds" [ "$RC" -eq 0 ]
	# read-only: the file system remounted ro
	cp "$T/tiny/p.cbor" "$T/signed.cbor"
	mount -o remount,ro "$T/tiny"
	run "$CONSIGN" merge --force -o "$T/tiny/p.cbor" "$T/signed.cbor" "$T/signed.cbor"
	check "merge onto a read-only file system fails with exit 3 (got $RC)" [ "$RC" -eq 3 ]
	check "  with one line naming the file, reason io" one_io_line p.cbor
	check "  the previous file is intact" cmp -s "$T/tiny/p.cbor" "$T/signed.cbor"
	umount "$T/tiny"
else
	skip "full and read-only file system: needs root and a tmpfs mount"
fi

# --- read-only directory (permissions; root ignores them) -------------------------
if [ "$(id -u)" != 0 ]; then
	mkdir -p "$T/ro"
	cp "$T/draft.cbor" "$T/ro/p.cbor"
	chmod 555 "$T/ro"
	run sign_in "$T/ro/p.cbor"
	check "sign in a read-only directory fails with exit 3 (got $RC)" [ "$RC" -eq 3 ]
	check "  with one line naming the file, reason io" one_io_line p.cbor
	check "  the previous file is intact" cmp -s "$T/ro/p.cbor" "$T/draft.cbor"
	chmod 755 "$T/ro"
else
	skip "read-only directory by permissions: root ignores them (the read-only mount covers it)"
fi

# --- missing target directory -------------------------------------------------------
run "$CONSIGN" merge -o "$T/gone/m.cbor" "$T/draft.cbor" "$T/draft.cbor"
check "merge into a missing directory fails with exit 3 (got $RC)" [ "$RC" -eq 3 ]
check "  with one line naming the file, reason io" one_io_line m.cbor
check "  and creates nothing" [ ! -e "$T/gone" ]
run "$CONSIGN" keygen --id x --kdf interactive --passphrase-file "$T/alice.pass" -o "$T/gone/x"
check "keygen into a missing directory fails with exit 3 (got $RC)" [ "$RC" -eq 3 ]

# --- the output is not a regular file -------------------------------------------------
mkfifo "$T/fifo"
run timeout 10 "$CONSIGN" merge --force -o "$T/fifo" "$T/draft.cbor" "$T/draft.cbor"
checkx "merge onto a FIFO is refused with exit 3 (got $RC)" '[ "$RC" -eq 3 ] && one_io_line fifo'
check "  and the FIFO is still a FIFO" [ -p "$T/fifo" ]
if [ "$(id -u)" = 0 ] && mknod "$T/null" c 1 3 2>/dev/null; then
	run "$CONSIGN" merge --force -o "$T/null" "$T/draft.cbor" "$T/draft.cbor"
	check "merge onto a device node is refused with exit 3 (got $RC)" [ "$RC" -eq 3 ]
	check "  and the device node is still a device node" [ -c "$T/null" ]
else
	skip "device node output: needs root to mknod"
fi

# --- the zip writers (release create, station seal) too --------------------------------
if "$CONSIGN" release create --help >/dev/null 2>&1 && [ -x "$TOOLS/mkbatch" ] &&
	fixture "$T/f" 1 >/dev/null 2>&1 &&
	"$TOOLS/mkbatch" --order "$T/f/order.cbor" --key "$T/f/station.key" \
		--passphrase-file "$T/f/station.pass" --count 1 -o "$T/b.zip" >/dev/null 2>&1 &&
	"$CONSIGN" ledger --ledger "$T/L" init --policy "$T/f/policy.cbor" >/dev/null 2>&1; then
	run "$CONSIGN" release create --ledger "$T/L" --policy "$T/f/policy.cbor" "$T/b.zip" -o "$T/fifo" \
		--force
	checkx "release create onto a FIFO is refused with exit 3 (got $RC)" \
		'[ "$RC" -eq 3 ] && one_io_line fifo && [ -p "$T/fifo" ]'
	checkx "  and reserves no release in the ledger" \
		'"$CONSIGN" ledger --ledger "$T/L" --json show | grep -q "\"drafts\":\[\]"'
	if [ -c "$T/null" ]; then
		run "$CONSIGN" release create --ledger "$T/L" --policy "$T/f/policy.cbor" "$T/b.zip" \
			-o "$T/null" --force
		checkx "release create onto a device node is refused, the node kept (got $RC)" \
			'[ "$RC" -eq 3 ] && [ -c "$T/null" ]'
	fi
else
	notok "zip writer outputs: release create or mkbatch missing from this build"
fi

# --- an input that is a FIFO is refused at once, never waited on ---------------------
mkfifo "$T/in.fifo"
for c in "verify" "inspect" "verify --policy $ROOT/manifests/golden/policy.cbor --first" \
	"merge -o $T/merged.cbor $T/in.fifo"; do
	# shellcheck disable=SC2086
	run timeout 10 "$CONSIGN" $c "$T/in.fifo"
	checkx "consign $(echo "$c" | cut -d' ' -f1-2 | sed "s|$ROOT/||"): a FIFO input is refused at once (exit $RC)" \
		'[ "$RC" -eq 3 ] && grep -q "not a regular file" "$T/err"'
done
