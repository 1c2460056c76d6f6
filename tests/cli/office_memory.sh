#!/usr/bin/env bash
# Flat memory: verifying 200,000 records peaks within a few MiB of verifying
# 20,000 plus the duplicate set (32 bytes a record). The peaks are printed;
# only a generous bound is asserted (no timing is).
. "$(dirname "$0")/../lib.sh"

if [ ! -x /usr/bin/time ]; then
	skip "office memory: /usr/bin/time is not installed"
	exit 0
fi
F=$T/f
fixture "$F" 200000 1000000-1999999 || { notok "fixture"; exit 1; }
peak() { # FILE: peak RSS in KiB of consign verify on FILE
	/usr/bin/time -f "%M" -o "$T/rss" "$CONSIGN" verify --policy "$F/policy.cbor" "$1" >"$T/out" 2>&1 ||
		{ echo 0; return; }
	tail -1 "$T/rss"
}
office_mkb "$F" --count 20000 -o "$T/b20k.zip" || notok "mkbatch 20k"
office_mkb "$F" --count 200000 --seed 2 -o "$T/b200k.zip" || notok "mkbatch 200k"
small=$(peak "$T/b20k.zip")
large=$(peak "$T/b200k.zip")
echo "# peak RSS verifying 20,000 records: $small KiB; 200,000 records: $large KiB"
echo "# (the duplicate set accounts for about $(((200000 - 20000) * 32 / 1024)) KiB of the difference)"
checkx "both verified (peaks measured)" '[ "$small" -gt 0 ] && [ "$large" -gt 0 ]'
checkx "200,000 records peak below twice 20,000's plus 16 MiB ($large < 2 x $small + 16384 KiB)" \
	'[ "$large" -lt $((2 * small + 16384)) ]'
