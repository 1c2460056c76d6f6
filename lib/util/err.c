/* The error record: first failure wins, message bounded. */
#include "util/err.h"

#include <stdarg.h>
#include <string.h>

#include "util/fmt.h"

int
cs_fail(cs_err *e, int status, const char *reason, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL || e->status != CS_OK)
		return status;
	e->status = status;
	cs_snprintf(e->reason, sizeof e->reason, "%s", reason);
	va_start(ap, fmt);
	cs_vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return status;
}

int
cs_err_take(cs_err *e, const cs_err *from)
{
	if (e != NULL && e->status == CS_OK)
		*e = *from;
	return from->status;
}

/* Only what is read: the verifier clears one for every record it decodes. */
void
cs_err_clear(cs_err *e)
{
	e->status = CS_OK;
	e->reason[0] = '\0';
	e->subject[0] = '\0';
	e->msg[0] = '\0';
}

void
cs_err_subject(cs_err *e, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL || e->status == CS_OK || e->subject[0] != '\0')
		return;
	va_start(ap, fmt);
	cs_vsnprintf(e->subject, sizeof e->subject, fmt, ap);
	va_end(ap);
}

void
cs_err_prefix(cs_err *e, const char *fmt, ...)
{
	char pre[CS_MSG_MAX], old[CS_MSG_MAX];
	va_list ap;

	if (e == NULL)
		return;
	va_start(ap, fmt);
	cs_vsnprintf(pre, sizeof pre, fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof old);
	cs_snprintf(e->msg, sizeof e->msg, "%s: %s", pre, old);
}
