/* Making untrusted text safe to show: on a terminal, in JSON, in CSV. */
#ifndef CS_TEXT_H
#define CS_TEXT_H

#include <stddef.h>

/* Copies s[0..n) into out[cap] with every byte outside printable ASCII and
 * every backslash written as \xNN / \\, NUL-terminated and truncated with
 * "..." if it does not fit. Returns out. */
char *cs_escape(char *out, size_t cap, const char *s, size_t n);

/* The same for a NUL-terminated string. */
char *cs_escapez(char *out, size_t cap, const char *s);

/* A JSON string body (no quotes): ", \ and control bytes escaped, bytes
 * above 0x7e as \u00NN. */
char *cs_json_escape(char *out, size_t cap, const char *s);

/* A CSV cell: quoted when needed, and prefixed with ' when it starts with
 * = + - @, tab or CR (so no spreadsheet reads it as a formula) or with '
 * (so the guard is reversible: strip one leading ' from any cell that
 * starts with one). */
char *cs_csv_cell(char *out, size_t cap, const char *s);

#endif
