/* Replays tests/fuzz/regress/device/ through the device agent fuzz harness. */
#define FUZZ_NAME "device"
#include "../fuzz/device.c"
#include "../fuzz/replay.h"
