#!/usr/bin/env bash
# The CI import job (examples/ci/import-release) against a real PostgreSQL
# server: a throwaway cluster in a temporary directory, on loopback, with
# password authentication, run by an unprivileged user when we are root. The
# job runs as a role that is not a superuser. Checks the tables after every
# run: releases import in chain order, a re-import is a no-op, every refused
# release or rotation and every crash in the middle leaves the whole state
# byte for byte as it was, and two runs at once import once.
. "$(dirname "$0")/../lib.sh"

JOB=$ROOT/examples/ci/import-release

# ---- the server ---------------------------------------------------------------

pgbin=""
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
	[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && pgbin=$d
done
[ -n "$pgbin" ] || { d=$(pg_config --bindir 2>/dev/null) && [ -x "$d/initdb" ] && pgbin=$d; }
if [ -z "$pgbin" ] || ! command -v psql >/dev/null; then
	skip "PostgreSQL is not installed (Debian: apt-get install postgresql): no CI import test"
	exit 0
fi
pgver=$("$pgbin/pg_ctl" --version | sed -n 's/.* \([0-9][0-9]*\)[.].*/\1/p')
if [ "${pgver:-0}" -lt 14 ]; then
	skip "PostgreSQL $pgver is older than 14, which schema.sql needs"
	exit 0
fi

# as root, the server runs as an unprivileged user (initdb refuses root)
pguser=""
if [ "$(id -u)" = 0 ]; then
	for u in postgres nobody; do id -u "$u" >/dev/null 2>&1 && { pguser=$u; break; }; done
	if [ -z "$pguser" ] || ! command -v runuser >/dev/null; then
		skip "running as root without runuser or an unprivileged user for the server"
		exit 0
	fi
fi
as_pg() { if [ -n "$pguser" ]; then runuser -u "$pguser" -- "$@"; else "$@"; fi; }

# the cluster lives outside $T ($T is private to root; /tmp is traversable)
PGD=$(mktemp -d "${TMPDIR:-/tmp}/consign-pg.XXXXXX")
pg_stop() {
	[ -f "$PGD/data/postmaster.pid" ] &&
		(cd "$PGD" && as_pg "$pgbin/pg_ctl" -D "$PGD/data" -m immediate -w stop) >/dev/null 2>&1
	rm -rf "$PGD"
}
trap 'pg_stop; rm -rf "$T"' EXIT
# (the jobs' work directories too, even of a job killed with SIGKILL)
mkdir "$T/tmp" && export TMPDIR=$T/tmp
[ -z "$pguser" ] || chown "$pguser" "$PGD"
chmod 700 "$PGD"
head -c 18 /dev/urandom | base64 | tr '+/' 'xy' >"$T/admin.pw"
head -c 18 /dev/urandom | base64 | tr '+/' 'xy' >"$T/ci.pw"
install -m 600 "$T/admin.pw" "$PGD/admin.pw"
[ -z "$pguser" ] || chown "$pguser" "$PGD/admin.pw"
if ! (cd "$PGD" && as_pg "$pgbin/initdb" -D "$PGD/data" -U ciadmin --pwfile="$PGD/admin.pw" \
	--auth-host=scram-sha-256 --auth-local=scram-sha-256 -N -E UTF8 --locale=C) \
	>"$T/initdb.log" 2>&1; then
	notok "initdb: $(tail -5 "$T/initdb.log" | tr '\n' ' ')"
	exit 1
fi
started=0
for try in 1 2 3 4 5; do
	port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue # taken
	if (cd "$PGD" && as_pg "$pgbin/pg_ctl" -D "$PGD/data" -l "$PGD/log" -w -t 30 -o \
		"-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$PGD -c fsync=off -c max_connections=20" start) \
		>"$T/pg_ctl.log" 2>&1; then
		started=1
		break
	fi
done
if [ "$started" -ne 1 ]; then
	notok "PostgreSQL did not start: $(cat "$T/pg_ctl.log"; tail -5 "$PGD/log" 2>/dev/null | tr '\n' ' ')"
	exit 1
fi
ok "a throwaway PostgreSQL $pgver cluster on 127.0.0.1:$port${pguser:+, run as $pguser}"

export PGHOST=127.0.0.1 PGPORT=$port PGPASSFILE=$T/pgpass
{
	echo "127.0.0.1:$port:*:ciadmin:$(cat "$T/admin.pw")"
	echo "127.0.0.1:$port:*:ci:$(cat "$T/ci.pw")"
} >"$PGPASSFILE"
chmod 600 "$PGPASSFILE"
unset PGDATABASE PGUSER PGAPPNAME PGOPTIONS PGSERVICE PGSSLMODE
export PGCLIENTENCODING=UTF8

# adm SQL...: as the cluster's superuser, in the registry database; rows on stdout
adm() {
	local a=()
	for s in "$@"; do a+=(-c "$s"); done
	psql -X -q -A -t -v ON_ERROR_STOP=1 -U ciadmin -d registry "${a[@]}"
}
# the CI job's own role: no superuser, owns only its database
psql -X -q -v ON_ERROR_STOP=1 -U ciadmin -d postgres \
	-c "CREATE ROLE ci LOGIN PASSWORD '$(cat "$T/ci.pw")'" \
	-c "CREATE DATABASE registry OWNER ci" >/dev/null || { notok "roles"; exit 1; }

# job ARGS...: the CI job as CI runs it (role ci, database registry)
job() { env PGUSER=ci PGDATABASE=registry CONSIGN="$CONSIGN" "$JOB" "$@"; }

# snap: the whole trust state and registry, every column, in a fixed order
snap() {
	adm "COPY (SELECT * FROM consign.trust_state) TO STDOUT" \
		"COPY (SELECT * FROM consign.policies ORDER BY version) TO STDOUT" \
		"COPY (SELECT * FROM consign.releases ORDER BY seq) TO STDOUT" \
		"COPY (SELECT * FROM consign.orders ORDER BY order_digest) TO STDOUT" \
		"COPY (SELECT * FROM consign.devices ORDER BY serial) TO STDOUT"
}
# unchanged DESC: the state is byte for byte the last snapshot ($T/snap)
unchanged() {
	snap >"$T/snap.now" 2>&1
	check "$1: the state is unchanged" cmp -s "$T/snap" "$T/snap.now"
}
q() { adm "$1" 2>&1; }
chain_db() { q "SELECT last_seq || ':' || coalesce(encode(last_digest, 'hex'), '') FROM consign.trust_state"; }
ndev() { q "SELECT count(*) FROM consign.devices"; }

# wait_sql SQL: until SQL says t (15 s at most)
wait_sql() {
	local i
	for ((i = 0; i < 150; i++)); do
		[ "$(q "$1")" = t ] && return 0
		sleep 0.1
	done
	return 1
}
# hold SQL: a background session that runs SQL in an open transaction and
# keeps its locks until unhold
hold() {
	PGAPPNAME=ci-test-lock psql -X -q -U ciadmin -d registry -c "BEGIN" -c "$1" \
		-c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
	holder=$!
	wait_sql "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'ci-test-lock'
		AND query LIKE '%pg_sleep%' AND state = 'active')"
}
unhold() {
	q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'ci-test-lock'" >/dev/null
	wait "$holder" 2>/dev/null
}
no_job_session() {
	wait_sql "SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'consign-ci')"
}

# ---- the releases --------------------------------------------------------------
# chain under policy v1: r1 (6 records, one excluded), r2, r3 (and r3 with one
# signature), r4; policy v2 (a rotation adding dave); r5, r6 under v2 with
# serials at the top of the 64-bit range; a release of another deployment.

