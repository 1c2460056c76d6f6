#!/usr/bin/env bash
# The conformance corpus (manifests/conformance/): its generator makes it byte
# for byte, and consign verify reaches, on every case of its index, exactly
# the exit status and the set of reasons the spec gives (manifests/README.md
# says how the index is read; another implementation runs the same loop).
. "$(dirname "$0")/../lib.sh"
C=$ROOT/manifests/conformance
export TZ=UTC

if ! command -v python3 >/dev/null; then
	skip "conformance corpus regenerated: python3 is not installed (tests/conformance/mkzip.py)"
elif bash "$ROOT/tests/conformance/mkcorpus.sh" "$BUILD" "$T/regen" 2>"$T/gen.err" &&
	diff -r "$C" "$T/regen" >"$T/diff" 2>&1; then
	ok "conformance corpus reproduced byte for byte by tests/conformance/mkcorpus.sh"
else
	notok "conformance corpus reproduced byte for byte: $(cat "$T/gen.err" "$T/diff" | head -5 | tr '\n' ' ')"
fi

# the cases consign is known to depart on, from the index's comment lines
# ("# known-departure CASE: what consign does"): still "not ok", named as such
declare -A departs
while IFS= read -r line; do
	case "$line" in "# known-departure "*) ;; *) continue ;; esac
	line=${line#\# known-departure }
	departs[${line%%:*}]=${line#*: }
done <"$C/index.tsv"

n=0
while IFS=$'\t' read -r file policy chain extra want reasons section; do
	case "$file" in '' | '#'*) continue ;; esac
	n=$((n + 1))
	args=(verify --json)
	[ "$policy" = - ] || args+=(--policy "$C/$policy")
	case "$chain" in
	-) ;;
	first) args+=(--first) ;;
	"after "*) args+=(--after "${chain#after }") ;;
	*) notok "$file: chain position '$chain' not understood" && continue ;;
	esac
	if [ "$extra" != - ]; then
		IFS=, read -r -a items <<<"$extra"
		for it in "${items[@]}"; do
			case "$it" in
			deep) args+=(--deep) ;;
			"released "*) args+=(--released "$C/${it#released }") ;;
			"withdrawn "*) args+=(--withdrawn "$C/${it#withdrawn }") ;;
			*) notok "$file: extra input '$it' not understood" && continue 2 ;;
			esac
		done
	fi
	"$CONSIGN" "${args[@]}" "$C/$file" >"$T/out" 2>"$T/err"
	rc=$?
	got=$(jq -r '[(.problems // [])[].reason, (.failures // [])[].reason] | unique |
		if length == 0 then "-" else join(",") end' "$T/out" 2>/dev/null) || got="(no report)"
	what="$file ($section): exit $rc, reasons $got"
	if [ "$rc" = "$want" ] && [ "$got" = "$reasons" ]; then
		ok "$what"
	elif [ -n "${departs[$file]:-}" ]; then
		notok "$what; the spec says exit $want, reasons $reasons (known departure: ${departs[$file]})"
	else
		notok "$what; the spec says exit $want, reasons $reasons"
	fi
done <"$C/index.tsv"
echo "# conformance: $n cases"
