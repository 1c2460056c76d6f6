/* Replays tests/fuzz/regress/withdrawal/ through the withdrawal fuzz harness. */
#define FUZZ_NAME "withdrawal"
#include "../fuzz/withdrawal.c"
#include "../fuzz/replay.h"
