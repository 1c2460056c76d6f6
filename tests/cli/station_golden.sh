# The factory golden files (manifests/golden/wire-*.bin, wire-record.cose,
# journal.bin) are reproduced byte for byte by the real agent, frame encoder
# and journal from the core golden policy and order, and parse as specified.
. "$(dirname "$0")/../lib.sh"
G=$ROOT/manifests/golden
"$TOOLS/wiregen" "$G" "$T" || { notok "factory golden files generated"; exit 1; }
for f in wire-hello.bin wire-identify.bin wire-provision.bin wire-record.bin wire-done.bin \
	wire-finished.bin wire-error.bin wire-stream.bin wire-record.cose journal.bin; do
	check "golden $f reproduced byte for byte" cmp -s "$G/$f" "$T/$f"
done
# each single frame file holds exactly one frame
for f in hello identify provision record done finished error; do
	n=$("$TOOLS/wiregen" scan "$G/wire-$f.bin" | wc -l)
	check "wire-$f.bin is exactly one frame" [ "$n" -eq 1 ]
done
# the stream: noise and a frame with a bad CRC-32 are skipped, the hello is found
want=$("$TOOLS/wiregen" scan "$G/wire-hello.bin")
got=$("$TOOLS/wiregen" scan "$G/wire-stream.bin")
check "wire-stream.bin yields only the hello after noise and a damaged frame" [ "$got" = "$want" ]
# frames start with C5 17, the length's CRC-8, and end with the CRC-32
check "wire-hello.bin starts with the start bytes" [ "$(head -c 2 "$G/wire-hello.bin" | od -An -tx1 | tr -d ' ')" = "c517" ]
expect 0 "the golden device record verifies" "$CONSIGN" verify "$G/wire-record.cose"
check "the golden record inside wire-record.bin is wire-record.cose" \
	grep -q "$(od -An -tx1 -v "$G/wire-record.cose" | tr -d ' \n')" \
	<("$TOOLS/wiregen" scan "$G/wire-record.bin")
"$CONSIGN" policy anchor --policy "$G/policy.cbor" -o "$T/anchor.h" >/dev/null
check "golden anchor.h (consign policy anchor of the golden policy) reproduced byte for byte" \
	cmp -s "$G/anchor.h" "$T/anchor.h"
check "the golden error frame carries device-debug-unlocked" grep -q "device-debug-unlocked" \
	"$G/wire-error.bin"
# the simulator on stdin/stdout, as the golden device (its own random source):
# its identify is the golden one byte for byte, and its record verifies
mkdir -p "$T/stdio"
cat "$G/wire-hello.bin" "$G/wire-provision.bin" |
	"$DEVSIM" --policy "$G/policy.cbor" --serial 1042 --firmware golden-1.0 \
		--hwid "$(printf golden-device-0001 | od -An -tx1 | tr -d ' \n')" \
		--storage "$T/stdio" --linger 0 >"$T/stdio.out"
"$TOOLS/wiregen" scan "$T/stdio.out" >"$T/stdio.frames"
check "the simulator on stdin/stdout answers hello with the golden identify" \
	[ "$(head -1 "$T/stdio.frames")" = "$("$TOOLS/wiregen" scan "$G/wire-identify.bin")" ]
check "and answers the golden provision with a record (a frame of type 4)" \
	grep -q '^a3000401' <(sed -n 2p "$T/stdio.frames")
check "and stored its key" [ -s "$T/stdio/1042.store" ]