F=$T/f
office "$F" 100 1000-1999 || { notok "fixture"; exit 1; }
P=$F/policy.cbor
office_mkb "$F" --count 6 --break record-signature@2 -o "$T/b1.zip" &&
	"$CONSIGN" release create --policy "$P" --ledger "$F/L" --exclude-refused "$T/b1.zip" \
		-o "$T/r1.zip" >/dev/null && sign_as "$F" "$T/r1.zip" alice --policy "$P" &&
	sign_as "$F" "$T/r1.zip" bob --policy "$P" &&
	"$CONSIGN" ledger --ledger "$F/L" add "$T/r1.zip" >/dev/null || notok "release 1"
# a release 2 with a secure element's device (a 65-byte P-256 key), drafted in
# a copy of the ledger as it is now (issue 18)
cp -r "$F/L" "$F/Lp" && office_mkb "$F" --count 2 --seed 21 --first-serial 1500 --p256 1 \
	-o "$T/bp.zip" && "$CONSIGN" release create --policy "$P" --ledger "$F/Lp" "$T/bp.zip" \
	-o "$T/rp.zip" >/dev/null && sign_as "$F" "$T/rp.zip" alice --policy "$P" &&
	sign_as "$F" "$T/rp.zip" bob --policy "$P" || notok "release 2 with a P-256 device"
mkrel() { # N SEED FIRST-SERIAL COUNT
	office_mkb "$F" --count "$4" --seed "$2" --first-serial "$3" -o "$T/b$1.zip" &&
		office_release "$F" "$T/b$1.zip" "$T/r$1.zip" &&
		"$CONSIGN" ledger --ledger "$F/L" add "$T/r$1.zip" >/dev/null || notok "release $1"
}
mkrel 2 2 1100 3
office_mkb "$F" --count 3 --seed 3 --first-serial 1200 -o "$T/b3.zip" &&
	"$CONSIGN" release create --policy "$P" --ledger "$F/L" "$T/b3.zip" -o "$T/r3.zip" >/dev/null &&
	sign_as "$F" "$T/r3.zip" alice --policy "$P" && cp "$T/r3.zip" "$T/r3-thin.zip" &&
	sign_as "$F" "$T/r3.zip" bob --policy "$P" &&
	"$CONSIGN" ledger --ledger "$F/L" add "$T/r3.zip" >/dev/null || notok "release 3"
mkrel 4 4 1300 2

keys "$F" dave || notok "keys"
"$CONSIGN" policy create --threshold 2 --custodian "$F/alice.pub" --custodian "$F/bob.pub" \
	--custodian "$F/dave.pub" --office "$F/office.pub" --previous "$P" -o "$T/p2.cbor" >/dev/null &&
	sign_as "$F" "$T/p2.cbor" alice --policy "$P" && sign_as "$F" "$T/p2.cbor" dave --policy "$P" &&
	cp "$T/p2.cbor" "$T/p2-thin.cbor" && sign_as "$F" "$T/p2.cbor" bob --policy "$P" &&
	"$CONSIGN" ledger --ledger "$F/L" policy "$T/p2.cbor" >/dev/null || notok "policy v2"
P2=$T/p2.cbor
"$CONSIGN" order create --policy "$P2" --batch B43 --product "Sensor v3" \
	--serials 18446744073709551600-18446744073709551615 --quantity 4 --station "$F/station.pub" \
	-o "$T/order2.cbor" >/dev/null && sign_as "$F" "$T/order2.cbor" bob --policy "$P2" &&
	sign_as "$F" "$T/order2.cbor" dave --policy "$P2" || notok "order 2"
mkrel2() { # N SEED FIRST-SERIAL COUNT
	"$TOOLS/mkbatch" --order "$T/order2.cbor" --key "$F/station.key" \
		--passphrase-file "$F/station.pass" --count "$4" --seed "$2" --first-serial "$3" \
		-o "$T/b$1.zip" &&
		"$CONSIGN" release create --policy "$P2" --ledger "$F/L" "$T/b$1.zip" -o "$T/r$1.zip" \
			>/dev/null && sign_as "$F" "$T/r$1.zip" bob --policy "$P2" &&
		sign_as "$F" "$T/r$1.zip" dave --policy "$P2" &&
		"$CONSIGN" ledger --ledger "$F/L" add "$T/r$1.zip" >/dev/null || notok "release $1"
}
mkrel2 5 5 18446744073709551613 2
mkrel2 6 6 18446744073709551600 2

G=$T/g
office "$G" 10 1000-1999 >/dev/null && office_mkb "$G" --count 2 --seed 9 -o "$T/bg.zip" &&
	office_release "$G" "$T/bg.zip" "$T/rg.zip" || notok "the other deployment's release"

# ---- bootstrap -------------------------------------------------------------------

reg() { q "SELECT to_regclass('consign.trust_state') IS NULL"; }
expect_reason 3 "--init-policy" "before any --init-policy, an import is refused: no trust state" \
	job "$T/r1.zip"
pdig=$("$CONSIGN" verify --json "$P" | jq -r .digest)
expect_reason 1 ci-policy-digest "--init-policy with another --expect-digest is refused" \
	job --init-policy "$P" --expect-digest "$(printf '%064d' 0)"
check "... and creates nothing, not even the schema" [ "$(reg)" = t ]
expect 0 "--init-policy pins the policy (with the digest the custodians announced)" \
	job --init-policy "$P" --expect-digest "$pdig"
check "... version 1, its digest, no release yet" \
	[ "$(q "SELECT policy_version || ' ' || encode(policy_digest, 'hex') || ' ' || last_seq || ' '
		|| (last_digest IS NULL) FROM consign.trust_state")" = "1 $pdig 0 true" ]
check "... the stored policy is the file byte for byte" \
	[ "$(q "SELECT encode(sha256(policy), 'hex') FROM consign.policies")" = \
		"$(sha256sum <"$P" | cut -c1-64)" ]
snap >"$T/snap"
expect_reason 0 "pinned already" "--init-policy again with the same policy is a no-op" \
	job --init-policy "$P" --expect-digest "$pdig"
expect_reason 1 ci-initialised "--init-policy with another policy is refused" \
	job --init-policy "$G/policy.cbor" --trust-on-first-use
expect_reason 2 "expect-digest" "--init-policy without --expect-digest or --trust-on-first-use is refused" \
	job --init-policy "$G/policy.cbor"
unchanged "... both"

# ---- the first releases ------------------------------------------------------------

expect 0 "release 1 imports (--first: the database has no release yet)" job "$T/r1.zip"
check "... it says how many devices and the new chain position" \
	grep -q "imported 5 devices of release $(chain_of "$T/r1.zip")" "$T/out"
"$CONSIGN" export --policy "$P" --first --format jsonl "$T/r1.zip" -o "$T/r1.jsonl" 2>/dev/null
check "... 5 devices: the 6 records but the one excluded" [ "$(ndev)" = 5 ]
check "... serial 1002 (excluded, bad signature) is not there" \
	[ "$(q "SELECT count(*) FROM consign.devices WHERE serial = 1002")" = 0 ]
k1000=$(jq -r 'select(.serial == 1000) | .public_key_hex' "$T/r1.jsonl")
check "... serial 1000 has its device key" \
	[ "$(q "SELECT encode(public_key, 'hex') FROM consign.devices WHERE serial = 1000")" = "$k1000" ]
check "... serial 1005: key, hardware id, firmware, batch, order, release" \
	[ "$(q "SELECT encode(public_key, 'hex') || ' ' || encode(hardware_id, 'hex') || ' ' || firmware
		|| ' ' || batch || ' ' || encode(order_digest, 'hex') || ' ' || release_seq || ':'
		|| encode(release_digest, 'hex') FROM consign.devices WHERE serial = 1005")" = \
		"$(jq -r 'select(.serial == 1005) | "\(.public_key_hex) \(.hardware_id) \(.firmware) \(.batch) \(.order) \(.release_sequence):\(.release_digest)"' "$T/r1.jsonl")" ]
