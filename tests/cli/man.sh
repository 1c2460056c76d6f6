# The man pages (man/*.scd, scdoc) match --help: every long option that a
# command's --help prints appears in that command's page, every command has
# a page, and each page builds; make install DESTDIR=... PREFIX=/usr puts the
# programs under DESTDIR/usr/bin and the pages under DESTDIR/usr/share/man/man1.
. "$(dirname "$0")/../lib.sh"
MAN=$ROOT/man

# opts_of CMD...: the long options CMD --help prints, one per line
opts_of() { "$@" --help 2>&1 | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u; }

if command -v scdoc >/dev/null; then
	bad=""
	for src in "$MAN"/*.scd; do
		p=$(basename "$src" .scd)
		# dated as the Makefile dates it: by the source's last commit
		e=$(git -C "$ROOT" log -1 --format=%ct -- "man/$p.scd" 2>/dev/null)
		SOURCE_DATE_EPOCH=${e:-$(stat -c %Y "$src")} scdoc <"$src" >"$T/$p" 2>"$T/$p.err" ||
			bad="$bad $p ($(head -c 100 "$T/$p.err"))"
		# the text a reader sees: roff font changes and escaped hyphens undone
		sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' -e 's/\\&//g' "$T/$p" >"$T/$p.txt"
	done
	check "every page builds with scdoc:${bad:- all}" [ -z "$bad" ]

	# page: the command lines whose --help it must cover
	while read -r page cmd; do
		# shellcheck disable=SC2086
		if [ "$page" = consign-devsim.1 ]; then
			set -- "$DEVSIM"
			label=consign-devsim
		else
			set -- "$CONSIGN" $cmd
			label="consign${cmd:+ $cmd}"
		fi
		# --help runs only when it names every option of the command's table
		# (cmd_getopt stops the command otherwise)
		"$@" --help >/dev/null 2>&1
		check "'$label --help' exits 0: its text and its option table agree" [ $? = 0 ]
		missing=""
		for o in $(opts_of "$@"); do
			grep -q -- "$o\\b" "$T/$page.txt" || missing="$missing $o"
		done
		n=$(opts_of "$@" | wc -l)
		check "$page covers the $n long options of '$label --help'${missing:+, missing:$missing}" \
			[ -z "$missing" ]
	done <<'PAGES'
consign.1
consign-keygen.1 keygen
consign-policy.1 policy
consign-policy.1 policy create
consign-policy.1 policy anchor
consign-order.1 order create
consign-sign.1 sign
consign-merge.1 merge
consign-verify.1 verify
consign-inspect.1 inspect
consign-station.1 station collect
consign-station.1 station seal
consign-release.1 release create
consign-ledger.1 ledger
consign-export.1 export
consign-receipt.1 receipt
consign-devsim.1
PAGES

	# every command consign --help lists has a page, and the overview names it
	cmds=$("$CONSIGN" --help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}')
	nopage=""
	for c in $cmds; do
		[ -s "$T/consign-$c.1.txt" ] && grep -q "consign-$c(1)" "$T/consign.1.txt" || nopage="$nopage $c"
	done
	checkx "each of the $(echo $cmds | wc -w) commands of consign --help has a page named in consign(1)${nopage:+, not:$nopage}" \
		'[ -n "$cmds" ] && [ -z "$nopage" ]'
	# a usage error ends with one pointer to the help of what was run (or the
	# words its synopsis lines share: "consign station", not "station collect")
	for c in "station seal" "station collect" "release create" verify ledger; do
		# shellcheck disable=SC2086
		"$CONSIGN" $c --no-such-option >/dev/null 2>"$T/usage.err"
		rc=$?
		want="Try 'consign ${c% collect}"
		want="${want% seal} --help'."
		check "'consign $c --no-such-option': exit 2, then \"$want\"" \
			[ "$rc $(tail -1 "$T/usage.err")" = "2 $want" ]
	done
	check "consign(1) gives the exit codes 0-3" \
		grep -q '^\.SH EXIT STATUS' "$T/consign.1"
	check "consign(1) names the environment (CONSIGN_LEDGER)" grep -q CONSIGN_LEDGER "$T/consign.1.txt"
	if command -v man >/dev/null; then
		check "man renders consign(1) without warnings" \
			[ -z "$(MANWIDTH=80 man --warnings -l "$T/consign.1" 2>&1 >/dev/null)" ]
	fi
else
	skip "man pages: scdoc is not installed (apt-get install scdoc)"
fi

# make install, into a staging directory: of the build under test, as it is
# (-o all: never rebuilt here, so a sanitizer build is not relinked with
# other flags); only its man pages are made if they are missing
I=$T/inst
command -v scdoc >/dev/null && make -s -C "$ROOT" BUILD="$BUILD" man >/dev/null
run make -s -C "$ROOT" BUILD="$BUILD" -o all install DESTDIR="$I" PREFIX=/usr
check "make install DESTDIR=... PREFIX=/usr succeeds" [ "$RC" -eq 0 ]
checkx "... installs consign and consign-devsim in /usr/bin" \
	'[ -x "$I/usr/bin/consign" ] && [ -x "$I/usr/bin/consign-devsim" ]'
check "... and the installed consign runs" has <("$I/usr/bin/consign" --version) "^consign "
if command -v scdoc >/dev/null; then
	pages=$(ls "$MAN"/*.scd | wc -l)
	check "... and the $pages man pages in /usr/share/man/man1" \
		[ "$(ls "$I/usr/share/man/man1"/*.1 2>/dev/null | wc -l)" -eq "$pages" ]
	check "... each as built (consign.1)" cmp -s "$I/usr/share/man/man1/consign.1" "$T/consign.1"
	if e=$(git -C "$ROOT" log -1 --format=%ct -- man/consign.1.scd 2>/dev/null) && [ -n "$e" ]; then
		check "... dated by its source's last commit ($(date -u -d "@$e" +%F)), not by the day it was built" \
			grep -q "^\.TH \"consign\" \"1\" \"$(date -u -d "@$e" +%F)\"" "$I/usr/share/man/man1/consign.1"
	fi
	check "... readable by everyone (0644)" \
		[ "$(stat -c %a "$I"/usr/share/man/man1/*.1 | sort -u)" = 644 ]
	check "nothing is installed outside DESTDIR/usr" [ "$(ls "$I")" = usr ]
else
	check "... and says there are no man pages without scdoc" grep -q "no man pages" "$T/out"
fi
