# Nothing secret leaves a device: after a collection line (three simulated
# devices, one of them refused midway) and its seal, no device's seed (read
# from the simulator's secure storage) appears in the journal, the batch, the
# station's output or the verification output, raw, hex or base64; and the
# journal and batch are not readable by others.
. "$(dirname "$0")/../lib.sh"

built "device secrets: consign station or consign-devsim is missing from this build" station_built
needs python3 "device secrets: python3 missing (it scans the files)"
fixture "$T/f" 3 >/dev/null 2>&1 || notok "fixture"
P=$T/f/policy.cbor
mkdir -p "$T/st" "$T/out"
"$DEVSIM" --policy "$P" --pty "$T/tty" --storage "$T/st" --serial 1000 --count 4 \
	--linger 1000 --faulty 2 --forge-signature >"$T/out/devsim.log" 2>&1 &
dev=$!
for _ in $(seq 50); do [ -e "$T/tty" ] && break; sleep 0.05; done
timeout 60 "$CONSIGN" station collect --order "$T/f/order.cbor" --port "$T/tty" --journal "$T/out/J" \
	--policy "$P" >"$T/out/collect.out" 2>"$T/out/collect.err"
# the line may stop before the simulator's last device (quantity reached)
kill "$dev" 2>/dev/null
wait "$dev" 2>/dev/null
"$CONSIGN" station seal --key "$T/f/station.key" --passphrase-file "$T/f/station.pass" \
	--order "$T/f/order.cbor" --journal "$T/out/J" -o "$T/out/batch.zip" >"$T/out/seal.out" 2>&1
"$CONSIGN" verify --policy "$P" "$T/out/batch.zip" >"$T/out/verify.out" 2>&1
"$CONSIGN" inspect "$T/out/batch.zip" >"$T/out/inspect.out" 2>&1
checkx "the line collected and sealed a batch" \
	'"$CONSIGN" verify --policy "$P" "$T/out/batch.zip" >/dev/null 2>&1'
n=$(ls "$T/st" | wc -l)
check "the simulator keyed its devices ($n storage files)" [ "$n" -ge 3 ]

res=$(python3 - "$T/st" "$T/out" <<'PY'
import base64, os, sys
seeds = []
for f in sorted(os.listdir(sys.argv[1])):
    blob = open(os.path.join(sys.argv[1], f), "rb").read()
    if blob[:6] == b"CSDEV\x01" and len(blob) >= 38:
        seeds.append((f, blob[6:38]))
pats = []
for f, s in seeds:
    pats += [(f, "raw", s), (f, "hex", s.hex().encode()), (f, "HEX", s.hex().upper().encode())]
    for shift in range(3):
        b = base64.b64encode(b"\0" * shift + s)[4 if shift else 0:][:36]
        pats.append((f, "base64+%d" % shift, b))
        pats.append((f, "base64url+%d" % shift, b.replace(b"+", b"-").replace(b"/", b"_")))
found, n = [], 0
for root, dirs, files in os.walk(sys.argv[2]):
    for name in files:
        n += 1
        data = open(os.path.join(root, name), "rb").read()
        found += ["%s %s in %s" % (f, k, name) for f, k, p in pats if p in data]
print("seeds=%d files=%d found=%s" % (len(seeds), n, ";".join(found) or "none"))
PY
)
checkx "no device seed in the journal, batch or any output ($res)" \
	'[ "${res##*found=}" = none ] && [ "${res%% files*}" != seeds=0 ]'
check "the journal is not readable by others" \
	[ "$(stat -c %a "$T/out/J/journal" | cut -c2-)" = 00 ]
check "the journal directory is 0700" [ "$(stat -c %a "$T/out/J")" = 700 ]