check "... every row is exactly the export's line" [ "$(q "SELECT string_agg(serial || ' ' ||
	encode(public_key, 'hex') || ' ' || encode(hardware_id, 'hex') || ' ' || firmware, E'\n'
	ORDER BY serial) FROM consign.devices")" = \
	"$(jq -r '"\(.serial) \(.public_key_hex) \(.hardware_id) \(.firmware)"' "$T/r1.jsonl" | sort -n)" ]
checkx "... no device with an instance id: the order requires no firmware evidence, the export gives none" \
	'[ "$(q "SELECT count(instance_id) FROM consign.devices") $(jq -r .instance "$T/r1.jsonl" | sort -u)" = "0 " ]'
check "... the chain is at release 1" [ "$(chain_db)" = "$(chain_of "$T/r1.zip")" ]
check "... the order has 5 of 100 imported; the release is recorded with 1 excluded" \
	[ "$(q "SELECT o.imported || '/' || o.quantity || ' ' || r.devices || ' ' || r.excluded
		FROM consign.orders o JOIN consign.releases r USING (order_digest)")" = "5/100 5 1" ]
snap >"$T/snap"
expect_reason 0 "already imported" "the same release again is a no-op that says so" job "$T/r1.zip"
unchanged "... the no-op"
# a secure element's device (issue 18): release 2 with a P-256 key (ES256),
# imported into a second registry (release 1, then it), so this one's chain
# goes on as before
psql -X -q -v ON_ERROR_STOP=1 -U ciadmin -d postgres -c "CREATE DATABASE registry_p OWNER ci" \
	>/dev/null || notok "a second registry"
jobp() { env PGUSER=ci PGDATABASE=registry_p CONSIGN="$CONSIGN" "$JOB" "$@"; }
jobp --init-policy "$P" --expect-digest "$pdig" >/dev/null && jobp "$T/r1.zip" >/dev/null ||
	notok "the second registry at release 1"
expect 0 "a release with a P-256 device key (ES256) imports" jobp "$T/rp.zip"
kp=$("$CONSIGN" export --policy "$P" --after "$(chain_of "$T/r1.zip")" --format jsonl "$T/rp.zip" |
	jq -r 'select(.algorithm == "ES256") | .public_key_hex')
check "... the device is registered as ES256 with its 65-byte key, the others as EdDSA" \
	[ "$(psql -X -q -A -t -U ciadmin -d registry_p -c "SELECT string_agg(algorithm || ' ' ||
		octet_length(public_key), ',' ORDER BY octet_length(public_key))
		FROM consign.devices WHERE serial >= 1500 UNION ALL SELECT encode(public_key, 'hex') FROM consign.devices WHERE algorithm = 'ES256'")" = \
		"$(printf 'EdDSA 32,ES256 65\n%s' "$kp")" ]
check "... release 1's devices are EdDSA" [ "$(psql -X -q -A -t -U ciadmin -d registry_p -c \
	"SELECT count(*) FILTER (WHERE algorithm = 'EdDSA' AND octet_length(public_key) = 32) ||
		'/' || count(*) FROM consign.devices WHERE serial < 1500")" = "5/5" ]
# the CSV's formula guard undone (manifests/export.md): a release 3 there whose
# devices report firmware "=1+1" and whose second key's base64 starts with "+"
# (seed 13), both cells guarded with an apostrophe in the export
"$CONSIGN" ledger --ledger "$F/Lp" add "$T/rp.zip" >/dev/null &&
	office_mkb "$F" --count 3 --seed 13 --first-serial 1600 --firmware '=1+1' -o "$T/bq.zip" &&
	"$CONSIGN" release create --policy "$P" --ledger "$F/Lp" "$T/bq.zip" -o "$T/rq.zip" >/dev/null &&
	sign_as "$F" "$T/rq.zip" alice --policy "$P" && sign_as "$F" "$T/rq.zip" bob --policy "$P" ||
	notok "a release with guarded cells"
"$CONSIGN" export --policy "$P" --after "$(chain_of "$T/rp.zip")" --format csv "$T/rq.zip" \
	-o "$T/rq.csv" 2>/dev/null
"$CONSIGN" export --policy "$P" --after "$(chain_of "$T/rp.zip")" --format jsonl "$T/rq.zip" \
	-o "$T/rq.jsonl" 2>/dev/null
checkx "... its export guards the firmware of 3 devices and 1 key" \
	'[ "$(grep -c ",\"'"'"'=1+1\"," "$T/rq.csv") $(grep -c ",\"'"'"'+" "$T/rq.csv")" = "3 1" ]'
expect 0 "a release with guarded CSV cells imports" jobp "$T/rq.zip"
check "... serial, key and firmware of each device as its JSON line, the guard undone" \
	[ "$(psql -X -q -A -t -U ciadmin -d registry_p -c "SELECT string_agg(serial || ' ' ||
		encode(public_key, 'hex') || ' ' || firmware, E'\n' ORDER BY serial)
		FROM consign.devices WHERE serial >= 1600")" = \
		"$(jq -r '"\(.serial) \(.public_key_hex) \(.firmware)"' "$T/rq.jsonl")" ]

expect 0 "release 2 continues the chain and imports" job "$T/r2.zip"
check "... 8 devices, the chain at release 2, the order at 8" \
	[ "$(ndev) $(chain_db) $(q "SELECT imported FROM consign.orders")" = "8 $(chain_of "$T/r2.zip") 8" ]
check "... release 2 names release 1 as its predecessor" \
	[ "$(q "SELECT r2.previous = r1.digest FROM consign.releases r1, consign.releases r2
		WHERE r1.seq = 1 AND r2.seq = 2")" = t ]
snap >"$T/snap"

# ---- refused: nothing changes ------------------------------------------------------------

expect_reason 1 release-replayed "release 1 replayed after release 2: refused" job "$T/r1.zip"
expect_reason 1 release-replayed "... and with --deep (every record signature again)" \
	job --deep "$T/r1.zip"
unchanged "... replayed"
expect_reason 1 release-skipped "release 4 right after release 2: refused (skipped)" job "$T/r4.zip"
unchanged "... skipped"
expect_reason 1 release-threshold "release 3 with 1 of 2 signatures: refused" job "$T/r3-thin.zip"
unchanged "... M-1 signatures"
expect_reason 1 release-deployment "a release of another deployment and policy: refused" \
	job "$T/rg.zip"
check "... the report names the other policy too" grep -q release-policy "$T/err"
unchanged "... another deployment"
expect 2 "a batch is not a release: refused" job "$T/b3.zip"
head -c 700 "$T/r3.zip" >"$T/r3-cut.zip"
expect 3 "a truncated release: refused as unreadable" job "$T/r3-cut.zip"
unchanged "... a batch, a truncated file"

# a consign whose export lies about what it verified: the SQL checks refuse it.
# The export is CSV (manifests/export.md): line 1 the header, line 2 the first
# device (1200,KEY-HEX,KEY-BASE64,HWID,1.4.2,B42,ORDER,3,DIGEST,EdDSA,,CRLF:
# no certificate, no instance id); cell N of line 2 is rewritten by awk,
# which keeps the CR in the last cell (the instance id's, so a lie there
# writes its CR too).
# The job streams the export (-o names the pipe to its COPY): the liar has
# consign write a file instead, rewrites it, then sends it where the job
# asked (exit 3 when the pipe's reader is gone, as consign would).
cat >"$T/liar" <<EOF
#!/usr/bin/env bash
[ "\$1" = export ] || exec "$CONSIGN" "\$@"
args=() out="" next=0
for a in "\$@"; do
	if [ "\$next" = 1 ]; then out=\$a a="$T/lied.csv" next=0; elif [ "\$a" = -o ]; then next=1; fi
	args+=("\$a")
