/* Replays tests/fuzz/regress/policy/ through the policy fuzz harness. */
#define FUZZ_NAME "policy"
#include "../fuzz/policy.c"
#include "../fuzz/replay.h"
