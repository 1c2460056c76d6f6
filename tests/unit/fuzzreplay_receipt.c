/* Replays tests/fuzz/regress/receipt/ through the receipt fuzz harness. */
#define FUZZ_NAME "receipt"
#include "../fuzz/receipt.c"
#include "../fuzz/replay.h"
