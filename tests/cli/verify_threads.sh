#!/usr/bin/env bash
# The verifier's threads (lib/verify/batch.c): records go out in blocks of
# 256 to worker threads, come back in record order, and their bytes go
# through the MAC and SHA-256 in record order on whichever thread is free.
# With 3,000 records (12 blocks) the reports on a batch and on a release
# (with and without --deep) and the export must not depend on the thread count, and a records entry whose end does
# not split must fail for that alone: the blocks before it and the bytes
# after it hashed in order give the header's digest. make check-thread runs
# this under ThreadSanitizer.
. "$(dirname "$0")/../lib.sh"

F=$T/f
office "$F" 3000 1000-9999 || { notok "fixture"; exit 1; }
P=(--policy "$F/policy.cbor")
THREADS="1 2 3 5 8"

# same FILE: the first output compared with the others
same() {
	local first=$1 f
	shift
	for f in "$@"; do cmp -s "$first" "$f" || return 1; done
}

# failures in blocks 0, 3, 5, 9 and 11, the last record among them
office_mkb "$F" --count 3000 --break record-signature@3 --break record-nonce@777 \
	--break record-malformed@1300 --break record-key-invalid@2400 \
	--break record-duplicate-key@2999 -o "$T/many.zip" || notok "mkbatch"
for n in $THREADS; do
	"$CONSIGN" verify "${P[@]}" --json --threads "$n" "$T/many.zip" >"$T/many.$n" 2>&1
done
checkx "a batch's report is the same on 1, 2, 3, 5 and 8 threads" \
	'same "$T"/many.{1,2,3,5,8}'
check "... failures in record order, each once" \
	[ "$(jq -c '[.failures[].index]' "$T/many.1")" = "[3,777,1300,2400,2999]" ]
checkx "... 3,000 records read" '[ "$(jq .records "$T/many.1")" = 3000 ]'

# a records entry that does not split after its last record: bytes past the
# header's count are records-count, whatever they are; inside the count they
# are records-malformed, named after the last record split
office_mkb "$F" --count 3000 --break records-tail -o "$T/tail.zip" || notok "mkbatch tail"
office_mkb "$F" --count 2999 --header-count 3000 --break records-tail -o "$T/split.zip" ||
	notok "mkbatch split"
for n in $THREADS; do
	"$CONSIGN" verify "${P[@]}" --json --threads "$n" "$T/tail.zip" >"$T/tail.$n" 2>&1
	echo $? >>"$T/tail.rc"
	"$CONSIGN" verify "${P[@]}" --json --threads "$n" "$T/split.zip" >"$T/split.$n" 2>&1
	echo $? >>"$T/tail.rc"
done
checkx "an unsplittable end is rejected (exit 1) on every thread count" \
	'[ "$(sort -u "$T/tail.rc")" = 1 ]'
reasons() { jq -r '[.problems[].reason] + [(.failures // [])[].reason] | unique | join(",")' "$1"; }
check "... past the header's count: records-count alone, the bytes never examined" \
	[ "$(reasons "$T/tail.1")" = records-count ]
check "... named with the header's count" \
	jq -e '.problems[0].message | test("holds more than the header.s 3000 records")' "$T/tail.1" >/dev/null
check "... inside the count: records-malformed alone" [ "$(reasons "$T/split.1")" = records-malformed ]
check "... named after record 2999" \
	jq -e '.problems[0].message | test("cannot be split after record 2999 ")' "$T/split.1" >/dev/null
checkx "... the same reports on 1, 2, 3, 5 and 8 threads" \
	'same "$T"/tail.{1,2,3,5,8} && same "$T"/split.{1,2,3,5,8}'

# a release of 3,000 with two exclusions, verified and exported
office_mkb "$F" --count 3000 --break record-signature@700 --break record-nonce@2100 \
	-o "$T/b.zip" || notok "mkbatch release"
office_release "$F" "$T/b.zip" "$T/r.zip" --exclude-refused || notok "release"
for n in $THREADS; do
	"$CONSIGN" verify "${P[@]}" --first --json --threads "$n" "$T/r.zip" >"$T/rv.$n" 2>&1
	"$CONSIGN" verify "${P[@]}" --first --deep --json --threads "$n" "$T/r.zip" >"$T/rd.$n" 2>&1
done
checkx "a release's report is the same on 1, 2, 3, 5 and 8 threads" \
	'same "$T"/rv.{1,2,3,5,8} && jq -e .accepted "$T/rv.1" >/dev/null'
checkx "... and with --deep" 'same "$T"/rd.{1,2,3,5,8} && jq -e .accepted "$T/rd.1" >/dev/null'
for n in $THREADS; do
	"$CONSIGN" export "${P[@]}" --first --format jsonl --threads "$n" "$T/r.zip" \
		-o "$T/x.$n.jsonl" 2>/dev/null
	echo $? >>"$T/x.rc"
done
checkx "the release is exported on every thread count" '[ "$(sort -u "$T/x.rc")" = 0 ]'
checkx "... the same 2,998 lines" \
	'[ "$(wc -l <"$T/x.1.jsonl")" = 2998 ] && same "$T"/x.{1,2,3,5,8}.jsonl'
check "... in record order" [ "$(jq -s -c '[.[].serial] == ([.[].serial] | sort)' \
	"$T/x.5.jsonl")" = true ]
