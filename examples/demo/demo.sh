#!/usr/bin/env bash
# The whole consign story on one machine, narrated step by step: three
# custodians, a 2-of-3 policy, an order for 1,000 devices, a factory line of
# simulated devices on four pseudo-terminals (the fourth an emulated board
# running the device firmware when QEMU is installed), the sealed batch, the release
# and its signatures, the office ledger, the cloud's import, and two files
# that are refused; then attested devices (a secure element and attesting
# firmware each, from a TEST chip maker the policy pins) released with their
# certificates, and records the factory made for its own keys refused. Run
# by `make demo` after the build:
#
#   examples/demo/demo.sh [DIR]
#
# Every file is kept in DIR (made if missing; a directory an earlier demo
# made is emptied first, any other non-empty one is refused), or in a new
# temporary directory, under stable names: policy.cbor, order.cbor,
# batch.zip, registry.zip, devices.jsonl, NAME.pub, NAME.key and NAME.pass
# for alice, bob, carol, station and office, ledger/, factory/, attested/.
#
# CONSIGN, CONSIGN_DEVSIM, CONSIGN_MKATTEST and CONSIGN_MKBATCH name the
# programs (default: the build's; the last two are test tools);
# DEMO_DEVICES sets how many devices (default 1000, spread over 4 lines).
# TOKENS=1 (make demo TOKENS=1) keeps the custodians' keys in hardware
# tokens instead of files: one SoftHSM2 token each, under DIR/tokens
# (DIR/softhsm2.conf), their PINs in NAME.pin; no NAME.key is written for
# them. The office's and the station's keys stay files either way.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
CONSIGN=${CONSIGN:-$BUILD/consign}
DEVSIM=${CONSIGN_DEVSIM:-$BUILD/consign-devsim}
# the attested steps' TEST chip maker and the factory's forging tool (tests/tools)
MKATTEST=${CONSIGN_MKATTEST:-$BUILD/tools/mkattest}
MKBATCH=${CONSIGN_MKBATCH:-$BUILD/tools/mkbatch}
N=${DEMO_DEVICES:-1000}
TOKENS=${TOKENS:-0}
LINES=4
FIRST=100000
MARK=.consign-demo

die() {
	echo "demo: $*" >&2
	exit 1
}

for p in "$CONSIGN" "$DEVSIM" "$MKATTEST" "$MKBATCH"; do
	[ -x "$p" ] || die "$p is missing: build it first (make test-bins), or run make demo"
done
# the attacker of step 11 repacks a zip with python3's zipfile; jq reads JSON
for t in python3 jq; do
	command -v "$t" >/dev/null ||
		die "needs $t: as root, run 'apt-get install -y $t' (or 'make deps', which installs everything)"
done
case "$N" in '' | *[!0-9]*) die "DEMO_DEVICES must be a number" ;; esac
case "$TOKENS" in 0 | 1) ;; *) die "TOKENS must be 0 or 1" ;; esac
MODULE=
if [ "$TOKENS" = 1 ]; then
	for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so; do
		[ -f "$m" ] && MODULE=$m && break
	done
	[ -n "$MODULE" ] && command -v softhsm2-util >/dev/null ||
		die "TOKENS=1 needs SoftHSM2: as root, run 'apt-get install -y softhsm2' (or 'make deps')"
fi
[ "$N" -ge "$LINES" ] || die "DEMO_DEVICES must be at least $LINES"

