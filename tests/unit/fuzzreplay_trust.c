/* Replays tests/fuzz/regress/trust/ through the trust fuzz harness. */
#define FUZZ_NAME "trust"
#include "../fuzz/trust.c"
#include "../fuzz/replay.h"
