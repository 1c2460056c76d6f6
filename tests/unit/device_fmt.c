/* cs_vfmt, the formatter of freestanding builds, against the C library's
 * vsnprintf for every conversion the agent's messages use, and truncation. */
#include "t.h"

#include "util/fmt.h"

static size_t checked, differ;

static void __attribute__((format(printf, 2, 3)))
same(size_t cap, const char *fmt, ...)
{
	char a[128], b[128];
	va_list ap, aq;
	int na, nb;

	memset(a, 'x', sizeof a);
	memset(b, 'x', sizeof b);
	va_start(ap, fmt);
	va_copy(aq, ap);
	na = cs_vfmt(a, cap, fmt, ap);
	nb = vsnprintf(b, cap, fmt, aq);
	va_end(aq);
	va_end(ap);
	checked++;
	if (na != nb || memcmp(a, b, sizeof a) != 0) {
		differ++;
		printf("# \"%s\" cap %zu: cs_vfmt \"%.*s\" (%d), vsnprintf \"%.*s\" (%d)\n", fmt, cap,
		    (int)(cap ? cap - 1 : 0), a, na, (int)(cap ? cap - 1 : 0), b, nb);
	}
}

int
main(void)
{
	static const unsigned long long u[] = {0, 1, 9, 10, 255, 4096, 65535, 4294967295ull,
	    4294967296ull, 18446744073709551615ull};
	static const long long s[] = {0, -1, 1, -128, 2147483647, -2147483647 - 1,
	    9223372036854775807ll, -9223372036854775807ll - 1};
	static const size_t caps[] = {128, 1, 2, 5, 17};
	const char *unknown = "%q%s";
	char out[8];
	size_t i, c;

	for (c = 0; c < sizeof caps / sizeof caps[0]; c++) {
		for (i = 0; i < sizeof u / sizeof u[0]; i++) {
			same(caps[c], "serial %llu is outside %llu-%llu", u[i], u[i] / 3, u[i] / 7);
			same(caps[c], "%zu bytes, %u", (size_t)u[i], (unsigned)u[i]);
			same(caps[c], "0x%02x %x %X %08x %-6u|", (unsigned)u[i] & 0xff, (unsigned)u[i],
			    (unsigned)u[i], (unsigned)u[i], (unsigned)u[i] & 0xffff);
			same(caps[c], "%lu %hu %hhu %ju", (unsigned long)u[i], (unsigned short)u[i],
			    (unsigned char)u[i], (uintmax_t)u[i]);
		}
		for (i = 0; i < sizeof s / sizeof s[0]; i++) {
			same(caps[c], "%lld %d %i %5d %-5d| %05d", s[i], (int)s[i], (int)s[i], (int)s[i],
			    (int)s[i], (int)s[i]);
			same(caps[c], "%ld %hd %hhd %jd %td", (long)s[i], (short)s[i], (signed char)s[i],
			    (intmax_t)s[i], (ptrdiff_t)s[i]);
		}
		same(caps[c], "kind is \"%.*s\", expected \"%s\"", 3, "recordxyz", "order");
		same(caps[c], "%s: %s", "policy chain entry 1", "order of another deployment");
		same(caps[c], "[%5s|%-5s|%.2s|%c|%%]", "ab", "cd", "efgh", 'z');
		same(caps[c], "%.0s%s", "hidden", "");
	}
	T_OK(differ == 0, "cs_vfmt writes what vsnprintf writes (%zu of %zu formats differ)", differ,
	    checked);
	T_OK(cs_fmt(out, sizeof out, unknown, "x") == 3 && strcmp(out, "%qx") == 0,
	    "an unknown conversion is copied as written");
	T_OK(cs_fmt(out, 0, "%d", 12345) == 5 && out[0] == '%', "cap 0 writes nothing");
	return t_done();
}