if [ $# -gt 1 ]; then
	echo "usage: examples/demo/demo.sh [DIR]" >&2
	exit 2
fi
if [ $# -eq 1 ] && [ -n "$1" ]; then
	DIR=$1
	if [ -d "$DIR" ] && [ -n "$(ls -A "$DIR")" ]; then
		if [ -e "$DIR/$MARK" ]; then
			rm -rf "${DIR:?}"/* "$DIR"/.[!.]* 2>/dev/null
		else
			echo "demo: $DIR is not empty and was not made by the demo; give a new or empty directory" >&2
			exit 2
		fi
	fi
	mkdir -p "$DIR" || die "cannot make $DIR"
	KEPT="Files in $DIR:"
else
	DIR=$(mktemp -d "${TMPDIR:-/tmp}/consign-demo.XXXXXX") || die "cannot make a temporary directory"
	KEPT="Files in $DIR (a temporary directory:
remove it when done; make demo DEMO_DIR=DIR keeps the files where you say):"
fi
DIR=$(cd "$DIR" && pwd)
cd "$DIR" || die "cannot enter $DIR"
: >"$MARK"
mkdir -p factory logs attacker
if [ "$TOKENS" = 1 ]; then
	# the demo's own token store, never the system's
	mkdir -p tokens
	printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
		"$DIR" >softhsm2.conf
	export SOFTHSM2_CONF=$DIR/softhsm2.conf
fi

SIMS=""
cleanup() {
	local p
	for p in $SIMS; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
}
trap cleanup EXIT
trap 'cleanup; echo; echo "demo: interrupted; the files so far are in $DIR"; exit 130' INT TERM

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
	B=$(printf '\033[1m') R=$(printf '\033[0m')
else
	B="" R=""
fi
START=$SECONDS
STEP=0

# step TITLE: a numbered heading
step() {
	STEP=$((STEP + 1))
	printf '\n%s%d. %s%s\n' "$B" "$STEP" "$1" "$R"
}

# say: the narration, from standard input
say() { sed 's/^/   /'; }

# show ARG...: prints the command as a user would type it, wrapped at 78
# columns ("consign" for the program's path)
show() {
	local line="   \$" a w
	for a in "$@"; do
		case "$a" in
		"$CONSIGN") a=consign ;;
		"$DEVSIM") a=consign-devsim ;;
		"&" | "|") ;;
		*[!A-Za-z0-9_./:=,@+-]*) a="\"$a\"" ;;
		esac
		w=" $a"
		if [ $((${#line} + ${#w})) -gt 76 ] && [ "${#line}" -gt 8 ]; then
			printf '%s \\\n' "$line"
			line="       "
		fi
		line="$line$w"
	done
	printf '%s\n' "$line"
}

# run WANT FILTER CMD...: shows CMD, runs it, shows its output (both
# streams) through FILTER (a command such as "cat" or "tail -n 1"), and stops
# the demo unless CMD exited with WANT.
run() {
	local want=$1 filter=$2 rc
	shift 2
	show "$@"
	"$@" >logs/last.out 2>&1
	rc=$?
	$filter logs/last.out | sed 's/^/       /'
	if [ "$rc" -ne "$want" ]; then
		echo "demo: step $STEP: exit status $rc, expected $want; the files are in $DIR" >&2
		exit 1
	fi
}
ok() { run 0 cat "$@"; }
last() { run 0 "tail -n 1" "$@"; }
refused() {
	run 1 cat "$@"
	echo "       (exit status 1: refused)"
}

# --------------------------------------------------------------------------
cat <<EOF
${B}consign demo${R}: one batch of $N devices, from the custodians' first keys
to the cloud's device registry. Files: $DIR

  alice, bob, carol   custodians at HQ: any 2 of the 3 must approve everything
  office              the HQ machine that checks batches and keeps the ledger
  station             the factory's provisioning PC (not trusted)
  devices             $N devices on $LINES serial lines (one an emulated board running
                      the device firmware, when QEMU is installed)
  cloud               the CI job that imports the registry
EOF

SECRET=passphrase
[ "$TOKENS" = 1 ] && SECRET="token's PIN"

# key NAME: the arguments that give NAME's signing key to consign, in KEY
key() {
	if [ "$TOKENS" = 1 ] && [ -e "$1.pin" ]; then
		KEY=(--key "pkcs11:token=$1-token;object=$1" --module "$MODULE" --pin-file "$1.pin")
	else
		KEY=(--key "$1.key" --passphrase-file "$1.pass")
	fi
}

step "The custodians make their keys"
if [ "$TOKENS" = 1 ]; then
	say <<'EOF'
Alice, Bob and Carol each have a hardware token (here SoftHSM2 plays three,
in tokens/). Each makes a key pair inside their own token: the secret never
leaves it, and only NAME.pub is written. Real custodians type the token's
PIN when consign asks; the demo reads it from NAME.pin.
EOF
	for n in alice:"Alice Archer" bob:"Bob Baker" carol:"Carol Cooper"; do
		id=${n%%:*}
		echo "demo PIN of $id" >"$id.pin"
		chmod 600 "$id.pin"
		run 0 "tail -n 1" softhsm2-util --init-token --free --label "$id-token" \
			--so-pin "demo SO PIN of $id" --pin "demo PIN of $id"
		ok "$CONSIGN" keygen --pkcs11 "pkcs11:token=$id-token" --id "$id" --name "${n#*:}" \
			--module "$MODULE" --pin-file "$id.pin" -o "$id"
	done
else
	say <<'EOF'
Alice, Bob and Carol each make a key pair, each on a machine they control.
NAME.pub is shared; NAME.key holds the secret, encrypted with its owner's
passphrase. Real custodians type the passphrase when consign asks, and keep
the default (slower, stronger) key derivation; the demo reads it from
NAME.pass and uses --kdf interactive to be quick.
EOF
	for n in alice:"Alice Archer" bob:"Bob Baker" carol:"Carol Cooper"; do
		id=${n%%:*}
		echo "demo passphrase of $id" >"$id.pass"
		chmod 600 "$id.pass"
		ok "$CONSIGN" keygen --id "$id" --name "${n#*:}" --kdf interactive --passphrase-file "$id.pass" -o "$id"
	done
fi

step "The office and the station get their keys"
say <<'EOF'
The office key signs receipts for the factory, the station key signs the
batches the station seals. Neither grants any trust: only custodian
signatures do. The station key is made at the factory, on the station; only
station.pub travels to HQ.
EOF
for id in office station; do
	echo "demo passphrase of $id" >"$id.pass"
	chmod 600 "$id.pass"
	ok "$CONSIGN" keygen --id "$id" --kdf interactive --passphrase-file "$id.pass" -o "$id"
done

step "The policy: any 2 of the 3 custodians"
say <<EOF
HQ drafts the policy: the custodians, how many must sign (2), the office key.
It counts only once 2 custodians have signed it. Before typing the $SECRET
each one reads what consign sign shows: the key ids (compare them with what
each custodian's 'consign inspect NAME.pub' says), the threshold, the
digest. (--yes skips the [y/N] question that a person answers.)
EOF
ok "$CONSIGN" policy create --threshold 2 --custodian alice.pub --custodian bob.pub \
	--custodian carol.pub --office office.pub -o policy.cbor
key alice
ok "$CONSIGN" sign "${KEY[@]}" --yes policy.cbor
key bob
last "$CONSIGN" sign "${KEY[@]}" --yes policy.cbor
ok "$CONSIGN" verify policy.cbor
say <<'EOF'
That digest is what everyone pins: the cloud stores it, and the devices'
firmware compiles it in as its trust anchor.
EOF
ok "$CONSIGN" policy anchor --policy policy.cbor -o anchor.h

LAST=$((FIRST + N - 1))
step "The order: $N devices for batch B42"
say <<EOF
HQ orders batch B42: the product, the serials $FIRST-$LAST, the quantity,
the station allowed to seal it, and a new random nonce. Two custodians sign
it (Alice and Carol this time: any 2 of the 3). Each device checks these
signatures itself before it makes a key.
EOF
ok "$CONSIGN" order create --policy policy.cbor --batch B42 --product "Sensor v2" \
	--serials "$FIRST-$LAST" --quantity "$N" --station station.pub -o order.cbor
key alice
ok "$CONSIGN" sign "${KEY[@]}" --policy policy.cbor --yes order.cbor
key carol
last "$CONSIGN" sign "${KEY[@]}" --policy policy.cbor --yes order.cbor
ok "$CONSIGN" verify --policy policy.cbor order.cbor
say <<'EOF'
policy.cbor and order.cbor go to the factory by any means: they are signed,
so the channel does not matter.
EOF

step "The factory provisions $N devices"
# The last line is an emulated board when QEMU and the firmware are there:
# the device agent cross-compiled for a Cortex-M3 (make firmware), with this
# demo's anchor.h compiled in, running in qemu-system-arm.
EMU="" NEMU=0
if ! command -v qemu-system-arm >/dev/null || ! command -v arm-none-eabi-gcc >/dev/null; then
	EMU_WHY="qemu-system-arm or arm-none-eabi-gcc is not installed (make deps installs them)"
elif [ ! -f "$ROOT/build/firmware/sodium/built" ]; then
	EMU_WHY="the firmware is not built (make firmware)"
elif ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$ROOT" firmware \
	FW_ANCHOR="$DIR/anchor.h" FW_OUT="$DIR/firmware" >logs/firmware.log 2>&1; then
	EMU_WHY="the firmware image did not build (logs/firmware.log)"
else
	EMU=$((FIRST + N - 1)) NEMU=1
	LINES=$((LINES - 1))
fi
per=$(((N - NEMU) / LINES))
say <<EOF
$LINES test fixtures, each a serial line where $per devices are placed in turn
(consign-devsim plays them on the pseudo-terminals factory/line0..$((LINES - 1))).
The station hands each device the order; the device checks the custodians'
signatures, makes its own Ed25519 key inside, keeps the secret, and answers
with a record signed by that key. The station checks the record, writes it
to its journal on disk, and only then tells the device it is done.
EOF
if [ -n "$EMU" ]; then
	say <<EOF
One more line holds a single device that is firmware, not a simulator: the
same device agent cross-compiled for a Cortex-M3 with anchor.h built in
(firmware/consign-fw.elf), on an emulated board (QEMU's mps2-an385) whose
UART is a pseudo-terminal. Its secure storage is factory/board/device.store.
EOF
else
	echo "   (No emulated board this time: $EMU_WHY; all $N devices are simulated.)"
fi
for l in $(seq 0 $((LINES - 1))); do
	count=$per
	[ "$l" -eq $((LINES - 1)) ] && count=$((N - NEMU - per * (LINES - 1)))
	serial=$((FIRST + l * per))
	mkdir -p "factory/devices$l"
	args=("$DEVSIM" --policy policy.cbor --pty "factory/line$l" --storage "factory/devices$l"
		--serial "$serial" --count "$count" --log "logs/line$l.log")
	[ "$l" -eq 0 ] && show "${args[@]}" "&"
	rm -f "factory/line$l"
	"${args[@]}" >"logs/devsim$l.out" 2>&1 &
	SIMS="$SIMS $!"
	for _ in $(seq 1 500); do
		[ -L "factory/line$l" ] && break
		kill -0 "$!" 2>/dev/null || die "consign-devsim on line $l stopped: $(cat "logs/devsim$l.out")"
		sleep 0.01
	done
	[ -L "factory/line$l" ] || die "consign-devsim on line $l made no pseudo-terminal"
done
echo "       (and the same on line1..line$((LINES - 1)), serials from $((FIRST + per)) on)"
ports=()
for l in $(seq 0 $((LINES - 1))); do ports+=(--port "factory/line$l"); done
if [ -n "$EMU" ]; then
	mkdir -p factory/board
	show qemu-system-arm -M mps2-an385 -nographic -monitor none -serial pty \
		-semihosting-config enable=on,target=native -kernel firmware/consign-fw.elf \
		-append "serial=$EMU hwid=emu-$EMU debug=locked boot=secure" "&"
	(cd factory/board && exec qemu-system-arm -M mps2-an385 -nographic -monitor none -serial pty \
		-semihosting-config enable=on,target=native -kernel "$DIR/firmware/consign-fw.elf" \
		-append "serial=$EMU hwid=emu-$EMU debug=locked boot=secure" \
		</dev/null >"$DIR/logs/board.log" 2>&1) &
	SIMS="$SIMS $!"
	for _ in $(seq 1 500); do
		grep -q '^fw: ready' logs/board.log 2>/dev/null && break
		sleep 0.02
	done
	board=$(grep -o '/dev/pts/[0-9]*' logs/board.log | tail -1)
	[ -n "$board" ] || die "the emulated board did not start: $(cat logs/board.log)"
	echo "       (run in factory/board; its UART is $board)"
	ports+=(--port "$board")
fi
show "$CONSIGN" station collect --order order.cbor --policy policy.cbor "${ports[@]}" \
	--journal factory/journal
# on a terminal the station keeps one status line up to date on stderr;
# otherwise it logs a line per device on stdout: kept in logs/station.log
t0=$SECONDS
"$CONSIGN" station collect --order order.cbor --policy policy.cbor "${ports[@]}" \
	--journal factory/journal >logs/station.log
rc=$?
[ "$rc" -eq 0 ] || die "step $STEP: station collect exited $rc; see $DIR/logs"
grep -m 2 ' done (' logs/station.log | sed 's/^/       /'
grep -q ' done (' logs/station.log && echo "       ..."
tail -n 1 logs/station.log | sed 's/^/       /'
told=$(cat logs/line*.log | grep -c '^done ')
[ -n "$EMU" ] && told=$((told + $(grep -c '^fw: finished' logs/board.log)))
echo "       ($told devices told they are done, in $((SECONDS - t0)) s)"
if [ -n "$EMU" ]; then
	echo "       The emulated board's console (its cost in the emulator's virtual ns):"
	grep '^fw: \(provisioned\|finished\)' logs/board.log | sed 's/^/         /'
fi
cleanup
SIMS=""

step "The station seals the batch"
say <<'EOF'
At the end of the batch the station signs a header (the order, the number
of records, the digest of the records) and writes batch.zip, which travels
back to HQ on a USB stick. Nobody has to trust that trip.
EOF
ok "$CONSIGN" station seal --key station.key --passphrase-file station.pass --order order.cbor \
	--journal factory/journal -o batch.zip

step "The office checks the batch and drafts the release"
say <<'EOF'
At HQ the office verifies everything: the zip's layout, the order's custodian
signatures, the station's signature, digests and counts, and for every record
its signature, key, batch, nonce, serial and uniqueness, also against every
batch released before (the ledger). Then it drafts the release: the statement
the custodians sign, with the next number in the chain of releases.
EOF
ok "$CONSIGN" ledger --ledger ledger init --policy policy.cbor
ok "$CONSIGN" verify --policy policy.cbor --ledger ledger batch.zip
ok "$CONSIGN" release create --policy policy.cbor --ledger ledger batch.zip -o registry.zip

step "Two custodians sign the release"
say <<EOF
Each custodian signs on their own machine: registry.zip goes from one to the
next (or copies signed side by side are joined with consign merge). consign
sign checks every record again before it shows the summary; the custodian
compares it with what they expect (batch, order, accepted and excluded) and
only then types the $SECRET.
EOF
key bob
ok "$CONSIGN" sign "${KEY[@]}" --policy policy.cbor --yes registry.zip
cp registry.zip registry-one-signature.zip
echo "       (a copy with Bob's signature only is kept as registry-one-signature.zip)"
key carol
last "$CONSIGN" sign "${KEY[@]}" --policy policy.cbor --yes registry.zip

step "The office ledger records the release"
say <<'EOF'
The ledger takes a release only with 2 valid signatures and only as the next
in the chain. It remembers every serial, device key and hardware id, and how
much of each order is used up, so nothing is released twice.
EOF
ok "$CONSIGN" ledger --ledger ledger add registry.zip
ok "$CONSIGN" ledger --ledger ledger

step "The cloud imports the registry"
say <<'EOF'
The cloud pins the policy and remembers the last release it imported (its
SEQ:DIGEST); this is the first, hence --first (then --after SEQ:DIGEST). It
checks the custodians' signatures and the whole batch again, and export
writes the device list only after the same checks.
(examples/ci/import-release does this into PostgreSQL.)
EOF
ok "$CONSIGN" verify --policy policy.cbor --first registry.zip
ok "$CONSIGN" export --policy policy.cbor --first --format jsonl registry.zip -o devices.jsonl
show head -n 1 devices.jsonl "|" jq .
head -n 1 devices.jsonl | jq . | sed 's/^/       /'
echo "       ($(wc -l <devices.jsonl) lines, one per device)"

step "Refused: a batch tampered with on the way"
victim=$(head -n 1 devices.jsonl | jq -r .serial)
say <<EOF
Mallory, between the factory and HQ, swaps device $victim's public key in
batch.zip for a key of her own and repacks the zip, checksums and all, so
that the cloud would trust her key for that device.
EOF
echo "mallory's passphrase" >attacker/mallory.pass
"$CONSIGN" keygen --id mallory --kdf interactive --passphrase-file attacker/mallory.pass \
	-o attacker/mallory >/dev/null 2>&1 || die "keygen mallory"
python3 - batch.zip tampered-batch.zip "$(head -n 1 devices.jsonl | jq -r .public_key_hex)" \
	"$("$CONSIGN" inspect --json attacker/mallory.pub | jq -r .public_key)" <<'EOF' ||
import sys, zipfile
src, dst, old, new = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3]), bytes.fromhex(sys.argv[4])
z = zipfile.ZipFile(src)
out = zipfile.ZipFile(dst, "w")
for info in z.infolist():
    data = z.read(info.filename)
    if info.filename == "records.cborseq":
        assert data.count(old) == 1
        data = data.replace(old, new)
    out.writestr(info, data)
out.close()
EOF
	die "could not make the tampered batch"
refused "$CONSIGN" verify --policy policy.cbor tampered-batch.zip
say <<'EOF'
The device's own signature does not verify under Mallory's key, and the
station's signed header names other records: no release is drafted for it.
EOF

step "Refused: a release with one signature"
say <<'EOF'
registry-one-signature.zip is the release as it was after Bob alone had
signed. The policy needs 2: the cloud refuses it, and export writes nothing.
EOF
refused "$CONSIGN" verify --policy policy.cbor --first registry-one-signature.zip
refused "$CONSIGN" export --policy policy.cbor --first --format jsonl registry-one-signature.zip \
	-o refused.jsonl
[ ! -e refused.jsonl ] || die "export wrote a file for a refused release"

# --------------------------------------------------------------------------
# Attested devices: a second deployment whose policy pins a (TEST) chip maker
MAKER="consign demo TEST chip maker"
AN=8
step "Attested devices: the custodians pin a chip maker"
say <<EOF
A record proves its device holds the key, not that the key lives in a real
device: a factory holding the station key could write records for keys it
made itself. An order can require proof from the chip: a secure element's
certificate chain for the very key, and a token from the firmware that made
it. The custodians decide which chip makers they believe by pinning their
roots in the policy. A TEST maker stands in for Microchip or NXP here
(tests/tools/mkattest; its certificates say "not for production"), in a
second deployment, attested/.
EOF
mkdir -p attested/maker attested/parts attested/factory
"$MKATTEST" pki "$MAKER" attested/maker >/dev/null || die "mkattest pki"
"$MKATTEST" reference >attested/firmware.refs || die "mkattest reference"
ok "$CONSIGN" policy create --threshold 2 --custodian alice.pub --custodian bob.pub \
	--custodian carol.pub --office office.pub \
	--attestation-root "TEST chip maker=attested/maker/root.der" -o attested/policy.cbor
for c in alice bob; do
	key "$c"
	"$CONSIGN" sign "${KEY[@]}" --yes attested/policy.cbor >/dev/null ||
		die "$c could not sign attested/policy.cbor"
done
say <<'EOF'
(alice and bob sign it; consign sign showed them the root's SHA-256 to
compare with the one the maker publishes.) The order requires both kinds of
evidence, and lists the firmware the owner's team released:
EOF
awk '{ printf "       %-4s %.16s...  %.16s...\n", $1, $2, $3 }' attested/firmware.refs
ok "$CONSIGN" order create --policy attested/policy.cbor --batch A1 --product "Sensor v3" \
	--serials 5000-5999 --quantity "$((AN + 1))" --station station.pub --evidence both \
	--firmware-reference attested/firmware.refs -o attested/order.cbor
for c in alice bob; do
	key "$c"
	"$CONSIGN" sign "${KEY[@]}" --yes --policy attested/policy.cbor attested/order.cbor \
		>/dev/null || die "$c could not sign attested/order.cbor"
done

step "The factory provisions $AN attested devices, and one it made up"
say <<EOF
Each simulated device has a secure element (its P-256 key inside, and the
maker's certificate chain for it) and attesting firmware (the chip's
attestation key and its chain). On a second line sits a device the factory
made up: a real P-256 key, with a certificate chain from its own CA.
EOF
for s in $(seq 5000 $((5000 + AN))); do
	for p in se iak; do
		"$MKATTEST" scalar "$MAKER" "$p-$s" "attested/parts/$s.$p" &&
			"$MKATTEST" chain "$MAKER" attested/maker "@$p-$s" "attested/parts/$s.$p.chain" ||
			die "mkattest: device $s"
	done
done
# the made-up device: its own CA's chain for its element's key
"$MKATTEST" chain "$MAKER" attested/maker "@se-$((5000 + AN))" attested/parts/fake.se.chain \
	--maker other || die "mkattest: the made-up chain"
parts=(--se-key "attested/parts/{serial}.se" --se-chain "attested/parts/{serial}.se.chain"
	--iak-key "attested/parts/{serial}.iak" --iak-chain "attested/parts/{serial}.iak.chain"
	--components attested/firmware.refs)
start_sim() { # LINE SERIAL COUNT DEVSIM-OPTIONS...
	local l=$1 serial=$2 count=$3
	shift 3
	mkdir -p "attested/factory/devices$l"
	rm -f "attested/factory/line$l"
	"$DEVSIM" --policy attested/policy.cbor --pty "attested/factory/line$l" \
		--storage "attested/factory/devices$l" --serial "$serial" --count "$count" \
		--log "logs/attested$l.log" "$@" >"logs/attested-devsim$l.out" 2>&1 &
	SIMS="$SIMS $!"
	for _ in $(seq 1 500); do
		[ -L "attested/factory/line$l" ] && return 0
		sleep 0.01
	done
	die "consign-devsim on attested line $l made no pseudo-terminal"
}
show "$DEVSIM" --policy attested/policy.cbor --pty attested/factory/line0 --serial 5000 \
	--count "$AN" "${parts[@]}" "&"
start_sim 0 5000 "$AN" "${parts[@]}"
start_sim 1 $((5000 + AN)) 1 "${parts[@]:0:2}" --se-chain attested/parts/fake.se.chain \
	"${parts[@]:4}"
show "$CONSIGN" station collect --order attested/order.cbor --policy attested/policy.cbor \
	--port attested/factory/line0 --port attested/factory/line1 --journal attested/journal
"$CONSIGN" station collect --order attested/order.cbor --policy attested/policy.cbor \
	--port attested/factory/line0 --port attested/factory/line1 --journal attested/journal \
	--timeout 2000 >logs/attested-station.log 2>&1 &
st=$!
for _ in $(seq 1 3000); do
	[ "$(cat logs/attested0.log logs/attested1.log 2>/dev/null | wc -l)" -ge $((AN + 1)) ] && break
	sleep 0.02
done
kill -TERM "$st" 2>/dev/null
wait "$st"
grep -h "refused" logs/attested-station.log | sed 's/^/       /'
echo "       ($(grep -c '^done ' logs/attested0.log) devices journaled; the made-up one was refused)"
cleanup
SIMS=""
ok "$CONSIGN" station seal --key station.key --passphrase-file station.pass \
	--order attested/order.cbor --journal attested/journal -o attested/batch.zip

step "HQ checks the evidence, the custodians sign, the cloud gets certificates"
say <<'EOF'
consign verify checks each record's evidence against the policy's roots and
the order: the element's certificate is for the record's own key and chains
to the pinned maker, the token is signed by a chip of that maker, binds this
order and this key, and reports only the listed firmware.
EOF
last "$CONSIGN" verify --policy attested/policy.cbor attested/batch.zip
"$CONSIGN" ledger --ledger attested/ledger init --policy attested/policy.cbor >/dev/null ||
	die "ledger init (attested)"
"$CONSIGN" release create --policy attested/policy.cbor --ledger attested/ledger \
	attested/batch.zip -o attested/registry.zip >/dev/null || die "release create (attested)"
for c in alice bob; do
	key "$c"
	"$CONSIGN" sign "${KEY[@]}" --yes --policy attested/policy.cbor attested/registry.zip \
		>/dev/null || die "$c could not sign attested/registry.zip"
done
ok "$CONSIGN" export --policy attested/policy.cbor --first --deep --format jsonl \
	attested/registry.zip -o attested/devices.jsonl
head -n 1 attested/devices.jsonl | jq '{serial, algorithm, certificate: (.certificate[0:40] + "...")}' |
	sed 's/^/       /'
say <<'EOF'
Each device's own certificate, ready for AWS IoT or Azure DPS, which take
X.509 device certificates (docs/attestation.md).
EOF

step "Refused: records the factory made for keys it knows"
say <<'EOF'
The factory skips the devices and writes records itself, for P-256 keys it
generated, each with a certificate chain from its own CA and a token signed
by a key of its own, and seals them with the station key it holds
(tests/tools/mkbatch stands in for its tool). Every signature in them is
valid, and every record is refused: no chain ends at a root the custodians
pinned.
EOF
"$MKBATCH" --order attested/order.cbor --key station.key --passphrase-file station.pass \
	--count 3 --first-serial 5100 --evidence both --maker "the factory's own CA" \
	-o attested/forged-batch.zip >/dev/null 2>&1 || die "mkbatch (the forged batch)"
refused "$CONSIGN" verify --policy attested/policy.cbor attested/forged-batch.zip

# --------------------------------------------------------------------------
rm -f logs/last.out
accepted=$(wc -l <devices.jsonl)
printf '\n%sDone in %d s.%s %d devices provisioned, %d accepted and exported; the\n' \
	"$B" $((SECONDS - START)) "$R" "$N" "$accepted"
cat <<EOF
tampered batch and the one-signature release were refused (exit 1); $(grep -c '^done ' logs/attested0.log)
attested devices released with their certificates, the made-up one and the
factory's own records refused.
$KEPT
  policy.cbor          the 2-of-3 policy, signed by alice and bob
  anchor.h             its trust anchor, for device firmware
  order.cbor           the order for batch B42, signed by alice and carol
  batch.zip            the sealed batch from the factory ($N records)
  registry.zip         the release, signed by bob and carol
  devices.jsonl        the cloud's import file ($accepted devices)
EOF
if [ "$TOKENS" = 1 ]; then
	cat <<EOF
  NAME.pub             public keys of alice, bob, carol, office and station
  NAME.pin             the custodians' token PINs (their secrets are in tokens/)
  NAME.key, NAME.pass  the office's and the station's key files and passphrases
  tokens/              SoftHSM2's store of the three tokens; to use them, first
                       export SOFTHSM2_CONF=$DIR/softhsm2.conf
EOF
else
	cat <<'EOF'
  NAME.pub, NAME.key   keys of alice, bob, carol, office and station
  NAME.pass            the passphrases the demo used for them
EOF
fi
cat <<'EOF'
  ledger/              the office ledger
  factory/, logs/      the station's journal, the devices' storage, the logs
  tampered-batch.zip, registry-one-signature.zip   the two refused files
  attested/            the attested deployment: policy.cbor (pins the TEST maker's
                       root), order.cbor, batch.zip, registry.zip, devices.jsonl
                       (with certificates), forged-batch.zip (refused)
Next: README.md (each role's commands), SECURITY.md, docs/attestation.md,
docs/tokens.md, man consign.
EOF
