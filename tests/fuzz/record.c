/* Fuzzes cs_record_decode (see artifact.h for the invariants). */
#include "artifact.h"

FUZZ_ARTIFACT(CS_KIND_RECORD, cs_record, cs_record_decode, cs_record_encode)
