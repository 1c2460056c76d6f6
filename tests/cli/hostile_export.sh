# Device-controlled text in the cloud's import files: records whose firmware
# field is a spreadsheet formula, or carries quotes and commas (all printable,
# so the strict reader accepts them), and an order whose batch id starts with
# "-". The CSV export must parse with a standard CSV reader into the same
# columns on every line, no cell may start with = + - @ (a spreadsheet would
# run it), removing one leading apostrophe gives the text back exactly (so
# "=1+1" and "'=1+1" differ), and the JSONL export must carry it exactly.
. "$(dirname "$0")/../lib.sh"

built "CSV/JSONL export of hostile text: consign export is missing from this build" \
	"$CONSIGN" export --help
needs python3 "CSV/JSONL export of hostile text: python3 missing (it parses the CSV)"
fixture "$T/f" 20 >/dev/null 2>&1 || notok "fixture"
P=$T/f/policy.cbor
# a second order whose batch id starts with "-"
"$CONSIGN" order create --policy "$P" --batch=-12 --product "=1+1" --serials 2000-2999 \
	--quantity 5 --station "$T/f/station.pub" -o "$T/o2.cbor" >/dev/null 2>&1
sign_as "$T/f" "$T/o2.cbor" alice --policy "$P" && sign_as "$T/f" "$T/o2.cbor" bob --policy "$P"
"$CONSIGN" ledger --ledger "$T/L" init --policy "$P" >/dev/null 2>&1
n=0
for case in "f/order.cbor|=HYPERLINK(\"http://x.test\",\"y\")|1000" "f/order.cbor|@SUM(1+1)*cmd|1002" \
	"o2.cbor|+1,\"2\",3|2000" "f/order.cbor|-1+2;tab|1004" "f/order.cbor|'=1+1|1006" \
	"f/order.cbor|=1+1|1008"; do
	n=$((n + 1))
	IFS='|' read -r order fw first <<<"$case"
	printf '%s\n' "$fw" >"$T/fw$n"
	if "$TOOLS/mkhostile" "$T/$order" "$T/f/station.key" "$T/f/station.pass" "$fw" "$first" 2 \
		"$T/b$n.zip" &&
		"$CONSIGN" release create --ledger "$T/L" --policy "$P" "$T/b$n.zip" -o "$T/r$n.zip" \
			>/dev/null 2>&1 &&
		sign_as "$T/f" "$T/r$n.zip" alice --policy "$P" && sign_as "$T/f" "$T/r$n.zip" bob --policy "$P" &&
		"$CONSIGN" ledger --ledger "$T/L" add "$T/r$n.zip" >/dev/null 2>&1; then
		:
	else
		notok "release $n with firmware $fw made"
		continue
	fi
	if [ "$n" -eq 1 ]; then after=(--first); else after=(--after "$prev"); fi
	run "$CONSIGN" export --policy "$P" "${after[@]}" --format csv "$T/r$n.zip" -o "$T/e$n.csv"
	[ "$RC" -eq 0 ] || notok "export $n: $(head -c 300 "$T/err")"
	run "$CONSIGN" export --policy "$P" "${after[@]}" --format jsonl "$T/r$n.zip" -o "$T/e$n.jsonl"
	prev=$("$CONSIGN" ledger --ledger "$T/L" --json show | python3 -c \
		'import json,sys; print(json.load(sys.stdin)["chain"])' 2>/dev/null)
	res=$(python3 - "$T/e$n.csv" "$T/e$n.jsonl" "$T/fw$n" <<'PY'
import csv, json, sys
fw = open(sys.argv[3]).read().rstrip("\n")
bad = []
rows = list(csv.reader(open(sys.argv[1], newline="")))
if len(rows) != 3:
    bad.append("%d CSV rows, want a header and 2" % len(rows))
for r in rows:
    if len(r) != len(rows[0]):
        bad.append("a row of %d cells, the header has %d" % (len(r), len(rows[0])))
    for c in r:
        if c[:1] in ("=", "+", "-", "@", "\t", "\r"):
            bad.append("cell starts a formula: %r" % c)
for r in rows[1:]:
    cells = dict(zip(rows[0], r))
    got = cells.get("firmware", "")
    # the guard is undone by removing one leading apostrophe (export.md)
    if (got[1:] if got.startswith("'") else got) != fw:
        bad.append("firmware cell %r is not %r" % (got, fw))
for line in open(sys.argv[2]):
    if json.loads(line).get("firmware") != fw:
        bad.append("JSONL firmware differs")
print("; ".join(bad) or "ok")
PY
)
	check "export of firmware $(printf '%q' "$fw"): CSV well-formed, no formula cell, JSONL exact ($res)" \
		[ "$res" = ok ]
done
