#!/usr/bin/env bash
# Duplicates through the two-pass verifier (lib/verify/dupset.h): repeats
# planted at the start, middle and end of a 3,000-record batch are each
# reported with the first record holding the value, nothing else fails, and
# the verdicts are the same on 1 and 2 threads; a release leaving them out
# exports exactly the others.
. "$(dirname "$0")/../lib.sh"

F=$T/f
office "$F" 3000 1000-9999 || { notok "fixture"; exit 1; }
office_mkb "$F" --count 3000 --break record-duplicate-serial@1 --break record-duplicate-key@64 \
	--break record-duplicate-hwid@1500 --break record-duplicate-serial@2998 \
	--break record-duplicate-key@2999 -o "$T/b.zip" || notok "mkbatch"
for t in 1 2; do
	"$CONSIGN" verify --policy "$F/policy.cbor" --threads $t --json "$T/b.zip" >"$T/v$t.json"
	echo $? >"$T/rc$t"
done
checkx "rejected (exit 1)" '[ "$(cat "$T/rc1")" = 1 ] && [ "$(cat "$T/rc2")" = 1 ]'
jq -r '.failures[] | "\(.index) \(.reason) \(.message)"' "$T/v1.json" >"$T/got"
cat >"$T/want" <<'WANT'
1 record-duplicate-serial serial 1000 is also in record 0
64 record-duplicate-key device key also in record 0
1500 record-duplicate-hwid hardware id also in record 0
2998 record-duplicate-serial serial 1000 is also in record 0
2999 record-duplicate-key device key also in record 0
WANT
check "exactly the five repeats, each with record 0 as the first holder" diff -u "$T/want" "$T/got"
checkx "3,000 records, 5 failed" '[ "$(jq .records "$T/v1.json")" = 3000 ] && [ "$(jq .failed "$T/v1.json")" = 5 ]'
check "the same verdicts on 1 and 2 threads" cmp "$T/v1.json" "$T/v2.json"

"$CONSIGN" release create --policy "$F/policy.cbor" --ledger "$F/L" --exclude-refused "$T/b.zip" \
	-o "$T/r.zip" >/dev/null && sign_as "$F" "$T/r.zip" alice --policy "$F/policy.cbor" &&
	sign_as "$F" "$T/r.zip" bob --policy "$F/policy.cbor" || notok "release"
expect 0 "the release leaving them out is exported" "$CONSIGN" export --policy "$F/policy.cbor" \
	--first --format jsonl "$T/r.zip" -o "$T/out.jsonl"
checkx "2,995 devices exported" '[ "$(wc -l <"$T/out.jsonl")" = 2995 ]'
