#!/usr/bin/env bash
# The figures of examples/firmware/README.md, measured: flash and RAM of the
# firmware image by component (from its linker map file), and from the
# emulator, under QEMU's -icount shift=0 (one instruction a virtual
# nanosecond), the instructions each step takes and the deepest stack. It
# makes a policy and an order, an image with that policy's anchor, provisions
# one emulated device with consign station collect, plugs it in again, and
# runs the crypto port's bench image. Run by make firmware-report.
#
#   examples/firmware/report.sh
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
CONSIGN=$BUILD/consign
FW=$ROOT/build/firmware
MAP=$FW/consign-fw.map
die() {
	echo "report: $*" >&2
	exit 1
}
[ -s "$MAP" ] && [ -x "$CONSIGN" ] || die "run make firmware-report (it builds consign and the firmware first)"
command -v qemu-system-arm >/dev/null || die "qemu-system-arm is not installed"
T=$(mktemp -d "${TMPDIR:-/tmp}/consign-fwreport.XXXXXX")
QEMU_PID=""
trap '[ -n "$QEMU_PID" ] && kill "$QEMU_PID" 2>/dev/null; rm -rf "$T"' EXIT

# ---- flash and RAM from the map ----------------------------------------------
# input sections under each output section: " NAME ADDR SIZE FILE", or NAME
# alone with the rest on the next line; *fill* is alignment
awk '
function hex(s, i, v) {
	s = tolower(substr(s, 3))
	for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
	return v
}
function kind(f) {
	if (f ~ /libsodium\.a/) return "libsodium 1.0.18 (Debian source package)"
	if (f ~ /libnewlib-string\.a/) return "newlib: string functions"
	if (f ~ /libgcc\.a/) return "libgcc: 64-bit arithmetic"
	if (f ~ /obj\/lib\/device\//) return "consign: agent and wire (lib/device)"
	if (f ~ /obj\/lib\/format\//) return "consign: CBOR, COSE, artifacts (lib/format)"
	if (f ~ /obj\/lib\/crypto\//) return "consign: crypto port and digests (lib/crypto)"
	if (f ~ /obj\/lib\/util\//) return "consign: errors, buffers, formatter (lib/util)"
	if (f ~ /anchor\.o/) return "the trust anchor"
	if (f ~ /obj\/examples\/firmware\//) return "board: startup, UART, HAL, main loop (RAM: the agent state, buffers)"
	return "other: " f
}
function add(size, file) {
	k = file == "" ? "alignment" : kind(file)
	if (out == ".text" || out == ".ARM.exidx") flash[k] += size
	if (out == ".data") { flash[k] += size; ram[k] += size }
	if (out == ".bss") ram[k] += size
	if (out == ".stack") stack += size
	seen[k] = 1
}
/^Linker script and memory map/ { on = 1; next }
!on { next }
/^\.[A-Za-z]/ { out = $1; pend = ""; next }
pend != "" { if ($2 ~ /^0x/) add(hex($2), $3); pend = ""; next }
/^ \*fill\*/ { add(hex($3), ""); next }
/^ [.A-Za-z]/ {
	if (NF >= 4 && $3 ~ /^0x/) add(hex($3), $4)
	else if (NF == 1) pend = $1
	next
}
END {
	printf "| component | flash (bytes) | static RAM (bytes) |\n|---|---:|---:|\n"
	n = 0
	for (k in seen) order[n++] = k
	for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (flash[order[j]] > flash[order[i]]) { t = order[i]; order[i] = order[j]; order[j] = t }
	for (i = 0; i < n; i++) { k = order[i]; if (flash[k] + ram[k] == 0) continue; printf "| %s | %d | %d |\n", k, flash[k], ram[k]; tf += flash[k]; tr += ram[k] }
	printf "| **total** | **%d** | **%d** |\n", tf, tr
	printf "\nStack reserved by the linker script: %d bytes (FW_STACK).\n", stack
}' "$MAP" || die "cannot read $MAP"
echo
echo "The largest static objects (arm-none-eabi-nm):"
echo
echo "| object | bytes | what |"
echo "|---|---:|---|"
arm-none-eabi-nm -S --size-sort "$FW/consign-fw.elf" | awk '$3 ~ /[bBdD]/ { print $2, $4 }' |
	while read -r size name; do echo "$((16#$size)) $name"; done | sort -rn | head -5 |
	while read -r size name; do
		case "$name" in
		dev) what="cs_dev: the agent's state (envelopes, Sig_structure, record, storage blob)" ;;
		rx) what="cs_wire_rx: one whole frame (CS_WIRE_FRAME_MAX)" ;;
		reply_frame) what="one reply frame" ;;
		ring) what="the UART's receive ring" ;;
		cmdline) what="the emulator's command line (stand-in only)" ;;
		*) what="" ;;
		esac
		echo "| $name | $size | $what |"
	done

# ---- the emulator ---------------------------------------------------------------
mkdir -p "$T/k"
for n in alice bob carol office station; do
	echo "passphrase of $n" >"$T/k/$n.pass"
	"$CONSIGN" keygen --id "$n" --kdf interactive --passphrase-file "$T/k/$n.pass" -o "$T/k/$n" \
		>/dev/null || die "keygen"
