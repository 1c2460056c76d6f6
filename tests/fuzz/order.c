/* Fuzzes cs_order_decode (see artifact.h for the invariants). */
#include "artifact.h"

FUZZ_ARTIFACT(CS_KIND_ORDER, cs_order, cs_order_decode, cs_order_encode)
