# consign policy anchor: the trust anchor of a signed policy as a C header.
# It is stable, names the policy's digest, and a firmware-like program built
# with it and the device agent (no simulator, no run-time policy file) takes
# the policy's order and refuses another deployment's.
. "$(dirname "$0")/../lib.sh"
F=$T/f
fixture "$F" 5 1000-1999 || { notok "fixture"; exit 1; }
expect 0 "policy anchor writes the header" "$CONSIGN" policy anchor --policy "$F/policy.cbor" -o "$T/anchor.h"
expect 0 "written again" "$CONSIGN" policy anchor --policy "$F/policy.cbor" -o "$T/anchor2.h"
check "the header is the same byte for byte each time" cmp -s "$T/anchor.h" "$T/anchor2.h"
digest=$("$CONSIGN" inspect --json "$F/policy.cbor" | jq -r .digest)
check "the header names the policy's digest" grep -q "digest $digest" "$T/anchor.h"
check "and defines consign_anchor" grep -q "static const cs_dev_anchor consign_anchor = {" "$T/anchor.h"
check "with the threshold and the custodians" grep -q ".threshold = 2," "$T/anchor.h"
check "naming them" grep -q "2 of 3 custodians: alice, bob, carol" "$T/anchor.h"
"$CONSIGN" policy create --threshold 2 --custodian "$F/alice.pub" --custodian "$F/bob.pub" \
	--office "$F/office.pub" -o "$T/draft.cbor" >/dev/null
expect_reason 1 policy-threshold "an unsigned policy gives no anchor" \
	"$CONSIGN" policy anchor --policy "$T/draft.cbor" -o "$T/bad.h"
check "and no header is written" [ ! -e "$T/bad.h" ]
expect 2 "policy anchor without -o is a usage error" "$CONSIGN" policy anchor --policy "$F/policy.cbor"

# a firmware: the agent, the generated anchor, an in-memory HAL
cat >"$T/fw.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "anchor.h"
static uint8_t flash[CS_DEV_STORE_MAX];
static size_t flash_len;
static int rnd(void *c, uint8_t *o, size_t n) { (void)c; randombytes_buf(o, n); return 0; }
static int rd(void *c, uint8_t *b, size_t cap, size_t *n)
{ (void)c; if (flash_len > cap) return -1; memcpy(b, flash, flash_len); *n = flash_len; return 0; }
static int wr(void *c, const uint8_t *b, size_t n) { (void)c; memcpy(flash, b, n); flash_len = n; return 0; }
static int hw(void *c, uint8_t o[CS_HWID_MAX], size_t *n) { (void)c; memcpy(o, "fw-test", 7); *n = 7; return 0; }
static int sn(void *c, uint64_t *s) { (void)c; *s = 1001; return 0; }
static int sec(void *c, cs_dev_security *s) { (void)c; s->debug_locked = 1; s->secure_boot = 1; return 0; }
static const cs_dev_hal hal = {NULL, rnd, rd, wr, hw, sn, sec, "fw-anchor-test"};
static cs_dev dev;
int main(int argc, char **argv)
{
	static uint8_t order[CS_DEV_ENVELOPE_MAX];
	const uint8_t *rec;
	size_t n, rn;
	cs_err e;
	FILE *f;

	if (argc != 3 || sodium_init() < 0 || (f = fopen(argv[1], "rb")) == NULL)
		return 2;
	n = fread(order, 1, sizeof order, f);
	fclose(f);
	cs_dev_init(&dev, &hal, &consign_anchor);
	cs_err_clear(&e);
	if (cs_dev_provision(&dev, order, n, NULL, NULL, 0, &rec, &rn, &e) != CS_OK) {
		printf("refused %s\n", e.reason);
		return 1;
	}
	if ((f = fopen(argv[2], "wb")) == NULL || fwrite(rec, 1, rn, f) != rn || fclose(f) != 0)
		return 2;
	printf("provisioned\n");
	return 0;
}
EOF
CCX=cc
FLAGS=""
case "$BUILD" in *clang*) CCX=clang ;; esac
if nm "$BUILD/libconsign.a" 2>/dev/null | grep -q __asan_; then
	CCX=clang
	FLAGS="-fsanitize=address,undefined"
fi
# shellcheck disable=SC2086
check "the firmware builds with the header (-Wall -Wextra -Werror)" \
	$CCX -std=gnu11 -Wall -Wextra -Werror $FLAGS -I"$ROOT/lib" -I"$T" -o "$T/fw" "$T/fw.c" \
	"$BUILD/libconsign.a" $(pkg-config --libs libsodium libzip libcbor sqlite3 libcrypto) -lpthread
run "$T/fw" "$F/order.cbor" "$T/rec.cose"
checkx "the firmware takes the policy's order" '[ "$RC" -eq 0 ] && has "$T/out" provisioned'
expect 0 "its record verifies" "$CONSIGN" verify "$T/rec.cose"
fixture "$T/g" 5 1000-1999 >/dev/null
run "$T/fw" "$T/g/order.cbor" "$T/rec2.cose"
checkx "the firmware refuses another deployment's order" \
	'[ "$RC" -eq 1 ] && has "$T/out" "refused order-deployment"'
