# Secret keys: created 0600 whatever the umask and never overwritten; a
# readable one draws a warning; a wrong passphrase fails cleanly (exit 1,
# reason passphrase, the target untouched); core dumps are off and the process
# undumpable while it waits for a passphrase; no byte of a known secret key
# (golden alice: seed = SHA-256("consign golden key alice")) appears in any
# file, output or message of a signing session, raw, hex or base64; text
# fields with terminal escapes are refused.
. "$(dirname "$0")/../lib.sh"
G=$ROOT/manifests/golden

# --- permissions ---------------------------------------------------------
echo "pass phrase" >"$T/pp"
(umask 000 && "$CONSIGN" keygen --id k1 --kdf interactive --passphrase-file "$T/pp" -o "$T/k1" \
	>"$T/out" 2>"$T/err")
check "keygen under umask 000 makes the secret key 0600" [ "$(stat -c %a "$T/k1.key")" = 600 ]
cp "$T/k1.key" "$T/k1.key.orig"
expect_reason 2 "already exists" "keygen refuses to overwrite an existing key" \
	"$CONSIGN" keygen --id k1 --kdf interactive --passphrase-file "$T/pp" -o "$T/k1"
check "the existing secret key is untouched" cmp -s "$T/k1.key" "$T/k1.key.orig"

"$CONSIGN" policy create --threshold 1 --custodian "$G/alice.pub" --custodian "$G/bob.pub" \
	--office "$G/office.pub" -o "$T/draft.cbor" >/dev/null 2>&1
cp "$G/alice.key" "$T/alice.key"
echo golden >"$T/alice.pass"
chmod 600 "$T/alice.key"
cp "$T/draft.cbor" "$T/d1.cbor"
run "$CONSIGN" sign --key "$T/alice.key" --passphrase-file "$T/alice.pass" --yes "$T/d1.cbor"
checkx "a 0600 secret key signs without a warning" \
	'[ "$RC" -eq 0 ] && ! grep -q "readable by others" "$T/err"'
chmod 644 "$T/alice.key"
cp "$T/draft.cbor" "$T/d2.cbor"
run "$CONSIGN" sign --key "$T/alice.key" --passphrase-file "$T/alice.pass" --yes "$T/d2.cbor"
check "a world-readable secret key draws a warning" grep -q 'readable by others' "$T/err"
chmod 640 "$T/alice.key"
cp "$T/draft.cbor" "$T/d3.cbor"
run "$CONSIGN" sign --key "$T/alice.key" --passphrase-file "$T/alice.pass" --yes "$T/d3.cbor"
check "a group-readable secret key draws a warning" grep -q 'readable by others' "$T/err"
chmod 600 "$T/alice.key"

# --- wrong passphrase ----------------------------------------------------
echo "not golden" >"$T/wrong.pass"
cp "$T/draft.cbor" "$T/d4.cbor"
expect_reason 1 '(passphrase)' "a wrong passphrase fails with exit 1, reason passphrase" \
	"$CONSIGN" sign --key "$T/alice.key" --passphrase-file "$T/wrong.pass" --yes "$T/d4.cbor"
check "the wrong passphrase message is one line (besides warnings)" [ "$(grep -vc "^consign: warning: " "$T/err")" -eq 1 ]
check "a failed unlock leaves the artifact untouched" cmp -s "$T/d4.cbor" "$T/draft.cbor"
check "a failed unlock leaves no temporary file" [ -z "$(ls -A "$T" | grep -v -E '^(k1|alice|draft|d[0-9]|pp|wrong|out|err)')" ]

