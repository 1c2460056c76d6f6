/* Replays tests/fuzz/regress/refs/ through the reference file fuzz harness. */
#define FUZZ_NAME "refs"
#include "../fuzz/refs.c"
#include "../fuzz/replay.h"
