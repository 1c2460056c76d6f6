/* Replays tests/fuzz/regress/record/ through the record fuzz harness. */
#define FUZZ_NAME "record"
#include "../fuzz/record.c"
#include "../fuzz/replay.h"
