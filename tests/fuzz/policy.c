/* Fuzzes cs_policy_decode (see artifact.h for the invariants). */
#include "artifact.h"

FUZZ_ARTIFACT(CS_KIND_POLICY, cs_policy, cs_policy_decode, cs_policy_encode)
