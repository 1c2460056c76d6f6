/* Replays tests/fuzz/regress/order/ through the order fuzz harness. */
#define FUZZ_NAME "order"
#include "../fuzz/order.c"
#include "../fuzz/replay.h"
