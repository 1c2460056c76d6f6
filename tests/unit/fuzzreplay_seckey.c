/* Replays tests/fuzz/regress/seckey/ through the seckey fuzz harness. */
#define FUZZ_NAME "seckey"
#include "../fuzz/seckey.c"
#include "../fuzz/replay.h"
