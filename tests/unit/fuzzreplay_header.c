/* Replays tests/fuzz/regress/header/ through the header fuzz harness. */
#define FUZZ_NAME "header"
#include "../fuzz/header.c"
#include "../fuzz/replay.h"
