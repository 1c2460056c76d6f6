/* Replays tests/fuzz/regress/journal/ through the journal fuzz harness. */
#define FUZZ_NAME "journal"
#include "../fuzz/journal.c"
#include "../fuzz/replay.h"
