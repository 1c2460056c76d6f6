/* Fuzzes cs_header_decode (see artifact.h for the invariants). */
#include "artifact.h"

FUZZ_ARTIFACT(CS_KIND_HEADER, cs_header, cs_header_decode, cs_header_encode)
