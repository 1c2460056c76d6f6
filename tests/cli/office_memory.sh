#!/usr/bin/env bash
# Flat memory: verifying 200,000 records peaks within a few MiB of verifying
# 20,000 plus the duplicate set (its filter: 3.75 bytes a record,
# lib/verify/dupset.h). The peaks are printed; the bound asserted is the
# smaller peak, the filter for the extra records and 1 MiB (no timing is).
. "$(dirname "$0")/../lib.sh"

needs /usr/bin/time "office memory: /usr/bin/time is not installed"
F=$T/f
fixture "$F" 200000 1000000-1999999 || { notok "fixture"; exit 1; }
office_mkb "$F" --count 20000 -o "$T/b20k.zip" || notok "mkbatch 20k"
office_mkb "$F" --count 200000 --seed 2 -o "$T/b200k.zip" || notok "mkbatch 200k"
small=$(peak small "$CONSIGN" verify --policy "$F/policy.cbor" "$T/b20k.zip")
large=$(peak large "$CONSIGN" verify --policy "$F/policy.cbor" "$T/b200k.zip")
echo "# peak RSS verifying 20,000 records: $small KiB; 200,000 records: $large KiB"
dup=$(((200000 - 20000) * 30 / 8 / 1024))
echo "# (the duplicate filter accounts for about $dup KiB of the difference)"
checkx "both verified (peaks measured)" \
	'[ "$(cat "$T/small.rc")" = 0 ] && [ "$(cat "$T/large.rc")" = 0 ] && [ "$small" -gt 0 ] && [ "$large" -gt 0 ]'
checkx "200,000 records peak within 1 MiB of 20,000's plus the filter ($large <= $small + $dup + 1024 KiB)" \
	'[ "$large" -le $((small + dup + 1024)) ]'
