/* Replays tests/fuzz/regress/attest_psa/ through the attest_psa fuzz harness. */
#define FUZZ_NAME "attest_psa"
#include "../fuzz/attest_psa.c"
#include "../fuzz/replay.h"
