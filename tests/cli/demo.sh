# make demo's script (examples/demo/demo.sh) run into a DEMO_DIR: it tells
# the whole story and exits 0; every file it promises is there under its
# stable name and verifies; the keys open with the passphrase files it kept;
# both refusals are shown with their reasons; no simulator is left running;
# a directory it made is reused, any other non-empty one refused.
. "$(dirname "$0")/../lib.sh"
DEMO=$ROOT/examples/demo/demo.sh
D=$T/demo
export CONSIGN CONSIGN_DEVSIM=$DEVSIM
case "$BUILD" in *san*) export DEMO_DEVICES=${DEMO_DEVICES:-100} ;; esac
N=${DEMO_DEVICES:-1000}

run timeout 300 "$DEMO" "$D"
check "the demo runs to its end (exit 0)" [ "$RC" -eq 0 ]
[ "$RC" -eq 0 ] || sed 's/^/# /' "$T/err" | tail -5
cp "$T/out" "$T/story"
check "it tells 12 numbered steps" grep -q '^12\. Refused: a release with one signature' "$T/story"
check "it ends with the summary naming the directory" grep -q "^Files in $D:" "$T/story"
check "it goes on to attested devices: 16 steps, the last the factory's own records refused" \
	grep -q '^16\. Refused: records the factory made for keys it knows' "$T/story"
A=$D/attested
expect 0 "attested/batch.zip verifies under the policy that pins the TEST maker" \
	"$CONSIGN" verify --policy "$A/policy.cbor" "$A/batch.zip"
check "... its 8 devices' records are a secure element's (ES256)" \
	[ "$("$CONSIGN" export --policy "$A/policy.cbor" --first --format jsonl "$A/registry.zip" |
		jq -r .algorithm | sort | uniq -c | tr -s ' ')" = " 8 ES256" ]
run "$CONSIGN" verify --policy "$A/policy.cbor" --json "$A/forged-batch.zip"
check "attested/forged-batch.zip is refused, every record attest-chain-root" \
	[ "$RC:$(jq -r '[.failures[].reason] | unique | join(",")' "$T/out")" = "1:attest-chain-root" ]
check "the made-up device was refused by the station (attest-chain-root)" \
	grep -q "serial 5008 refused: .*(attest-chain-root)" "$T/story"
missing=""
for f in policy.cbor order.cbor batch.zip registry.zip devices.jsonl anchor.h \
	alice.pub alice.key alice.pass bob.pub bob.key bob.pass carol.pub carol.key carol.pass \
	station.pub station.key station.pass office.pub office.key office.pass ledger/ledger.db; do
	[ -s "$D/$f" ] || missing="$missing $f"
done
check "every promised file is there:${missing:- all}" [ -z "$missing" ]
check "the secret key files are private (0600)" \
	[ "$(stat -c %a "$D"/{alice,bob,carol,station,office}.key | sort -u)" = 600 ]

P=$D/policy.cbor
expect 0 "policy.cbor verifies (2 of 3)" "$CONSIGN" verify "$P"
expect 0 "order.cbor verifies under it" "$CONSIGN" verify --policy "$P" "$D/order.cbor"
expect 0 "batch.zip verifies" "$CONSIGN" verify --policy "$P" "$D/batch.zip"
check "... all $N records pass" has "$T/out" "$N of $N records pass"
expect 0 "registry.zip verifies on the cloud side (--first)" "$CONSIGN" verify --policy "$P" --first "$D/registry.zip"
run "$CONSIGN" inspect --json "$D/registry.zip"
check "... with two signatures" [ "$(jq '.signatures | length' "$T/out")" -eq 2 ]
check "devices.jsonl has one line per device" [ "$(wc -l <"$D/devices.jsonl")" -eq "$N" ]
"$CONSIGN" export --policy "$P" --first --format jsonl "$D/registry.zip" >"$T/again.jsonl" 2>/dev/null
check "devices.jsonl is what consign export writes" cmp -s "$D/devices.jsonl" "$T/again.jsonl"
run "$CONSIGN" ledger --ledger "$D/ledger" --json
check "the ledger's chain is the release's" [ "$(jq -r .chain "$T/out")" = "$(chain_of "$D/registry.zip")" ]

