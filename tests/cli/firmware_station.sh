# The device agent as firmware on emulated boards: the image of make firmware
# with this test's trust anchor compiled in, on QEMU's mps2-an385 (one QEMU
# per device, each UART on its own pseudo-terminal), provisioned all at once
# by an unmodified consign station collect; the sealed batch verifies. A
# device plugged in again answers with its stored record; a device given an
# order of another deployment, or whose debug access is open, refuses and
# makes no key. The image passes the map check, and the check refuses one
# linked with the whole C library. Skips without the cross tools or QEMU.
. "$(dirname "$0")/../lib.sh"
N=4
FW=$ROOT/build/firmware
QEMUS=""
ST=""
trap 'for p in $QEMUS $ST; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
for t in arm-none-eabi-gcc qemu-system-arm; do
	if ! command -v "$t" >/dev/null; then
		skip "firmware: $t is not installed (make deps installs it)"
		exit 0
	fi
done
if [ ! -f "$FW/sodium/built" ]; then
	skip "firmware: libsodium for the firmware is not built (make firmware)"
	exit 0
fi
F=$T/f
fixture "$F" "$N" 1000-1999 || { notok "fixture"; exit 1; }
"$CONSIGN" policy anchor --policy "$F/policy.cbor" -o "$T/anchor.h" >/dev/null || notok "anchor"

# the image, with this policy's anchor; a make that called us must not leak
# its jobserver or its variables into this one
run env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$ROOT" firmware FW_ANCHOR="$T/anchor.h" \
	FW_OUT="$T/fw"
IMG=$T/fw/consign-fw.elf
checkx "make firmware links an image with this test's anchor" '[ "$RC" -eq 0 ] && [ -s "$IMG" ]'
check "its map file passes the check (no heap, no stdio, no constructors)" \
	grep -q "no heap, no stdio, no constructors, no start files" "$T/out"
[ -s "$IMG" ] || { sed 's/^/# /' "$T/err" | tail -5; exit 1; }
# the same objects linked with the whole C library (which does link): refused
arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb -nostartfiles -T "$ROOT/examples/firmware/mps2.ld" \
	-Wl,--gc-sections -Wl,-Map="$T/libc.map" -o "$T/libc.elf" \
	$(find "$FW/obj" -name '*.o' ! -name bench.o) "$T/fw/anchor.o" \
	"$FW/sodium/lib/libsodium.a" -lc -lgcc >/dev/null 2>&1
check "the same code links with newlib's whole C library" [ -s "$T/libc.elf" ]
run "$ROOT/examples/firmware/check-map.sh" "$T/libc.elf" "$T/libc.map"
checkx "the check refuses that image: its map names malloc and printf, and libc.a" \
	'[ "$RC" -ne 0 ] && grep -q "names malloc\$" "$T/err" && grep -q "names fiprintf\$" "$T/err" && grep -q "libc.a are linked" "$T/err"'

# boot NAME SERIAL [ARGS]: a device in $T/NAME (its secure storage is
# $T/NAME/device.store); its pseudo-terminal's path in $T/NAME.port
boot() {
	local name=$1 serial=$2 args=${3-debug=locked boot=secure} i before
	mkdir -p "$T/$name"
	# the log is appended to across boots: wait for this boot's ready line
	before=$(grep -c 'fw: ready' "$T/$name/qemu.log" 2>/dev/null)
	(cd "$T/$name" && exec qemu-system-arm -M mps2-an385 -nographic -monitor none -serial pty \
		-semihosting-config enable=on,target=native -kernel "$IMG" \
		-append "serial=$serial hwid=emu-$serial $args" </dev/null >>qemu.log 2>&1) &
	QEMUS="$QEMUS $!"
	eval "PID_$name=$!"
	for i in $(seq 1 500); do
		if [ "$(grep -c 'fw: ready' "$T/$name/qemu.log" 2>/dev/null)" -gt "${before:-0}" ]; then
			grep -o '/dev/pts/[0-9]*' "$T/$name/qemu.log" | tail -1 >"$T/$name.port"
			return 0
		fi
		sleep 0.02
	done
	return 1
}
unplug() {
	local p
	p=$(eval echo "\$PID_$1")
	kill "$p" 2>/dev/null
	wait "$p" 2>/dev/null
}
port() { cat "$T/$1.port"; }

ports=()
up=0
for i in $(seq 1 "$N"); do
	boot "d$i" $((999 + i)) && up=$((up + 1))
	ports+=(--port "$(port "d$i")")
