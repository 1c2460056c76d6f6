/* Replays tests/fuzz/regress/cbor/ through the cbor fuzz harness. */
#define FUZZ_NAME "cbor"
#include "../fuzz/cbor.c"
#include "../fuzz/replay.h"