done
rm -f "$T/lied.csv"
"$CONSIGN" "\${args[@]}" || exit \$?
bash -c "\$LIE" lie "$T/lied.csv"
cat "$T/lied.csv" >"\$out" || exit 3
exit \${LIE_EXIT:-0}
EOF
chmod +x "$T/liar"
lie() { # DESC REASON SHELL-ON-\$1
	run env PGUSER=ci PGDATABASE=registry CONSIGN="$T/liar" LIE="$3" "$JOB" "$T/r3.zip"
	if [ "$RC" -eq 1 ] && grep -q -- "$2" "$T/err"; then
		ok "$1: refused ($2)"
	else
		notok "$1: (exit $RC, want 1 with $2): $(head -c 400 "$T/err")"
	fi
}
# cell2 AWK-STATEMENT: the lie's shell, rewriting line 2's cells ($1 ... $12)
cell2() { echo "awk -F, -v OFS=, 'NR == 2 { $1 } 1' \"\$1\" >\"\$1.x\" && mv \"\$1.x\" \"\$1\""; }
lie "an export line naming another release sequence" ci-export-mismatch "$(cell2 '$8 = 99')"
lie "an export missing a device" ci-export-mismatch 'sed -i "\$d" "$1"'
lie "an export with a serial that is not an integer (1200.0; CSV has no JSON types)" \
	export_serial "$(cell2 '$1 = $1 ".0"')"
lie "an export with a firmware version that is not printable ASCII" export_firmware \
	"$(cell2 '$5 = "1.4\303\251"')"
lie "an export whose hex and base64 keys differ" export_key_encodings_agree \
	'k=$(sed -n 3p "$1" | cut -d, -f2); sed -i "2s/^\([^,]*,\)[0-9a-f]*,/\1$k,/" "$1"'
lie "an export with a 33-byte device key" export_key_hex "$(cell2 '$2 = "00" $2')"
unchanged "... all six"
# checked against the release (every line names its order and batch), and
# the line's shape, cell by cell
lie "an export line whose batch id is outside the format" ci-export-mismatch \
	"$(cell2 '$6 = "B 42"')"
lie "an export line naming another order" ci-export-mismatch "$(cell2 '$7 = "x" substr($7, 2)')"
lie "an export line with a cell the format does not have (COPY: 22P04)" \
	"extra data after last expected column" "$(cell2 'sub(/\r$/, ",1\r")')"
lie "an export whose header names a column the format does not have" export_fields \
	'sed -i "1s/,release_digest/,extra&/" "$1"'
lie "an export line that is not the format's twelve cells (COPY: 22P04)" "missing data for column" \
	'sed -i "2s/.*/[1,2]\r/" "$1"'
unchanged "... these five"
# the key's algorithm: one of the two, and the key's length its
lie "an export line with an algorithm the format does not have" export_key_algorithm \
	"$(cell2 '$10 = "Ed448"')"
lie "an export line naming ES256 for a 32-byte key" export_key_base64 "$(cell2 '$10 = "ES256"')"
# a certificate: only a secure element's (ES256), and only base64 of a DER SEQUENCE
lie "an export line giving an Ed25519 device a certificate" export_certificate \
	"$(cell2 '$11 = "MIIBAA=="')"
lie "an export line whose certificate is not base64" export_certificate \
	"$(cell2 '$10 = "ES256"; $11 = "MII*AA=="')"
# an instance id of the right shape, where the order requires no firmware evidence
lie "an export line giving a device of an order without evidence an instance id" export_evidence \
	"$(cell2 "\$12 = \"01$(printf '%064d' 7)\\r\"")"
unchanged "... these three"
# CSV's own: nothing but printable ASCII and CRLF line ends, and the formula
# guard exactly as the format writes it (a cell starting with = + - @ or '
# has one apostrophe added, and no other cell has)
lie "an export line with a tab in its firmware" ci-export-shape "$(cell2 '$5 = "1.4\t2"')"
lie "an export line ending in LF alone" ci-export-shape 'sed -i "2s/\r\$//" "$1"'
lie "an export line whose firmware starts with = unguarded" export_firmware "$(cell2 '$5 = "=1+1"')"
lie "an export line whose firmware has a guard it does not need" export_firmware \
	"$(cell2 '$5 = "\0471.4.2"')"
unchanged "... these four"
# the stream counts only when consign export exits 0: every line sent, each
# passing every check, and then a failure or a rejection imports nothing
run env PGUSER=ci PGDATABASE=registry CONSIGN="$T/liar" LIE=: LIE_EXIT=3 "$JOB" "$T/r3.zip"
checkx "an export that sends every line and then fails (exit 3): the run fails (exit $RC)" \
	'[ "$RC" -eq 3 ]'
run env PGUSER=ci PGDATABASE=registry CONSIGN="$T/liar" LIE=: LIE_EXIT=1 "$JOB" "$T/r3.zip"
checkx "an export that sends every line and then says rejected: the run fails (exit $RC), consign verify disagreeing" \
	'[ "$RC" -eq 3 ] && grep -q "consign verify did not" "$T/err"'
unchanged "... both"
# consign export -o a pipe, as the job runs it: each line as its record
# passes, the same bytes as -o a file; for a release that does not verify
# (what it wrote then counts for nothing), exit 1
mkfifo "$T/pipe"
a2=$(chain_of "$T/r2.zip")
timeout 60 cat "$T/pipe" >"$T/r3.piped" &
"$CONSIGN" export --policy "$P" --after "$a2" --format csv --json --force -o "$T/pipe" "$T/r3.zip" \
	>"$T/r3.pipe.json" 2>/dev/null
rc=$?
wait
"$CONSIGN" export --policy "$P" --after "$a2" --format csv "$T/r3.zip" -o "$T/r3.csv" 2>/dev/null
checkx "consign export -o a pipe (exit $rc): the same bytes as -o a file, 3 exported" \
	'[ "$rc" -eq 0 ] && cmp -s "$T/r3.piped" "$T/r3.csv" && [ "$(jq .exported "$T/r3.pipe.json")" = 3 ]'
timeout 60 cat "$T/pipe" >/dev/null &
"$CONSIGN" export --policy "$P" --after "$a2" --format csv --force -o "$T/pipe" "$T/r1.zip" 2>/dev/null
rc=$?
wait
check "... release 1 replayed after release 2, into a pipe: exit 1 ($rc)" [ "$rc" -eq 1 ]

# ---- a crash in the middle: nothing changes ---------------------------------------

# a device already in the registry (entered by another path) collides with
# release 3: the insert fails after the order and release rows were written
adm "INSERT INTO consign.devices (serial, public_key, hardware_id, firmware, batch, order_digest,
	release_seq, release_digest) SELECT 1201, '\\x$(printf '%064d' 7)', '\\x07', 'manual', 'B42',
	order_digest, seq, digest FROM consign.releases WHERE seq = 1" >/dev/null
snap >"$T/snap"
expect_reason 1 devices_pkey "release 3 with a serial already in the registry: refused" \
	job "$T/r3.zip"
check "... the message names the serial" grep -q "(serial)=(1201) already exists" "$T/err"
unchanged "... a unique violation after the first writes"
adm "DELETE FROM consign.devices WHERE serial = 1201" >/dev/null
snap >"$T/snap"

