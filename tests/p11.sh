# SoftHSM2, the real token of the token tests (source it after lib.sh):
# p11_setup gives each test its own token directory under $T, with
# SOFTHSM2_CONF pointed there and the module's path in P11_MODULE;
# p11_token makes a token. Tokens are made with softhsm2-util; keys in them
# with consign keygen --pkcs11, or tests/tools/p11tool for what consign refuses
# to do (a known seed, an extractable key).

p11_setup() {
	local m
	P11_MODULE=
	for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so; do
		[ -f "$m" ] && P11_MODULE=$m && break
	done
	if [ -z "$P11_MODULE" ] || ! command -v softhsm2-util >/dev/null; then
		notok "SoftHSM2 is not installed (make deps installs softhsm2)"
		exit 0
	fi
	mkdir -p "$T/softhsm/tokens"
	cat >"$T/softhsm/softhsm2.conf" <<CONF
directories.tokendir = $T/softhsm/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
	export SOFTHSM2_CONF=$T/softhsm/softhsm2.conf
	# what SoftHSM (through OpenSSL) and p11-kit keep until exit is theirs,
	# not consign's (make check-sanitize): LeakSanitizer looks past them, with
	# whole stacks (OpenSSL has no frame pointers) to see whose they are
	export LSAN_OPTIONS=${LSAN_OPTIONS:+$LSAN_OPTIONS:}fast_unwind_on_malloc=0:suppressions=$ROOT/tests/p11.supp
}

# p11_token LABEL: a new token labelled LABEL, its user PIN in $T/LABEL.pin.
p11_token() {
	local pin="pin of $1"
	printf '%s\n' "$pin" >"$T/$1.pin"
	chmod 600 "$T/$1.pin"
	softhsm2-util --init-token --free --label "$1" --so-pin "so-pin of $1" --pin "$pin" \
		>/dev/null
}

# p11_keygen TOKEN ID DIR: consign keygen --pkcs11 into TOKEN, DIR/ID.pub.
p11_keygen() {
	"$CONSIGN" keygen --pkcs11 "pkcs11:token=$1" --id "$2" -o "$3/$2" --module "$P11_MODULE" \
		--pin-file "$T/$1.pin" >/dev/null
}

# p11_sign TOKEN ID FILE [ARGS...]: ID's key in TOKEN signs FILE (--yes).
p11_sign() {
	local tok=$1 id=$2 file=$3
	shift 3
	"$CONSIGN" sign --key "pkcs11:token=$tok;object=$id" --module "$P11_MODULE" \
		--pin-file "$T/$tok.pin" --yes "$@" "$file" >/dev/null
}
