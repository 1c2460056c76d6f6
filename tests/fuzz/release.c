/* Fuzzes cs_release_decode (see artifact.h for the invariants, and for those
 * of its list of excluded records). */
#include "artifact.h"

FUZZ_ARTIFACT_EXCL(CS_KIND_RELEASE, cs_release, cs_release_decode, cs_release_encode, excluded)