# the job's session blocked at the device insert (a lock held here), having
# written the order count and the release row; then its psql is killed
locked_at_insert() {
	wait_sql "SELECT EXISTS (SELECT 1 FROM pg_stat_activity a JOIN pg_locks l USING (pid)
		WHERE a.application_name = 'consign-ci' AND a.wait_event_type = 'Lock'
		AND l.relation = 'consign.releases'::regclass AND l.mode = 'RowExclusiveLock' AND l.granted)"
}
# child_psql PID: the psql that PID started (from /proc: no procps needed)
child_psql() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(cut -d' ' -f4 "$p/stat" 2>/dev/null)" = "$1" ] &&
			[ "$(cat "$p/comm" 2>/dev/null)" = psql ] && echo "${p#/proc/}"
	done
}
hold "LOCK TABLE consign.devices IN EXCLUSIVE MODE" || notok "lock"
PGUSER=ci PGDATABASE=registry CONSIGN=$CONSIGN "$JOB" "$T/r3.zip" >"$T/out" 2>"$T/err" &
jobpid=$!
if locked_at_insert; then
	ok "release 3's run is inside its transaction, past its first writes, waiting at the insert"
	kill -KILL $(child_psql "$jobpid")
	wait "$jobpid"
	RC=$?
	checkx "... psql killed: the run fails (exit $RC) and says the session ended" \
		'[ "$RC" -eq 3 ] && grep -q "session ended" "$T/err"'
else
	notok "release 3's run never reached the insert: $(cat "$T/err")"
	kill "$jobpid"
	wait "$jobpid"
fi
unhold
no_job_session || notok "the killed run's session is still there"
unchanged "... psql killed in the middle"

# the same, but the whole job (shell, psql and all) killed, as a runner would
hold "LOCK TABLE consign.devices IN EXCLUSIVE MODE" || notok "lock"
setsid env PGUSER=ci PGDATABASE=registry CONSIGN="$CONSIGN" "$JOB" "$T/r3.zip" >/dev/null 2>&1 &
jobpid=$!
if locked_at_insert; then
	kill -KILL -- "-$jobpid"
	wait "$jobpid" 2>/dev/null
	ok "release 3's run killed with SIGKILL at the insert"
else
	notok "release 3's second run never reached the insert"
	kill -- "-$jobpid"
fi
unhold
no_job_session || notok "the killed run's session is still there"
unchanged "... the whole job killed in the middle"

expect 0 "release 3 then imports" job "$T/r3.zip"
expect 0 "release 4 imports" job "$T/r4.zip"
check "... 13 devices, the chain at release 4" \
	[ "$(ndev) $(chain_db)" = "13 $(chain_of "$T/r4.zip")" ]
snap >"$T/snap"

# ---- a policy rotation ------------------------------------------------------------------

expect_reason 1 release-policy "release 5, made under policy v2, before the rotation: refused" \
	job "$T/r5.zip"
unchanged "... another policy"
expect_reason 1 policy-threshold-previous \
	"a rotation signed by 1 of 2 custodians of the pinned policy: refused" \
	job --rotate-policy "$T/p2-thin.cbor"
expect_reason 1 policy-deployment "a rotation to another deployment's policy: refused" \
	job --rotate-policy "$G/policy.cbor"
unchanged "... both rotations"
expect 0 "the rotation to v2, signed by 2 of v1 and 2 of v2: accepted" job --rotate-policy "$P2"
p2dig=$("$CONSIGN" inspect --json "$P2" | jq -r .digest)
check "... v2 is pinned, it names v1, the chain has not moved" \
	[ "$(q "SELECT s.policy_version || ' ' || encode(s.policy_digest, 'hex') || ' '
		|| encode(p.previous, 'hex') || ' ' || s.last_seq FROM consign.trust_state s
		JOIN consign.policies p ON p.digest = s.policy_digest")" = "2 $p2dig $pdig 4" ]
check "... the stored v2 is the file byte for byte" \
	[ "$(q "SELECT encode(sha256(policy), 'hex') FROM consign.policies WHERE version = 2")" = \
		"$(sha256sum <"$P2" | cut -c1-64)" ]
snap >"$T/snap"
expect_reason 0 "pinned already" "the same rotation again is a no-op" job --rotate-policy "$P2"
expect_reason 1 policy-rollback "back to v1: refused" job --rotate-policy "$P"
unchanged "... the no-op and the rollback"

expect 0 "release 5 under v2 now imports" job "$T/r5.zip"
"$CONSIGN" export --policy "$P2" --after "$(chain_of "$T/r4.zip")" --format jsonl "$T/r5.zip" \
	-o "$T/r5.jsonl" 2>/dev/null
# (by text: jq 1.6 reads numbers as doubles)
k=$(grep -o '^{"serial":18446744073709551614,[^}]*' "$T/r5.jsonl" |
	sed -n 's/.*"public_key_hex":"\([0-9a-f]*\)".*/\1/p')
kdb=$(q "SELECT encode(public_key, 'hex') FROM consign.devices WHERE serial = 18446744073709551614")
checkx "... serial 18446744073709551614 (2^64 - 2) is stored exactly, with its key" \
	'[ -n "$k" ] && [ "$kdb" = "$k" ]'
check "... and 2^64 - 3 too" \
	[ "$(q "SELECT count(*) FROM consign.devices WHERE serial = 18446744073709551613")" = 1 ]

# ---- two runs at once ---------------------------------------------------------------------

hold "SELECT 1 FROM consign.trust_state FOR UPDATE" || notok "lock"
job6() { PGUSER=ci PGDATABASE=registry CONSIGN=$CONSIGN "$JOB" "$T/r6.zip" >"$T/out$1" 2>"$T/err$1"; }
job6 a &
ja=$!
job6 b &
jb=$!
check "two runs of release 6 at once: both wait for the state row" \
	wait_sql "SELECT count(*) = 2 FROM pg_stat_activity WHERE application_name = 'consign-ci'
		AND wait_event_type = 'Lock'"
unhold
wait "$ja"
ra=$?
wait "$jb"
rb=$?
checkx "... both succeed (exit $ra, $rb): one imports, the other finds it imported" \
	'[ "$ra" -eq 0 ] && [ "$rb" -eq 0 ] && [ "$(cat "$T/outa" "$T/outb" | grep -c "imported 2 devices")" -eq 1 ] && [ "$(cat "$T/outa" "$T/outb" | grep -c "already imported")" -eq 1 ]'
check "... 17 devices, the chain at release 6, order B43 at 4 of 4" \
	[ "$(ndev) $(chain_db) $(q "SELECT imported || '/' || quantity FROM consign.orders WHERE batch = 'B43'")" = \
		"17 $(chain_of "$T/r6.zip") 4/4" ]
snap >"$T/snap"

# ---- "released before" exclusions against the registry; withdrawals; a copy --------
# order B44 under v2; r7 imports serials 2000-2002; r8's batch repeats serial
# 2002, which the ledger excludes as released in 7 (true: imported); an office
# insider's r9x excludes a good record as released in 7 (false: refused by the
# registry, though the custodians signed it without the earlier releases); r9
# withdrawn by the custodians is refused; a copy of r8 with other batch entries
# is not "already imported".
"$CONSIGN" order create --policy "$P2" --batch B44 --product "Sensor v4" --serials 2000-2999 \
	--quantity 20 --station "$F/station.pub" -o "$T/order3.cbor" >/dev/null &&
	sign_as "$F" "$T/order3.cbor" bob --policy "$P2" && sign_as "$F" "$T/order3.cbor" dave --policy "$P2" ||
	notok "order 3"
mkrel3() { # N SEED FIRST-SERIAL COUNT [CREATE-OPTIONS]
	"$TOOLS/mkbatch" --order "$T/order3.cbor" --key "$F/station.key" \
		--passphrase-file "$F/station.pass" --count "$4" --seed "$2" --first-serial "$3" \
		-o "$T/b$1.zip" && "$CONSIGN" release create --policy "$P2" --ledger "$F/L" \
		"${@:5}" "$T/b$1.zip" -o "$T/r$1.zip" >/dev/null &&
		sign_as "$F" "$T/r$1.zip" bob --policy "$P2" && sign_as "$F" "$T/r$1.zip" dave --policy "$P2"
}
mkrel3 7 7 2000 3 && "$CONSIGN" ledger --ledger "$F/L" add "$T/r7.zip" >/dev/null || notok "release 7"
expect 0 "release 7 (order B44) imports" job "$T/r7.zip"
# serial 2002 again, with another key and hardware id (seed 8)
mkrel3 8 8 2002 3 --exclude-refused && "$CONSIGN" ledger --ledger "$F/L" add "$T/r8.zip" >/dev/null ||
	notok "release 8"
