/* Replays tests/fuzz/regress/release/ through the release fuzz harness. */
#define FUZZ_NAME "release"
#include "../fuzz/release.c"
#include "../fuzz/replay.h"
