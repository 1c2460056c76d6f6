/* Replays tests/fuzz/regress/cose/ through the cose fuzz harness. */
#define FUZZ_NAME "cose"
#include "../fuzz/cose.c"
#include "../fuzz/replay.h"