checkx "release 8 excludes serial 2002 as released in release 7" \
	'[ "$("$CONSIGN" inspect --json "$T/r8.zip" | jq -c "[.excluded[] | [.serial, .reason, .released_in]]")" = "[[2002,\"record-released-serial\",7]]" ]'
expect 0 "release 8 imports: the registry holds serial 2002 from release 7" job "$T/r8.zip"
checkx "... its 2 devices, the chain at release 8" '[ "$(ndev) $(chain_db)" = "22 $(chain_of "$T/r8.zip")" ]'
snap >"$T/snap"
mkrel3 9 9 2100 3 || notok "release 9"
"$TOOLS/relsig" "$F/office.key" "$F/office.pass" "$T/r9.zip" "$T/r9x.zip" exclude 1 \
	record-released-key 7 && sign_as "$F" "$T/r9x.zip" bob --policy "$P2" &&
	sign_as "$F" "$T/r9x.zip" dave --policy "$P2" || notok "r9x: a false released-before exclusion"
expect_reason 1 release-exclusions "a false \"released before\" exclusion, M-signed, is refused by the registry" \
	job "$T/r9x.zip"
unchanged "... and nothing changed"
"$CONSIGN" ledger --ledger "$F/L" withdraw 9 -o "$T/w9.cbor" >/dev/null &&
	sign_as "$F" "$T/w9.cbor" bob --policy "$P2" && cp "$T/w9.cbor" "$T/w9-one.cbor" &&
	sign_as "$F" "$T/w9.cbor" dave --policy "$P2" || notok "withdrawal of 9"
expect_reason 1 withdrawal-threshold "a withdrawal with one signature is not recorded" \
	job --withdrawal "$T/w9-one.cbor"
expect_reason 0 "is withdrawn" "the withdrawal M custodians signed is recorded" job --withdrawal "$T/w9.cbor"
expect_reason 1 release-withdrawn "the withdrawn release 9, M-signed, is refused" job "$T/r9.zip"
python3 - "$T/r8.zip" "$T/b7.zip" "$T/r8-other.zip" <<'PY' || notok "r8-other"
import sys, zipfile
a, b = zipfile.ZipFile(sys.argv[1]), zipfile.ZipFile(sys.argv[2])
with zipfile.ZipFile(sys.argv[3], "w", zipfile.ZIP_STORED) as out:
    for n in ["header.cose", "order.cose", "records.cborseq", "release.cose"]:
        out.writestr(n, (b if n == "records.cborseq" else a).read(n))
PY
snap >"$T/snap"
expect_reason 1 REJECTED "release 8's release.cose over other records is not \"already imported\"" \
	job "$T/r8-other.zip"
unchanged "... and nothing changed"
expect_reason 0 "already imported" "the very release 8 again is" job "$T/r8.zip"

# ---- the schema's own rules, whoever writes -------------------------------------------------

refused() { # DESC SQL: as the job's role, refused by a constraint or trigger
	if psql -X -q -U ci -d registry -v ON_ERROR_STOP=1 -c "$2" >/dev/null 2>"$T/sqlerr"; then
		notok "schema: $1 was accepted"
	elif grep -q -E 'syntax error|permission denied|does not exist' "$T/sqlerr"; then
		# a statement that never reached the rules proves nothing
		notok "schema: $1: refused for another reason: $(head -c 300 "$T/sqlerr" | tr '\n' ' ')"
	else
		ok "schema: $1 is refused ($(grep -o 'constraint "[a-z_]*"\|ci-[a-z-]*' "$T/sqlerr" | head -1))"
	fi
}
dev() { # SERIAL KEY-HEX HWID-HEX FIRMWARE BATCH
	echo "INSERT INTO consign.devices (serial, public_key, hardware_id, firmware, batch, order_digest,
		release_seq, release_digest) SELECT $1, '\\x$2', '\\x$3', '$4', '$5', order_digest, seq,
		digest FROM consign.releases WHERE seq = 1"
}
kk=$(printf '%064d' 5)
refused "a device key of 31 bytes" "$(dev 5000 "${kk:2}" 01 1.0 B42)"
refused "a serial below 0" "$(dev -1 "$kk" 01 1.0 B42)"
refused "a serial of 2^64" "$(dev 18446744073709551616 "$kk" 01 1.0 B42)"
refused "an empty hardware id" "$(dev 5000 "$kk" '' 1.0 B42)"
refused "a firmware version with a tab" "$(dev 5000 "$kk" 01 "1.0$(printf '\t')x" B42)"
refused "a firmware version with a non-ASCII letter" "$(dev 5000 "$kk" 01 "1.0é" B42)"
refused "a batch id with a space" "$(dev 5000 "$kk" 01 1.0 'B 42')"
refused "a device key already registered" "$(dev 5000 "$k1000" 01 1.0 B42)"
refused "an order count above its quantity" \
	"UPDATE consign.orders SET imported = quantity + 1 WHERE batch = 'B43'"
refused "the chain moved back" "UPDATE consign.trust_state SET last_seq = last_seq - 1"
refused "the chain moved to a release not recorded" \
	"UPDATE consign.trust_state SET last_seq = last_seq + 1, last_digest = '\\x$(printf '%064d' 1)'"
refused "another policy pinned without a rotation" \
	"UPDATE consign.trust_state SET policy_version = 1, policy_digest = '\\x$pdig'"
refused "a second trust state row" \
	"INSERT INTO consign.trust_state (id, policy_version, policy_digest) VALUES (false, 1, '\\x$pdig')"
refused "the trust state deleted" "DELETE FROM consign.trust_state"
refused "a pinned policy rewritten" "UPDATE consign.policies SET policy = '\\x00'"
refused "a release deleted from the history" "DELETE FROM consign.releases WHERE seq = 6"
refused "the release history truncated" "TRUNCATE consign.releases CASCADE"
# a device names a recorded release, with that release's order and batch
refused "a device naming a release that is not recorded" \
	"$(dev 5000 "$kk" 01 1.0 B42 | sed 's/order_digest, seq,/order_digest, 99,/')"
refused "a device with another batch than its release's" "$(dev 5000 "$kk" 01 1.0 B43)"
refused "a device moved to a release that is not recorded" \
	"UPDATE consign.devices SET release_seq = 99 WHERE serial = 1000"
unchanged "... all of them"

