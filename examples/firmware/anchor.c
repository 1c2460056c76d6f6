/* The trust anchor compiled into the image: FW_ANCHOR, a header written by
 * `consign policy anchor` (make firmware FW_ANCHOR=anchor.h). */
#include "device/agent.h"

#include FW_ANCHOR

const cs_dev_anchor *const fw_anchor = &consign_anchor;
