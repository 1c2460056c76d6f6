#!/usr/bin/env bash
# A custodian sees every exclusion before saying yes: consign sign groups
# them by reason with counts, lists each one (a page at a time on a
# terminal), and the confirmation says how many were shown. Driven through a
# real pseudo-terminal: paging to the end shows all 48; stopping after the
# first page says so at the question.
. "$(dirname "$0")/../lib.sh"

F=$T/f
office "$F" 200 1000-9999 || { notok "fixture"; exit 1; }
P=$F/policy.cbor
office_mkb "$F" --count 40 --break record-copy@39 --pad 47@0 -o "$T/b.zip" || notok "mkbatch"
office_draft "$F" "$T/b.zip" "$T/r.zip" --exclude-refused || notok "release create"

cp "$T/r.zip" "$T/r-yes.zip"
run "$CONSIGN" sign --key "$F/alice.key" --passphrase-file "$F/alice.pass" --yes --policy "$P" "$T/r-yes.zip"
checkx "off a terminal every exclusion is listed (48 lines)" \
	'[ "$(grep -c "^  record [0-9]* .*: record-" "$T/out")" = 48 ] || [ "$(grep -c "^  record [0-9]*" "$T/out")" = 48 ]'
check "... grouped by reason with counts" grep -qE "^  record-malformed +47$" "$T/out"
check "... the 48th among them" grep -q "record 86 (serial 1038): record-duplicate-serial" "$T/out"

# drive NAME ANSWER-AT-PAGE ANSWER: runs consign sign on a 13-row terminal;
# at each page prompt answers ANSWER-AT-PAGE ("" for Enter, or q), at the
# question ANSWER; the screen goes to $T/NAME.screen, the status to $T/NAME.rc
drive() {
	local name=$1 page=$2 final=$3
	cp "$T/r.zip" "$T/$name.zip"
	printf '%s\t%s\n' "exclusions shown: Enter for more" "$page" "[y/N]" "$final" |
		on_terminal "$T/$name.screen" 13x100 "$CONSIGN" sign --key "$F/alice.key" \
			--passphrase-file "$F/alice.pass" --policy "$P" "$T/$name.zip"
	echo $? >"$T/$name.rc"
}
needs python3 "paging on a terminal: python3 is not installed"
drive all "" y
checkx "on a terminal, paged to the end: signed (exit $(cat "$T/all.rc"))" '[ "$(cat "$T/all.rc")" = 0 ]'
checkx "... with page prompts between" '[ "$(grep -c "exclusions shown: Enter for more" "$T/all.screen")" -ge 4 ]'
check "... and the question says all 48 were shown" \
	grep -q "Sign this release as shown above (48 of 48 exclusions shown)?" "$T/all.screen"
drive stop q n
checkx "stopped after the first page: declined (exit $(cat "$T/stop.rc"))" '[ "$(cat "$T/stop.rc")" = 1 ]'
check "... and the question said only 10 of 48 were shown" \
	grep -q "(10 of 48 exclusions shown)?" "$T/stop.screen"
