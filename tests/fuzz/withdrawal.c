/* Fuzzes cs_withdrawal_decode (see artifact.h for the invariants). */
#include "artifact.h"

FUZZ_ARTIFACT(CS_KIND_WITHDRAWAL, cs_withdrawal, cs_withdrawal_decode, cs_withdrawal_encode)