# ---- one chip, one record: the chips' PSA instance ids ------------------------------------
# Under an order that requires firmware evidence (a TEST maker's chips,
# tests/tools/mkattest), each device is stored with its chip's instance id,
# unique; in a registry of its own. wr1: six chips; wr2 reuses those six for
# new serials, keys and hardware ids (records 0-5, which the office excludes
# as record-released-instance in release 1) and brings chips 6 and 7; wr3
# reuses all eight (0-5 released in 1, 6-7 in 2) and brings 8 and 9. An
# insider's wr3x adds record 8, a new chip, as released in 1; wr3y claims
# record 6 (chip 6, which release 2 holds) as released in 1.
MAKER="ci_postgres TEST maker"
W=$T/w
fwpol=$W/policy.cbor
mkdir -p "$T/pki" "$W" && "$TOOLS/mkattest" pki "$MAKER" "$T/pki" >/dev/null &&
	"$TOOLS/mkattest" reference >"$T/refs" && cp "$F"/*.key "$F"/*.pub "$F"/*.pass "$W/" &&
	"$CONSIGN" policy create --threshold 2 --custodian "$W/alice.pub" --custodian "$W/bob.pub" \
		--custodian "$W/carol.pub" --office "$W/office.pub" \
		--attestation-root "TEST maker=$T/pki/root.der" -o "$fwpol" >/dev/null &&
	sign_as "$W" "$fwpol" alice && sign_as "$W" "$fwpol" bob &&
	"$CONSIGN" order create --policy "$fwpol" --batch BFW --product "Sensor v2" \
		--serials 1000-1999 --quantity 40 --station "$W/station.pub" --evidence firmware \
		--firmware-reference "$T/refs" -o "$W/order.cbor" >/dev/null &&
	sign_as "$W" "$W/order.cbor" alice --policy "$fwpol" &&
	sign_as "$W" "$W/order.cbor" bob --policy "$fwpol" &&
	"$CONSIGN" ledger --ledger "$W/L" init --policy "$fwpol" >/dev/null ||
	notok "a policy pinning the TEST maker, an order requiring firmware evidence"
office_mkb "$W" --count 6 --evidence firmware --maker "$MAKER" -o "$T/wb1.zip" &&
	office_release "$W" "$T/wb1.zip" "$T/wr1.zip" &&
	"$CONSIGN" ledger --ledger "$W/L" add "$T/wr1.zip" >/dev/null || notok "release 1: six chips"
office_mkb "$W" --count 8 --seed 7 --first-serial 1100 --evidence firmware --maker "$MAKER" \
	-o "$T/wb2.zip" && office_release "$W" "$T/wb2.zip" "$T/wr2.zip" --exclude-refused &&
	"$CONSIGN" ledger --ledger "$W/L" add "$T/wr2.zip" >/dev/null ||
	notok "release 2: the six chips again, and two new ones"
office_mkb "$W" --count 10 --seed 9 --first-serial 1200 --evidence firmware --maker "$MAKER" \
	-o "$T/wb3.zip" && office_draft "$W" "$T/wb3.zip" "$T/wr3.zip" --exclude-refused &&
	"$TOOLS/relsig" "$W/office.key" "$W/office.pass" "$T/wr3.zip" "$T/wr3x.zip" \
		exclude 8 record-released-instance 1 &&
	sign_as "$W" "$T/wr3x.zip" alice --policy "$fwpol" && sign_as "$W" "$T/wr3x.zip" bob --policy "$fwpol" &&
	"$TOOLS/relsig" "$W/office.key" "$W/office.pass" "$T/wr3.zip" "$T/wr3c.zip" clear &&
	"$TOOLS/relsig" "$W/office.key" "$W/office.pass" "$T/wr3c.zip" "$T/wr3y.zip" \
		exclude 6 record-released-instance 1 &&
	sign_as "$W" "$T/wr3y.zip" alice --policy "$fwpol" && sign_as "$W" "$T/wr3y.zip" bob --policy "$fwpol" &&
	sign_as "$W" "$T/wr3.zip" alice --policy "$fwpol" && sign_as "$W" "$T/wr3.zip" bob --policy "$fwpol" ||
	notok "release 3, and two with a false record-released-instance"
checkx "release 2 excludes records 0 to 5 as record-released-instance in release 1" \
	'[ "$("$CONSIGN" inspect --json "$T/wr2.zip" | jq -r "[.excluded[] | \"\(.index):\(.reason):\(.released_in)\"] | join(\" \")")" = "$(seq -s " " -f "%g:record-released-instance:1" 0 5)" ]'

psql -X -q -v ON_ERROR_STOP=1 -U ciadmin -d postgres -c "CREATE DATABASE registry_fw OWNER ci" \
	>/dev/null || notok "a registry for the firmware order"
jobf() { env PGUSER=ci PGDATABASE=registry_fw CONSIGN="$CONSIGN" "$JOB" "$@"; }
qf() { psql -X -q -A -t -v ON_ERROR_STOP=1 -U ciadmin -d registry_fw -c "$1" 2>&1; }
snapf() {
	psql -X -q -A -t -v ON_ERROR_STOP=1 -U ciadmin -d registry_fw \
		-c "COPY (SELECT * FROM consign.trust_state) TO STDOUT" \
		-c "COPY (SELECT * FROM consign.releases ORDER BY seq) TO STDOUT" \
		-c "COPY (SELECT * FROM consign.orders ORDER BY order_digest) TO STDOUT" \
		-c "COPY (SELECT * FROM consign.devices ORDER BY serial) TO STDOUT"
}
unchangedf() {
	snapf >"$T/snapf.now" 2>&1
	check "$1: the state is unchanged" cmp -s "$T/snapf" "$T/snapf.now"
}
# liedf DESC REASON ZIP SHELL-ON-$1: the job, its export rewritten, refuses
liedf() {
	run env PGUSER=ci PGDATABASE=registry_fw CONSIGN="$T/liar" LIE="$4" "$JOB" "$3"
	if [ "$RC" -eq 1 ] && grep -q -- "$2" "$T/err"; then
		ok "$1: refused ($2)"
	else
		notok "$1: (exit $RC, want 1 with $2): $(head -c 400 "$T/err")"
	fi
}
# (id of the chip of record N of a release, from its export)
inst_of() { # RELEASE-JSONL SERIAL
	grep -o "^{\"serial\":$2,.*" "$1" | sed -n 's/.*"instance":"\([0-9a-f]*\)".*/\1/p'
}
jobf --init-policy "$fwpol" --trust-on-first-use >/dev/null || notok "the firmware registry pinned"
snapf >"$T/snapf"

"$CONSIGN" export --policy "$fwpol" --first --format jsonl "$T/wr1.zip" -o "$T/wr1.jsonl" 2>/dev/null
"$CONSIGN" export --policy "$fwpol" --first --format csv "$T/wr1.zip" -o "$T/wr1.csv" 2>/dev/null
checkx "consign export gives each of release 1's six devices its chip's instance id, six distinct" \
	'[ "$(jq -r .instance "$T/wr1.jsonl" | grep -c "^01[0-9a-f]\{64\}$") $(jq -r .instance "$T/wr1.jsonl" | sort -u | wc -l)" = "6 6" ]'
checkx "... the CSV's last column, the same ids" \
	'[ "$(head -1 "$T/wr1.csv")" = "$(printf "%s\r" "serial,public_key_hex,public_key_base64,hardware_id,firmware,batch,order,release_sequence,release_digest,algorithm,certificate,instance")" ] &&
	[ "$(tail -n +2 "$T/wr1.csv" | tr -d "\r" | awk -F, "{ print \$12 }")" = "$(jq -r .instance "$T/wr1.jsonl")" ]'
checkx "... each its chip's: the values release 2's exclusions of the same six chips name" \
	'[ "$("$CONSIGN" verify --policy "$fwpol" --after "$(chain_of "$T/wr1.zip")" --json "$T/wr2.zip" |
		jq -r ".excluded[].value")" = "$(jq -r .instance "$T/wr1.jsonl")" ]'

# the export's lines checked as they are copied: an instance id is empty or
# 01 and 64 lower-case hex digits
liedf "an export line whose instance id is not of type RAND (02)" export_instance "$T/wr1.zip" \
	"$(cell2 'sub(/^01/, "02", $12)')"
liedf "an export line whose instance id is a byte short" export_instance "$T/wr1.zip" \
	"$(cell2 '$12 = substr($12, 3)')"
liedf "an export line whose instance id is in capitals" export_instance "$T/wr1.zip" \
	"$(cell2 '$12 = toupper($12)')"
# the order requires firmware evidence: every device has its chip's id (an
# empty cell would slip past the one-chip index)
liedf "an export line of the firmware order with no instance id" export_evidence "$T/wr1.zip" \
	"$(cell2 '$12 = "\r"')"
# one chip, one device: two lines with the same chip, the unique index
liedf "an export whose devices 1000 and 1001 share a chip" devices_instance_id_key "$T/wr1.zip" \
	'i=$(sed -n 2p "$1" | cut -d, -f12); sed -i "3s/,[^,]*\$/,$i/" "$1"'
unchangedf "... all five"

