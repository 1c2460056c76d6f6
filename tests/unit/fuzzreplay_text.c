/* Replays tests/fuzz/regress/text/ through the text fuzz harness. */
#define FUZZ_NAME "text"
#include "../fuzz/text.c"
#include "../fuzz/replay.h"
