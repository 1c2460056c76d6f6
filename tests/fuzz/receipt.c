/* Fuzzes cs_receipt_decode (see artifact.h for the invariants, and for those
 * of its list of refused records). */
#include "artifact.h"

FUZZ_ARTIFACT_EXCL(CS_KIND_RECEIPT, cs_receipt, cs_receipt_decode, cs_receipt_encode, refused)
