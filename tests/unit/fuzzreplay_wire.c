/* Replays tests/fuzz/regress/wire/ through the wire fuzz harness. */
#define FUZZ_NAME "wire"
#include "../fuzz/wire.c"
#include "../fuzz/replay.h"
