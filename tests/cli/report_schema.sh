#!/usr/bin/env bash
# One report shape (manifests/report.md): every command's --json output,
# for every kind of input, accepted, rejected, shown and failed alike, is
# one JSON object on one line that validates against
# manifests/report.schema.json; errors under --json are reports too.
. "$(dirname "$0")/../lib.sh"

if ! python3 -c 'import jsonschema' 2>/dev/null; then
	skip "report schema: python3 has no jsonschema module (apt-get install python3-jsonschema)"
	exit 0
fi
G=$ROOT/manifests/golden
O=$G/office
F=$T/f
office "$F" 100 1000-1999 || { notok "fixture"; exit 1; }
P=$F/policy.cbor
office_mkb "$F" --count 5 -o "$T/good.zip" && office_mkb "$F" --count 5 --seed 2 --first-serial 1100 \
	--break record-signature@2 -o "$T/bad.zip" || notok "batches"
office_release "$F" "$T/good.zip" "$T/r1.zip" --exclude-refused || notok "release"
"$CONSIGN" ledger --ledger "$F/L" withdraw 1 -o "$T/w.cbor" >/dev/null || notok "withdrawal"
echo 'not a zip' >"$T/junk.zip"
printf 'PK\003\004junk' >"$T/trunc.zip"

n=0
# report NAME WANT-VERDICT CMD...: runs CMD, keeps its stdout as the NAME report
report() {
	local name=$1 want=$2
	shift 2
	n=$((n + 1))
	"$@" >"$T/rep.$name" 2>"$T/rep.$name.err"
	echo "$name $want $?" >>"$T/reports"
}
report verify-policy accepted "$CONSIGN" verify --json "$G/policy.cbor"
report verify-policy-rotation accepted "$CONSIGN" verify --json --policy "$G/policy.cbor" "$G/policy-v2.cbor"
report verify-order accepted "$CONSIGN" verify --json --policy "$G/policy.cbor" "$G/order.cbor"
report verify-order-other rejected "$CONSIGN" verify --json --policy "$P" "$G/order.cbor"
report verify-record accepted "$CONSIGN" verify --json "$G/record.cbor"
report verify-header accepted "$CONSIGN" verify --json "$G/header.cbor"
report verify-receipt accepted "$CONSIGN" verify --json --policy "$G/policy.cbor" "$O/receipt.cbor"
report verify-withdrawal accepted "$CONSIGN" verify --json --policy "$G/policy.cbor" "$O/withdrawal.cbor"
report verify-withdrawal-unsigned rejected "$CONSIGN" verify --json --policy "$P" "$T/w.cbor"
report verify-batch accepted "$CONSIGN" verify --json --policy "$P" "$T/good.zip"
report verify-batch-bad rejected "$CONSIGN" verify --json --policy "$P" "$T/bad.zip"
"$CONSIGN" ledger --ledger "$F/L" add "$T/r1.zip" >/dev/null 2>&1 || true
report verify-batch-ledger rejected "$CONSIGN" verify --json --policy "$P" --ledger "$F/L" "$T/good.zip"
report verify-release accepted "$CONSIGN" verify --json --policy "$G/policy.cbor" --first --deep "$O/release.zip"
report verify-release-unpinned rejected "$CONSIGN" verify --json --policy "$G/policy.cbor" "$O/release.zip"
report verify-zip-layout rejected "$CONSIGN" verify --json --policy "$P" "$ROOT/tests/malformed/zip-dotdot.zip"
report verify-missing error "$CONSIGN" verify --json --policy "$P" "$T/nothing.zip"
report verify-notzip error "$CONSIGN" verify --json --policy "$P" --first "$T/junk.zip"
report verify-truncated error "$CONSIGN" verify --json --policy "$P" "$T/trunc.zip"
report verify-swapped error "$CONSIGN" verify --json --policy "$T/good.zip" "$P"
for f in policy.cbor policy-v2.cbor order.cbor record.cbor header.cbor alice.pub alice.key \
	office/receipt.cbor office/withdrawal.cbor office/release.cose office/batch.zip office/release.zip; do
	report "inspect-$(basename "$f")" shown "$CONSIGN" inspect --json "$G/$f"
done
report inspect-missing error "$CONSIGN" inspect --json "$T/nothing.cbor"
report ledger shown "$CONSIGN" ledger --ledger "$F/L" --json
report ledger-missing error "$CONSIGN" ledger --ledger "$T/noledger" --json
report receipt-good accepted "$CONSIGN" receipt --json --key "$F/office.key" \
	--passphrase-file "$F/office.pass" --policy "$P" "$T/good.zip" -o "$T/rc1.cbor"
report receipt-bad accepted "$CONSIGN" receipt --json --key "$F/office.key" \
	--passphrase-file "$F/office.pass" --policy "$P" "$T/bad.zip" -o "$T/rc2.cbor"
report export accepted "$CONSIGN" export --json --policy "$P" --first --format jsonl "$T/r1.zip" \
	-o "$T/out.jsonl"
report export-unpinned rejected "$CONSIGN" export --json --policy "$G/policy.cbor" --first \
	--format jsonl "$T/r1.zip" -o "$T/out2.jsonl"

python3 - "$ROOT/manifests/report.schema.json" "$T" <<'PY'
import json, sys
from jsonschema import Draft202012Validator
schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
v = Draft202012Validator(schema)
want_exit = {"accepted": {0}, "rejected": {1}, "shown": {0}, "error": {2, 3}}
for line in open(sys.argv[2] + "/reports"):
    name, want, rc = line.split()
    text = open(sys.argv[2] + "/rep." + name).read()
    lines = text.splitlines()
    if len(lines) != 1:
        print("not ok - %s: %d lines of output, want one report" % (name, len(lines)))
        continue
    try:
        doc = json.loads(lines[0])
    except ValueError as e:
        print("not ok - %s: not JSON: %s" % (name, e))
        continue
    errs = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
    if errs:
        print("not ok - %s: %s at %s" % (name, errs[0].message[:200], list(errs[0].path)))
        continue
    if doc["verdict"] != want or int(rc) not in want_exit[want]:
        print("not ok - %s: verdict %s exit %s, want %s" % (name, doc["verdict"], rc, want))
        continue
    if want == "error" and doc.get("exit") != int(rc):
        print("not ok - %s: the report's exit %s is not the status %s" % (name, doc.get("exit"), rc))
        continue
    print("ok - %s: one report, valid, verdict %s, exit %s" % (name, want, rc))
PY
checkx "every one of the $n commands was checked" '[ "$(wc -l <"$T/reports")" = "$n" ]'