# --- core dumps ----------------------------------------------------------
# sign blocks opening a FIFO passphrase file; by then the key is loaded and
# the process must have RLIMIT_CORE 0 and be undumpable. An undumpable
# process's /proc files belong to root, so the check runs consign as nobody.
if [ -r /proc/self/limits ] && command -v mkfifo >/dev/null; then
	mkdir -p "$T/core"
	cp "$T/alice.key" "$T/draft.cbor" "$T/core/"
	mkfifo "$T/core/pass"
	as=()
	if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
		chown -R nobody "$T/core" && chmod 755 "$T" &&
			as=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
	fi
	(ulimit -c unlimited 2>/dev/null
	 exec "${as[@]}" "$CONSIGN" sign --key "$T/core/alice.key" --passphrase-file "$T/core/pass" \
		--yes "$T/core/draft.cbor" >"$T/core.out" 2>"$T/core.err") &
	pid=$!
	# wait until it blocks opening the FIFO (at most 10 s)
	for _ in $(seq 100); do
		[ "$(cat "/proc/$pid/wchan" 2>/dev/null)" = fifo_open ] && break
		sleep 0.1
	done
	lim=$(awk '/^Max core file size/ {print $5 " " $6}' "/proc/$pid/limits" 2>/dev/null)
	owner=$(stat -c %U "/proc/$pid/status" 2>/dev/null)
	check "core file size limit is 0 while sign waits for the passphrase (got '$lim')" [ "$lim" = "0 0" ]
	if [ ${#as[@]} -gt 0 ] || [ "$(id -u)" != 0 ]; then
		check "sign is undumpable while it waits for the passphrase (/proc owner $owner)" \
			[ "$owner" = root ]
	else
		skip "undumpable check: needs root with setpriv, or a non-root user"
	fi
	echo golden >"$T/core/pass"
	wait "$pid"
	check "sign finishes once the passphrase arrives (exit $?)" has "$T/core.out" "signature"
else
	skip "core dump checks: no /proc or mkfifo here"
fi

# --- no secret byte anywhere -----------------------------------------------
if command -v python3 >/dev/null; then
	mkdir -p "$T/scan"
	cp "$T/draft.cbor" "$T/scan/policy.cbor"
	cp "$G/alice.key" "$T/scan/alice.key"
	chmod 600 "$T/scan/alice.key"
	(cd "$T/scan" &&
		"$CONSIGN" sign --key alice.key --passphrase-file "$T/alice.pass" --yes policy.cbor &&
		"$CONSIGN" verify policy.cbor && "$CONSIGN" verify --json policy.cbor &&
		"$CONSIGN" inspect policy.cbor && "$CONSIGN" inspect --json alice.key &&
		"$CONSIGN" inspect alice.key && cp policy.cbor copy.cbor &&
		"$CONSIGN" merge -o merged.cbor policy.cbor copy.cbor &&
		"$CONSIGN" sign --key alice.key --passphrase-file "$T/wrong.pass" --yes copy.cbor
	) >"$T/scan/stdout.log" 2>"$T/scan/stderr.log"
	cat >"$T/scan.py" <<'PY'
import base64, hashlib, os, sys

seed = hashlib.sha256(b"consign golden key alice").digest()
# libsodium's 64-byte secret key is seed || public key: every raw, hex or
# base64 form of it starts with the same form of the seed, so the seed's
# patterns cover both
pats = {"raw": seed, "hex": seed.hex().encode(), "HEX": seed.hex().upper().encode()}
for shift in range(3):
    # base64 of the seed at each alignment inside a longer blob
    b = base64.b64encode(b"\0" * shift + seed)[4 if shift else 0:][:36]
    pats["base64+%d" % shift] = b
    pats["base64url+%d" % shift] = b.replace(b"+", b"-").replace(b"/", b"_")
found = []
n = 0
for root, dirs, files in os.walk(sys.argv[1]):
    for f in files:
        n += 1
        data = open(os.path.join(root, f), "rb").read()
        for k, p in pats.items():
            if p in data:
                found.append("%s in %s" % (k, f))
print("files=%d found=%s" % (n, ";".join(found) or "none"))
PY
	# the office side too: golden alice is the only custodian (threshold 1)
	# of a policy and signs its order and a release; the release, ledger,
	# export and receipt are scanned with the rest
	if "$CONSIGN" release create --help >/dev/null 2>&1 && [ -x "$TOOLS/mkbatch" ]; then
		keys "$T/scan" station office >/dev/null 2>&1
		(cd "$T/scan" &&
			"$CONSIGN" policy create --threshold 1 --custodian "$G/alice.pub" \
				--office office.pub -o p1.cbor &&
			"$CONSIGN" sign --key alice.key --passphrase-file "$T/alice.pass" --yes p1.cbor &&
			"$CONSIGN" order create --policy p1.cbor --batch S1 --product Scan --serials 1-9 \
				--quantity 3 --station station.pub -o o1.cbor &&
			"$CONSIGN" sign --key alice.key --passphrase-file "$T/alice.pass" --yes \
				--policy p1.cbor o1.cbor &&
			"$TOOLS/mkbatch" --order o1.cbor --key station.key --passphrase-file station.pass \
				--count 3 -o b1.zip &&
			"$CONSIGN" ledger --ledger L init --policy p1.cbor &&
			"$CONSIGN" release create --ledger L --policy p1.cbor b1.zip -o r1.zip &&
			"$CONSIGN" sign --key alice.key --passphrase-file "$T/alice.pass" --yes \
				--policy p1.cbor r1.zip &&
			"$CONSIGN" ledger --ledger L add r1.zip &&
			"$CONSIGN" export --policy p1.cbor --first --format csv r1.zip -o e1.csv &&
			"$CONSIGN" export --policy p1.cbor --first --format jsonl r1.zip -o e1.jsonl &&
			"$CONSIGN" receipt --key office.key --passphrase-file office.pass --policy p1.cbor \
				b1.zip -o rc1.cbor
		) >"$T/scan/office.log" 2>&1
		checkx "the office session ran to its end (release, ledger, export, receipt)" \
			'[ -s "$T/scan/rc1.cbor" ] && [ -s "$T/scan/e1.csv" ]'
	else
		notok "secret scan of releases, ledger and exports: missing from this build"
	fi
	python3 "$T/scan.py" "$T/scan" >"$T/scan.result"
	# the scanner itself must see a seed hidden in base64 at an odd offset
	mkdir -p "$T/ctl"
	python3 -c 'import base64, hashlib; print(base64.b64encode(b"xx" + hashlib.sha256(b"consign golden key alice").digest()).decode())' >"$T/ctl/leak"
	check "the scanner finds a seed hidden in base64 (control)" \
		[ "$(python3 "$T/scan.py" "$T/ctl" | sed 's/.*found=//')" != none ]
	res=$(cat "$T/scan.result")
	check "a signing session leaves no byte of the secret key in any file or output ($res)" \
		[ "${res#*found=}" = none ]
	check "the scan looked at the session's files ($(echo "$res" | cut -d' ' -f1))" \
		[ "$(echo "$res" | sed 's/files=\([0-9]*\).*/\1/')" -ge 6 ]
	check "the scan's session did sign" has "$T/scan/stdout.log" "signature"
else
	skip "secret byte scan: python3 missing"
fi

# --- text fields -------------------------------------------------------------
expect_reason 2 "" "keygen refuses a name with a terminal escape" \
	"$CONSIGN" keygen --id evil --name $'\e[2Jevil' --kdf interactive --passphrase-file "$T/pp" -o "$T/evil"
check "no key was written for the escaped name" [ ! -e "$T/evil.key" ]