done
sign() { "$CONSIGN" sign --key "$T/k/$1.key" --passphrase-file "$T/k/$1.pass" --yes "${@:2}" >/dev/null; }
"$CONSIGN" policy create --threshold 2 --custodian "$T/k/alice.pub" --custodian "$T/k/bob.pub" \
	--custodian "$T/k/carol.pub" --office "$T/k/office.pub" -o "$T/policy.cbor" >/dev/null &&
	sign alice "$T/policy.cbor" && sign bob "$T/policy.cbor" &&
	"$CONSIGN" order create --policy "$T/policy.cbor" --batch R1 --product "Report" \
		--serials 1-9 --quantity 2 --station "$T/k/station.pub" -o "$T/order.cbor" >/dev/null &&
	sign alice "$T/order.cbor" --policy "$T/policy.cbor" &&
	sign bob "$T/order.cbor" --policy "$T/policy.cbor" &&
	"$CONSIGN" policy anchor --policy "$T/policy.cbor" -o "$T/anchor.h" >/dev/null || die "policy and order"
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$ROOT" firmware FW_ANCHOR="$T/anchor.h" \
	FW_OUT="$T/fw" >/dev/null || die "make firmware with the report's anchor"

# provision DEVICE-DIR JOURNAL RUN: one device under -icount, one station
# run, the RUN-th on this device (its log is appended to: wait for this
# run's own ready line and port, not an earlier run's)
provision() {
	local i port
	(cd "$1" && exec qemu-system-arm -M mps2-an385 -nographic -monitor none -serial pty \
		-icount shift=0 -semihosting-config enable=on,target=native -kernel "$T/fw/consign-fw.elf" \
		-append "serial=7 hwid=report-7 debug=locked boot=secure" </dev/null >>qemu.log 2>&1) &
	QEMU_PID=$!
	for i in $(seq 1 500); do
		[ "$(grep -c 'fw: ready' "$1/qemu.log" 2>/dev/null)" -ge "$3" ] && break
		sleep 0.02
	done
	port=$(grep -o '/dev/pts/[0-9]*' "$1/qemu.log" | sed -n "$3p")
	[ -n "$port" ] || die "run $3: the emulated device gave no serial port: $(tail -3 "$1/qemu.log")"
	"$CONSIGN" station collect --order "$T/order.cbor" --port "$port" --journal "$2" --quiet \
		>/dev/null 2>&1 &
	local st=$!
	for i in $(seq 1 1500); do [ "$(grep -c 'fw: finished' "$1/qemu.log")" -ge "$3" ] && break; sleep 0.02; done
	kill "$st" "$QEMU_PID" 2>/dev/null
	wait "$st" "$QEMU_PID" 2>/dev/null
	QEMU_PID=""
}
mkdir -p "$T/dev"
provision "$T/dev" "$T/j1" 1
provision "$T/dev" "$T/j2" 2
log=$T/dev/qemu.log
grep -q 'fw: finished' "$log" || die "the emulated device was not provisioned: $(tail -3 "$log")"
cost() { sed -n "$1" "$log" | grep -m 1 "^fw: $2" | sed 's/.* in \([0-9]*\) virtual ns.*/\1/'; }
first=$(grep -n '^fw: ready' "$log" | sed -n 2p | cut -d: -f1)
echo
echo "Instructions per step on the emulated Cortex-M3 (QEMU -icount shift=0: one instruction a"
echo "virtual nanosecond, counted by SysTick to within 40; QEMU does not model cycles):"
echo
echo "| step | instructions |"
echo "|---|---:|"
echo "| start-up after the clock starts: HAL, agent and receiver set up | $(sed -n 's/^fw: ready.* booted in \([0-9]*\) virtual ns.*/\1/p' "$log" | head -1) |"
echo "| hello: identify (reads storage) | $(cost "1,${first}p" identified) |"
echo "| provision, blank device: order checked (2 signatures), key made, record signed and checked, stored, read back | $(cost "1,${first}p" provisioned) |"
echo "| done: record confirmed | $(cost "1,${first}p" finished) |"
echo "| provision again, keyed device: order checked, stored record answered | $(cost "${first},\$p" provisioned) |"
timeout 60 qemu-system-arm -M mps2-an385 -nographic -monitor none -serial null -icount shift=0 \
	-semihosting-config enable=on,target=native -kernel "$T/fw/consign-fw-bench.elf" </dev/null \
	>"$T/bench.log" 2>&1 || die "the bench image did not run: $(tail -3 "$T/bench.log")"
b() { sed -n "s/^bench: $1 //p" "$T/bench.log"; }
echo "| crypto port: key pair from a seed | $(b keypair) |"
echo "| crypto port: sign 300 bytes | $(b sign) |"
echo "| crypto port: verify 300 bytes | $(b verify) |"
echo "| crypto port: point validity (prime-order check) | $(b point_valid) |"
echo "| SHA-256 of 1 KiB (cs_digest) | $(b digest_1k) |"
echo
echo "Deepest stack, measured (painted at reset): $(grep -o 'stack peak [0-9]*' "$log" | awk '{ if ($3 > m) m = $3 } END { print m }') bytes over the provisioning and confirmation; the crypto port alone $(b stack_peak) bytes."
