/* Replays tests/fuzz/regress/attest_chain/ through the attest_chain fuzz harness. */
#define FUZZ_NAME "attest_chain"
#include "../fuzz/attest_chain.c"
#include "../fuzz/replay.h"
