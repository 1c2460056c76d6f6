# An empty port is not a refused device: one burst of line noise (a damaged
# frame start) answering the first hello, then silence, must leave the port
# waiting for a device, with no refusal and nothing journaled; a line whose
# every hello is answered by damaged frames only is still refused (that case
# is in station_faults.sh).
. "$(dirname "$0")/../lib.sh"
factory 10

# a pseudo-terminal whose far end answers the first bytes it reads (the first
# hello) with three damaged frame starts, then reads on and never answers
python3 - "$T/noise.port" "$T/noise.sent" >"$T/np.out" 2>&1 <<'EOF' &
import os, pty, sys, tty
m, s = pty.openpty()
tty.setraw(s)
os.symlink(os.ttyname(s), sys.argv[1])
os.read(m, 4096)
os.write(m, b"\xc5\x00\xc5\x01\xc5\x02")
open(sys.argv[2], "w").close()
while True:
    os.read(m, 4096)
EOF
BG=$! # the noisy far end, stopped at exit
for i in $(seq 1 500); do [ -L "$T/noise.port" ] && break; sleep 0.01; done
check "the noisy port exists" [ -L "$T/noise.port" ]

# hellos go out every 250 ms: 3 s is twelve of them, four times what
# --retries 2 allows for a line answering damaged frames only
"$CONSIGN" station collect --order "$F/order.cbor" --journal "$T/j" --policy "$F/policy.cbor" \
	--retries 2 --port "$T/noise.port" >"$T/st.out" 2>"$T/st.err" &
ST=$!
sleep 3
check "the station is still running" kill -0 "$ST"
check "the far end answered a hello with noise" [ -e "$T/noise.sent" ]
kill -TERM "$ST"
wait "$ST"
ST=""
check "no refusal after a burst of noise and silence" [ "$(grep -c 'refused' "$T/st.err")" -eq 0 ]
check "no failure counted" grep -q ", 0 refused;" "$T/st.out"
run "$TOOLS/recls" journal "$T/j" "$F/order.cbor"
check "the journal is readable and holds no record" [ "$RC" -eq 0 -a ! -s "$T/out" ]
