# The malformed corpus (tests/malformed/, written by tests/tools/malformed.c
# from the golden files and keys): every file is refused with the exact exit
# status and reason code listed in tests/malformed/EXPECT, in one line naming
# the file, in bounded time and memory; the corpus is reproduced byte for
# byte from its generator, so it stays what it claims to be.
. "$(dirname "$0")/../lib.sh"
M=$ROOT/tests/malformed
G=$ROOT/manifests/golden

mkdir -p "$T/regen"
cp "$M/mkzips.py" "$T/regen/"
if "$TOOLS/malformed" write "$G" "$T/regen" &&
	{ ! command -v python3 >/dev/null || python3 "$M/mkzips.py" "$T/regen"; } &&
	diff -r -q "$M" "$T/regen" >"$T/diff"; then
	ok "malformed corpus reproduced byte for byte by its generator"
else
	notok "malformed corpus reproduced byte for byte by its generator: $(head -3 "$T/diff" | tr '\n' ' ')"
fi

echo "golden" >"$T/pass"
# the target of the key file cases: an unsigned draft, so sign must unlock
cp "$M/policy-unsigned.cbor" "$T/draft.cbor"

# runs the command for FILE in $T/out, $T/err, $RC, $T/rss (KiB) and $T/secs
attempt() {
	local f=$1 pol=$2
	local -a cmd
	case "$f" in
	*.pub) cmd=("$CONSIGN" inspect "$M/$f") ;;
	*.zip) cmd=("$CONSIGN" verify --policy "$G/policy.cbor" "$M/$f") ;;
	*.key) cmd=("$CONSIGN" sign --key "$M/$f" --passphrase-file "$T/pass" --yes "$T/draft.cbor") ;;
	*) if [ "$pol" = - ]; then cmd=("$CONSIGN" verify "$M/$f");
	   else cmd=("$CONSIGN" verify --policy "$G/$pol" "$M/$f"); fi ;;
	esac
	local start end
	start=$(date +%s%N)
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%M' -o "$T/rss" timeout 20 "${cmd[@]}" >"$T/out" 2>"$T/err"
		RC=$?
	else
		timeout 20 "${cmd[@]}" >"$T/out" 2>"$T/err"
		RC=$?
		echo 0 >"$T/rss"
	fi
	end=$(date +%s%N)
	echo $(((end - start) / 1000000)) >"$T/ms"
}

n=0
while read -r f want reason pol; do
	case "$f" in '#'* | '') continue ;; esac
	n=$((n + 1))
	attempt "$f" "$pol"
	rss=$(tail -1 "$T/rss")
	ms=$(cat "$T/ms")
	lines=$(wc -l <"$T/err")
	if [ "$want" -eq 0 ]; then
		if [ "$RC" -eq 0 ]; then ok "malformed/$f: the unaltered control case is accepted"
		else notok "malformed/$f: control case refused (exit $RC): $(head -c 300 "$T/err")"; fi
		continue
	fi
	if [ "$RC" -ne "$want" ]; then
		notok "malformed/$f: exit $RC, want $want ($reason): $(head -c 300 "$T/err")"
	elif ! grep -q -- "($reason)" "$T/err" && ! grep -q -- "$reason" "$T/out"; then
		notok "malformed/$f: exit $RC but reason is not $reason: $(cat "$T/out" "$T/err" | head -c 300)"
	elif [ "$want" -eq 3 ] && { [ "$lines" -ne 1 ] || ! grep -q -- "$f" "$T/err"; }; then
		notok "malformed/$f: want one error line naming the file, got $lines: $(head -c 300 "$T/err")"
	elif ! no_ctl "$T/out" "$T/err"; then
		notok "malformed/$f: a control byte (an escape?) reached the output raw"
	elif [ "${rss:-0}" -gt 204800 ]; then
		notok "malformed/$f: used $rss KiB of memory (limit 200 MiB)"
	elif [ "$ms" -gt 5000 ]; then
		notok "malformed/$f: took $ms ms (limit 5 s)"
	else
		ok "malformed/$f: exit $want ($reason)"
	fi
done < <(cat "$M/EXPECT" "$M/EXPECT-zip")
check "malformed corpus has cases ($n)" [ "$n" -gt 50 ]
