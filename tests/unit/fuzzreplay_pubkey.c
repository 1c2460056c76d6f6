/* Replays tests/fuzz/regress/pubkey/ through the pubkey fuzz harness. */
#define FUZZ_NAME "pubkey"
#include "../fuzz/pubkey.c"
#include "../fuzz/replay.h"