done
check "$N emulated devices boot, each on its own pseudo-terminal" [ "$up" -eq "$N" ]
check "... distinct ones" [ "$(cat "$T"/d*.port | sort -u | wc -l)" -eq "$N" ]
run timeout 120 "$CONSIGN" station collect --order "$F/order.cbor" --policy "$F/policy.cbor" \
	"${ports[@]}" --journal "$T/j"
check "station collect provisions the $N emulated devices at once (exit 0)" [ "$RC" -eq 0 ]
[ "$RC" -eq 0 ] || sed 's/^/# /' "$T/err" | tail -5
check "it says $N of $N journaled" has "$T/out" "$N of $N journaled"
check "every device made its key and was told it is done" \
	[ "$(cat "$T"/d*/qemu.log | grep -c '^fw: finished')" -eq "$N" ]
stores=0
for i in $(seq 1 "$N"); do [ -s "$T/d$i/device.store" ] && stores=$((stores + 1)); done
check "every device's secure storage holds its key blob" [ "$stores" -eq "$N" ]
check "and no temporary storage file is left" [ -z "$(ls "$T"/d*/ | grep '\.tmp$')" ]
expect 0 "seal writes the batch" "$CONSIGN" station seal --key "$F/station.key" \
	--passphrase-file "$F/station.pass" --order "$F/order.cbor" --journal "$T/j" -o "$T/b.zip"
expect 0 "the batch verifies" "$CONSIGN" verify --policy "$F/policy.cbor" "$T/b.zip"
check "... all $N records pass" has "$T/out" "$N of $N records pass"
batch_records "$T/b.zip" >"$T/recs"
check "the records are the emulated devices' serials" \
	[ "$(awk '{print $1}' "$T/recs" | sort | tr '\n' ' ')" = "1000 1001 1002 1003 " ]
check "each with its own key" [ "$(awk '{print $3}' "$T/recs" | sort -u | wc -l)" -eq "$N" ]

# d2 unplugged and plugged in again, on a new station run: its stored record
unplug d2
cp "$T/d2/device.store" "$T/d2.before"
boot d2 1001 || notok "d2 boots again"
"$CONSIGN" station collect --order "$F/order.cbor" --port "$(port d2)" --journal "$T/j2" \
	>"$T/st2.out" 2>"$T/st2.err" &
ST=$!
for i in $(seq 1 1500); do grep -qs 'serial 1001 done' "$T/st2.out" && break; sleep 0.02; done
kill "$ST" 2>/dev/null
wait "$ST" 2>/dev/null
ST=""
check "the device plugged in again is provisioned by a new station run" \
	grep -q 'serial 1001 done' "$T/st2.out"
"$TOOLS/recls" journal "$T/j2" "$F/order.cbor" >"$T/again"
checkx "it answered with its stored record: the same record as in the batch" \
	'[ -s "$T/again" ] && [ "$(cat "$T/again")" = "$(grep "^1001 " "$T/recs")" ]'
check "and made no new key (its storage is unchanged)" cmp -s "$T/d2.before" "$T/d2/device.store"

# an order of another deployment; a device whose debug access is open
fixture "$T/g" 5 1000-1999 >/dev/null || notok "second fixture"
boot x1 1100 || notok "x1 boots"
boot x2 1101 "boot=secure" || notok "x2 boots"
"$CONSIGN" station collect --order "$T/g/order.cbor" --port "$(port x1)" --port "$(port x2)" \
	--journal "$T/j3" >"$T/st3.out" 2>"$T/st3.err" &
ST=$!
for i in $(seq 1 1500); do
	[ "$(grep -cs 'refused by the device' "$T/st3.err")" -ge 2 ] && break
	sleep 0.02
done
kill "$ST" 2>/dev/null
wait "$ST" 2>/dev/null
ST=""
check "a device given an order of another deployment refuses it (order-deployment)" \
	grep -q 'serial 1100 refused: refused by the device: .*(order-deployment)$' "$T/st3.err"
check "... and its firmware says so" grep -q '^fw: refused (order-deployment)' "$T/x1/qemu.log"
check "... and made no key" [ ! -e "$T/x1/device.store" ]
check "a device whose debug access is open refuses (device-debug-unlocked)" \
	grep -q 'serial 1101 refused: refused by the device: .*(device-debug-unlocked)$' "$T/st3.err"
check "... and made no key" [ ! -e "$T/x2/device.store" ]
