/* Replays tests/fuzz/regress/zip/ through the zip fuzz harness. */
#define FUZZ_NAME "zip"
#include "../fuzz/zip.c"
#include "../fuzz/replay.h"
