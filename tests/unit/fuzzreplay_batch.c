/* Replays tests/fuzz/regress/batch/ through the batch fuzz harness. */
#define FUZZ_NAME "batch"
#include "../fuzz/batch.c"
#include "../fuzz/replay.h"
