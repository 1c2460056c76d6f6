/* Escaping for terminals, JSON and CSV. */
#include "util/text.h"

#include <stdio.h>
#include <string.h>

char *
cs_escape(char *out, size_t cap, const char *s, size_t n)
{
	size_t o = 0, i;
	unsigned char c;

	if (cap == 0)
		return out;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (o + 8 >= cap) {
			if (cap >= 4) {
				o = o > cap - 4 ? cap - 4 : o;
				memcpy(out + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (c == '\\') {
			out[o++] = '\\';
			out[o++] = '\\';
		} else if (c >= 0x20 && c <= 0x7e) {
			out[o++] = (char)c;
		} else {
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
		}
	}
	out[o] = '\0';
	return out;
}

char *
cs_escapez(char *out, size_t cap, const char *s)
{
	return cs_escape(out, cap, s, strlen(s));
}

char *
cs_json_escape(char *out, size_t cap, const char *s)
{
	size_t o = 0;
	unsigned char c;

	if (cap == 0)
		return out;
	for (; *s != '\0' && o + 8 < cap; s++) {
		c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20 || c > 0x7e) {
			o += (size_t)snprintf(out + o, cap - o, "\\u%04x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return out;
}

char *
cs_csv_cell(char *out, size_t cap, const char *s)
{
	size_t o = 0;
	int quote = strpbrk(s, ",\"\r\n") != NULL || s[0] == '\t' || s[0] == '\r';
	/* a cell that starts with ' is guarded too, so the guard is undone by
	 * removing exactly one leading ' from every cell that starts with one:
	 * "=1+1" and "'=1+1" stay two different cells */
	int formula = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' ||
		      s[0] == '\r' || s[0] == '\'';

	if (cap == 0)
		return out;
	out[0] = '\0'; /* too small for any cell: an empty one, still terminated */
	if (cap < 4)
		return out;
	if (quote || formula)
		out[o++] = '"';
	if (formula)
		out[o++] = '\'';
	for (; *s != '\0' && o + 3 < cap; s++) {
		if (*s == '"')
			out[o++] = '"';
		out[o++] = *s;
	}
	if (quote || formula)
		out[o++] = '"';
	out[o] = '\0';
	return out;
}