expect 0 "release 1 of the firmware order imports" jobf "$T/wr1.zip"
checkx "... each device with its chip's instance id, as the export gives it" \
	'[ "$(qf "SELECT string_agg(serial || '"' '"' || encode(instance_id, '"'hex'"'), E'"'\\n'"' ORDER BY serial) FROM consign.devices")" = "$(jq -r "\"\(.serial) \(.instance)\"" "$T/wr1.jsonl")" ]'
snapf >"$T/snapf"

a1=$(chain_of "$T/wr1.zip")
"$CONSIGN" export --policy "$fwpol" --after "$a1" --format jsonl "$T/wr2.zip" -o "$T/wr2.jsonl" 2>/dev/null
i1000=$(inst_of "$T/wr1.jsonl" 1000)
# a device whose chip the registry holds already: the unique index refuses
# it, after the order's and the release's rows were written
liedf "release 2's device 1106 given chip 0's instance id, registered for 1000" \
	devices_instance_id_key "$T/wr2.zip" "$(cell2 "\$12 = \"$i1000\\r\"")"
unchangedf "... a chip registered twice"
expect 0 "release 2, excluding six records as record-released-instance in release 1, imports" \
	jobf "$T/wr2.zip"
check "... its two devices, each with its chip" \
	[ "$(qf "SELECT count(*) || ' ' || count(instance_id) FROM consign.devices WHERE release_seq = 2")" = "2 2" ]
checkx "... device 1106 has chip 6 (new: not among release 1's)" \
	'[ -n "$(inst_of "$T/wr2.jsonl" 1106)" ] && [ "$(qf "SELECT encode(instance_id, '"'hex'"') FROM consign.devices WHERE serial = 1106")" = "$(inst_of "$T/wr2.jsonl" 1106)" ] &&
	! grep -q "$(inst_of "$T/wr2.jsonl" 1106)" "$T/wr1.jsonl"'
snapf >"$T/snapf"

a2=$(chain_of "$T/wr2.zip")
expect_reason 1 release-exclusions \
	"an insider's release 3 excluding a new chip as released in release 1, M-signed: refused" \
	jobf "$T/wr3x.zip"
check "... naming record 8 and the reason" \
	grep -q "record 8 is excluded as record-released-instance in release 1" "$T/err"
expect_reason 1 release-exclusions \
	"one excluding chip 6, which release 2 holds, as released in release 1: refused" \
	jobf "$T/wr3y.zip"
check "... naming record 6" grep -q "record 6 is excluded as record-released-instance in release 1" "$T/err"
unchangedf "... both"
expect 0 "the genuine release 3 (chips 0-5 released in 1, 6-7 in 2) imports" jobf "$T/wr3.zip"
checkx "... 10 devices, 10 chips, the chain at release 3" \
	'[ "$(qf "SELECT count(*) || '"' '"' || count(DISTINCT instance_id) FROM consign.devices") $(qf "SELECT last_seq FROM consign.trust_state")" = "10 10 3" ]'

# the registry's own rules, whoever writes
devf() { # SERIAL INSTANCE-HEX: a device of release 1 with that instance id
	echo "INSERT INTO consign.devices (serial, public_key, hardware_id, firmware, batch, order_digest,
		release_seq, release_digest, instance_id) SELECT $1, '\\x$(printf '%064d' "$1")', '\\x$1',
		'1.0', batch, order_digest, seq, digest, '\\x$2' FROM consign.releases WHERE seq = 1"
}
refusedf() { # DESC CONSTRAINT SQL
	if psql -X -q -U ci -d registry_fw -v ON_ERROR_STOP=1 -c "$3" >/dev/null 2>"$T/sqlerr"; then
		notok "schema: $1 was accepted"
	elif grep -q "\"$2\"" "$T/sqlerr"; then
		ok "schema: $1 is refused ($2)"
	else
		notok "schema: $1: refused for another reason: $(head -c 300 "$T/sqlerr" | tr '\n' ' ')"
	fi
}
snapf >"$T/snapf"
refusedf "a device whose chip is registered already" devices_instance_id_key "$(devf 5000 "$i1000")"
refusedf "an instance id of 32 bytes" devices_instance_id_shape "$(devf 5000 "${i1000:2}")"
refusedf "an instance id not of type RAND" devices_instance_id_shape "$(devf 5000 "02${i1000:2}")"
psql -X -q -U ci -d registry_fw -v ON_ERROR_STOP=1 -c "$(devf 5000 '' | sed "s/'\\\\x'/NULL/")" \
	-c "$(devf 5001 '' | sed "s/'\\\\x'/NULL/")" >/dev/null 2>"$T/sqlerr"
check "... two devices without one (NULL) are no collision" [ "$(qf "SELECT count(*) FROM consign.devices WHERE serial >= 5000 AND instance_id IS NULL")" = 2 ]

# ---- secure elements: each device's own certificate ----------------------------------------
# An order that requires secure-element evidence (the same TEST maker): each
# device is registered with its certificate, the export's, byte for byte;
# an export that leaves one out is refused. A registry of its own.
mkdir -p "$T/s" && cp "$W"/*.key "$W"/*.pub "$W"/*.pass "$fwpol" "$T/s/" &&
	"$CONSIGN" order create --policy "$fwpol" --batch BSE --product "Sensor v2" \
		--serials 1000-1999 --quantity 10 --station "$W/station.pub" --evidence secure-element \
		-o "$T/s/order.cbor" >/dev/null &&
	sign_as "$T/s" "$T/s/order.cbor" alice --policy "$fwpol" &&
	sign_as "$T/s" "$T/s/order.cbor" bob --policy "$fwpol" &&
	"$CONSIGN" ledger --ledger "$T/s/L" init --policy "$fwpol" >/dev/null &&
	office_mkb "$T/s" --count 4 --evidence se --maker "$MAKER" -o "$T/sb1.zip" &&
	office_release "$T/s" "$T/sb1.zip" "$T/sr1.zip" &&
	psql -X -q -v ON_ERROR_STOP=1 -U ciadmin -d postgres -c "CREATE DATABASE registry_se OWNER ci" \
		>/dev/null || notok "a release of four secure-element devices, a registry for them"
jobs_() { env PGUSER=ci PGDATABASE=registry_se CONSIGN="$CONSIGN" "$JOB" "$@"; }
qs() { psql -X -q -A -t -v ON_ERROR_STOP=1 -U ciadmin -d registry_se -c "$1" 2>&1; }
jobs_ --init-policy "$fwpol" --trust-on-first-use >/dev/null || notok "the secure-element registry pinned"
run env PGUSER=ci PGDATABASE=registry_se CONSIGN="$T/liar" LIE="$(cell2 '$11 = ""')" "$JOB" "$T/sr1.zip"
checkx "an export line of the secure-element order with no certificate: refused (export_evidence)" \
	'[ "$RC" -eq 1 ] && grep -q export_evidence "$T/err" && [ "$(qs "SELECT count(*) FROM consign.devices")" = 0 ]'
expect 0 "release 1 of the secure-element order imports" jobs_ "$T/sr1.zip"
"$CONSIGN" export --policy "$fwpol" --first --format jsonl "$T/sr1.zip" -o "$T/sr1.jsonl" 2>/dev/null
checkx "... each device ES256 with its own certificate, the export's bytes, four distinct" \
	'[ "$(qs "SELECT string_agg(serial || '"' '"' || algorithm || '"' '"' || encode(certificate, '"'base64'"'), E'"'\n'"' ORDER BY serial) FROM consign.devices" | tr -d "\n")" = "$(jq -r "\"\(.serial) \(.algorithm) \(.certificate)\"" "$T/sr1.jsonl" | tr -d "\n")" ] &&
	[ "$(qs "SELECT count(DISTINCT certificate) || '"' '"' || count(instance_id) FROM consign.devices")" = "4 0" ]'
