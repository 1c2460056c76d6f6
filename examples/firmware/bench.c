/* A measuring image, not a product one (make firmware builds it beside the
 * firmware as consign-fw-bench.elf): the cost of each call of the crypto
 * port as the agent makes it, on the emulated board, printed on the
 * semihosting console; then the emulator stops. Run under QEMU's -icount
 * shift=0 the counts are instructions. */
#include <string.h>

#include "board.h"
#include "crypto/port.h"
#include "crypto/sig.h"
#include "semihost.h"
#include "util/fmt.h"

#define MSG_LEN 300 /* about a record's Sig_structure */

static uint8_t msg[1024];

static void
report(const char *what, uint64_t cost)
{
	char line[96];

	cs_fmt(line, sizeof line, "bench: %s %llu", what, (unsigned long long)cost);
	board_log(line);
}

int
main(void)
{
	uint8_t seed[CS_PORT_SEED_LEN], pk[CS_PORT_PK_LEN], sk[CS_PORT_SK_LEN];
	uint8_t sig[CS_PORT_SIG_LEN], kid[CS_KID_LEN], d[CS_DIGEST_LEN];
	uint64_t c;
	int ok;

	board_init();
	memset(seed, 0x5a, sizeof seed);
	memset(msg, 0xa5, sizeof msg);
	c = board_cycles();
	cs_port_keypair(pk, sk, seed);
	report("keypair", board_cycles() - c);
	c = board_cycles();
	cs_port_sign(sig, msg, MSG_LEN, sk);
	report("sign", board_cycles() - c);
	c = board_cycles();
	ok = cs_port_verify(sig, msg, MSG_LEN, pk) == 0;
	report("verify", board_cycles() - c);
	c = board_cycles();
	ok &= cs_port_point_valid(pk);
	report("point_valid", board_cycles() - c);
	c = board_cycles();
	cs_keyid(kid, pk);
	report("keyid", board_cycles() - c);
	c = board_cycles();
	cs_digest(d, "order", msg, sizeof msg);
	report("digest_1k", board_cycles() - c);
	c = board_cycles();
	report("nothing", board_cycles() - c);
	report("self_check", (uint64_t)ok);
	report("stack_peak", board_stack_peak());
	cs_port_wipe(sk, sizeof sk);
	sh_exit();
	return 0;
}