# each kept key opens with its kept passphrase file
"$CONSIGN" order create --policy "$P" --batch B43 --product "Sensor v2" --serials 1-9 \
	--quantity 9 --station "$D/station.pub" -o "$T/o.cbor" >/dev/null 2>&1
bad=""
for n in alice bob carol; do
	"$CONSIGN" sign --key "$D/$n.key" --passphrase-file "$D/$n.pass" --policy "$P" --yes \
		"$T/o.cbor" >/dev/null 2>&1 || bad="$bad $n"
done
check "the custodians' keys sign with their passphrase files:${bad:- all}" [ -z "$bad" ]
expect 0 "... and their order verifies" "$CONSIGN" verify --policy "$P" "$T/o.cbor"
expect 0 "the office key opens (a receipt)" "$CONSIGN" receipt --key "$D/office.key" \
	--passphrase-file "$D/office.pass" --policy "$P" "$D/batch.zip" -o "$T/r.cbor"
expect 0 "the station key opens (the journal sealed again)" "$CONSIGN" station seal \
	--key "$D/station.key" --passphrase-file "$D/station.pass" --order "$D/order.cbor" \
	--journal "$D/factory/journal" -o "$T/b.zip"
expect 0 "... into a batch that verifies" "$CONSIGN" verify --policy "$P" "$T/b.zip"

# the two refusals, shown with their reasons, and the files they were shown on
expect_reason 1 records-digest "tampered-batch.zip is refused (records-digest)" \
	"$CONSIGN" verify --policy "$P" "$D/tampered-batch.zip"
check "... and the story shows that reason" grep -q 'problem: records-digest' "$T/story"
expect_reason 1 release-threshold "registry-one-signature.zip is refused (release-threshold)" \
	"$CONSIGN" verify --policy "$P" --first "$D/registry-one-signature.zip"
check "... and the story shows that reason" grep -q 'problem: release-threshold' "$T/story"
check "the story shows exit status 1 for each refusal (verify, verify, export, the forged batch)" \
	[ "$(grep -c '(exit status 1: refused)' "$T/story")" -eq 4 ]
check "the story names the programs, not their paths" \
	[ "$(grep -c "$BUILD/consign" "$T/story")" -eq 0 ]
left=""
for p in /proc/[0-9]*; do
	[ "$(readlink "$p/cwd" 2>/dev/null)" = "$D" ] && left="$left ${p#/proc/}"
done
check "no process is left running in the demo's directory:${left:- none}" [ -z "$left" ]
check "no pseudo-terminal link is left" [ -z "$(ls "$D/factory" | grep '^line')" ]

# the same directory again (made by the demo), and a foreign one
run timeout 300 env DEMO_DEVICES=8 "$DEMO" "$D"
checkx "a second run into the demo's own directory starts afresh (exit 0, 8 devices)" \
	'[ "$RC" -eq 0 ] && [ "$(wc -l <"$D/devices.jsonl")" -eq 8 ]'
mkdir -p "$T/mine"
echo keep >"$T/mine/notes.txt"
expect 2 "a non-empty directory the demo did not make is refused" "$DEMO" "$T/mine"
check "... and left alone" [ "$(ls -A "$T/mine")" = notes.txt ]
# no DEMO_DIR: a temporary directory, named at the end
mkdir -p "$T/tmp"
run env TMPDIR="$T/tmp" DEMO_DEVICES=4 "$DEMO"
checkx "without a directory it uses a temporary one and says where" \
	'[ "$RC" -eq 0 ] && d=$(ls -d "$T"/tmp/consign-demo.*) && grep -q "^Files in $d (a temporary directory" "$T/out" && [ -s "$d/registry.zip" ]'
