/* The one JSON report every --json prints (manifests/report.md), built with
 * jansson: verdict, kind, subject, problems, then the kind's own fields. */
#include "cmd.h"

#include <stdio.h>
#include <string.h>

#include "util/text.h"

json_t *
cmd_json_text(const char *s)
{
	char esc[CS_SUBJECT_MAX * 4];
	const char *p;

	/* text from an artifact is printable ASCII (the strict reader saw to
	 * it) and is given exactly; anything else (a name the user gave may
	 * hold any byte) as consign shows it, escaped */
	for (p = s; *p >= 0x20 && *p <= 0x7e; p++)
		;
	if (*p == '\0')
		return json_string(s);
	return json_string(cs_escapez(esc, sizeof esc, s));
}

json_t *
cmd_json_report(const char *verdict, const char *kind, const char *subject)
{
	json_t *r = json_object();

	json_object_set_new(r, "verdict", json_string(verdict));
	json_object_set_new(r, "kind", kind != NULL ? json_string(kind) : json_null());
	json_object_set_new(r, "subject", subject != NULL ? cmd_json_text(subject) : json_null());
	json_object_set_new(r, "problems", json_array());
	return r;
}

void
cmd_json_problem(json_t *r, const char *reason, const char *message, int64_t record)
{
	json_t *p = json_object();

	json_object_set_new(p, "reason", json_string(reason));
	json_object_set_new(p, "message", cmd_json_text(message));
	if (record >= 0)
		json_object_set_new(p, "record", json_integer(record));
	json_array_append_new(json_object_get(r, "problems"), p);
}

void
cmd_json_set_verdict(json_t *r, const char *verdict)
{
	json_object_set_new(r, "verdict", json_string(verdict));
}

int
cmd_json_print(json_t *r)
{
	int rc = json_dumpf(r, stdout, JSON_COMPACT | JSON_ENSURE_ASCII) == 0 && putchar('\n') != EOF
		     ? 0
		     : -1;

	fflush(stdout);
	json_decref(r);
	return rc;
}

void
cmd_json_error(const char *kind, const cs_err *e)
{
	json_t *r = cmd_json_report("error", kind, e->subject[0] ? e->subject : NULL);

	cmd_json_problem(r, e->reason[0] ? e->reason : "error", e->msg, -1);
	json_object_set_new(r, "exit", json_integer(e->status));
	cmd_json_print(r);
}

json_t *
cmd_json_hex(const uint8_t *p, size_t n)
{
	char hex[2 * 256 + 1];

	if (n > 256)
		n = 256;
	cs_hex(hex, p, n);
	return json_string(hex);
}

json_t *
cmd_json_u64(uint64_t v)
{
	/* jansson integers are signed 64-bit: larger serials are exact as strings */
	if (v > (uint64_t)INT64_MAX) {
		char d[24];

		snprintf(d, sizeof d, "%llu", (unsigned long long)v);
		return json_string(d);
	}
	return json_integer((json_int_t)v);
}
