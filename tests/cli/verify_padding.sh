#!/usr/bin/env bash
# A factory that holds the station key pads a batch with one-byte junk items
# (counted in its header) to push a repeated device past the duplicate set,
# or stuffs the records entry far beyond the header's count to grow the
# office's memory. Every record examined is in the duplicate set, whatever
# its size, so a repeat is found before, between and after junk, on 1 and 2
# threads, by verify, release create and sign; items past the header's count
# end the per-record work (records-count) and are never listed.
. "$(dirname "$0")/../lib.sh"

F=$T/f
office "$F" 200 1000-9999 || { notok "fixture"; exit 1; }
P=$F/policy.cbor

# 40 records, record 39 a byte-for-byte copy of record 38 (serial, key and
# hardware id), junk at each place
i=0
for where in 0 20 39 40; do
	i=$((i + 1))
	office_mkb "$F" --count 40 --seed $i --break record-copy@39 --pad 47@$where -o "$T/p$where.zip" ||
		notok "mkbatch --pad 47@$where"
	# the copy's index and the first holder's, after the padding
	first=38 dup=39
	[ "$where" -le 38 ] && first=85
	[ "$where" -le 39 ] && dup=86
	for t in 1 2; do
		"$CONSIGN" verify --policy "$P" --threads $t --json "$T/p$where.zip" >"$T/v$where.$t.json"
		echo $? >"$T/rc$where.$t"
	done
	checkx "junk at $where: rejected on 1 and 2 threads" \
		'[ "$(cat "$T/rc$where.1")" = 1 ] && [ "$(cat "$T/rc$where.2")" = 1 ]'
	jq -r '.failures[] | select(.reason != "record-malformed") | "\(.index) \(.reason) \(.message)"' \
		"$T/v$where.1.json" >"$T/got"
	echo "$dup record-duplicate-serial serial 1038 is also in record $first" >"$T/want"
	check "junk at $where: the copy (record $dup) is the only failure besides the junk" \
		diff -u "$T/want" "$T/got"
	checkx "junk at $where: 87 records, 47 junk and the copy failed" \
		'[ "$(jq .records "$T/v$where.1.json")" = 87 ] && [ "$(jq .failed "$T/v$where.1.json")" = 48 ]'
	check "junk at $where: the same report on 1 and 2 threads" cmp "$T/v$where.1.json" "$T/v$where.2.json"
done

# the release leaves the copy out, and the signers agree
expect 1 "release create without --exclude-refused refuses the padded batch" \
	"$CONSIGN" release create --policy "$P" --ledger "$F/L" "$T/p0.zip" -o "$T/r.zip"
run "$CONSIGN" release create --policy "$P" --ledger "$F/L" --exclude-refused "$T/p0.zip" -o "$T/r.zip"
checkx "release create --exclude-refused drafts it (exit $RC)" '[ "$RC" = 0 ]'
"$CONSIGN" inspect --json "$T/r.zip" >"$T/r.json" 2>/dev/null
checkx "the draft excludes the copy (record 86) for record-duplicate-serial" \
	'jq -e "[.. | objects | select(.index? == 86 and .reason? == \"record-duplicate-serial\")] | length == 1" "$T/r.json" >/dev/null'
checkx "and excludes 48 records in all (the junk and the copy), accepting 39" \
	'jq -e ".. | objects | select(has(\"accepted\")) | .accepted == 39" "$T/r.json" >/dev/null'
expect 0 "alice signs it (her check finds the same exclusions)" sign_as "$F" "$T/r.zip" alice --policy "$P"
expect 0 "bob signs it" sign_as "$F" "$T/r.zip" bob --policy "$P"
expect 0 "the ledger takes it" "$CONSIGN" ledger --ledger "$F/L" add "$T/r.zip"
expect 0 "the cloud exports it" "$CONSIGN" export --policy "$P" --first --format jsonl "$T/r.zip" -o "$T/out.jsonl"
checkx "39 devices, serial 1038 once" \
	'[ "$(wc -l <"$T/out.jsonl")" = 39 ] && [ "$(grep -c "\"serial\":1038," "$T/out.jsonl")" = 1 ]'

# a duplicate re-signed into a release without its exclusion is refused by
# the signers and the cloud: the draft of a release that accepts the copy is
# what an office insider could make; mkbatch makes the honest one, so here the
# check is that every verifier names the copy (above) and that a release
# whose count hides it is refused (records-count, below)

# items past the header's count are never examined one by one
office_mkb "$F" --count 40 --seed 9 --break record-copy@39 --header-count 39 -o "$T/over.zip" ||
	notok "mkbatch --header-count 39"
run "$CONSIGN" verify --policy "$P" --json "$T/over.zip"
checkx "a record past the header's count: rejected for records-count (exit $RC)" \
	'[ "$RC" = 1 ] && jq -e "[.problems // .failures | .[]? | .reason] | index(\"records-count\") != null" "$T/out" >/dev/null ||
	 grep -q records-count "$T/out"'
checkx "the records examined are the header's 39, none failing" \
	'[ "$(jq .records "$T/out")" = 39 ] && [ "$(jq .failed "$T/out")" = 0 ]'
