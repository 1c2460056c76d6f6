/* A small vsnprintf for freestanding builds: integers, characters, strings. */
#include "util/fmt.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

struct out {
	char *p;
	size_t cap;
	size_t n; /* what the whole output would take */
};

static void
put(struct out *o, char c)
{
	if (o->n + 1 < o->cap)
		o->p[o->n] = c;
	o->n++;
}

static void
pad(struct out *o, char c, size_t n)
{
	while (n-- > 0)
		put(o, c);
}

/* s[0..len) in a field of width, after an optional sign */
static void
field(struct out *o, const char *sign, const char *s, size_t len, size_t width, int left,
    int zero)
{
	size_t sl = strlen(sign), total = sl + len;
	size_t fill = width > total ? width - total : 0;

	if (!left && !zero)
		pad(o, ' ', fill);
	while (*sign != '\0')
		put(o, *sign++);
	if (!left && zero)
		pad(o, '0', fill);
	while (len-- > 0)
		put(o, *s++);
	if (left)
		pad(o, ' ', fill);
}

enum { LEN_INT, LEN_CHAR, LEN_SHORT, LEN_LONG, LEN_LLONG, LEN_SIZE, LEN_MAX, LEN_PTRDIFF };

static unsigned long long
uarg(va_list *ap, int lm)
{
	switch (lm) {
	case LEN_CHAR: return (unsigned char)va_arg(*ap, unsigned);
	case LEN_SHORT: return (unsigned short)va_arg(*ap, unsigned);
	case LEN_LONG: return va_arg(*ap, unsigned long);
	case LEN_LLONG: return va_arg(*ap, unsigned long long);
	case LEN_SIZE: return va_arg(*ap, size_t);
	case LEN_MAX: return va_arg(*ap, uintmax_t);
	case LEN_PTRDIFF: return (unsigned long long)va_arg(*ap, ptrdiff_t);
	default: return va_arg(*ap, unsigned);
	}
}

static long long
sarg(va_list *ap, int lm)
{
	switch (lm) {
	case LEN_CHAR: return (signed char)va_arg(*ap, int);
	case LEN_SHORT: return (short)va_arg(*ap, int);
	case LEN_LONG: return va_arg(*ap, long);
	case LEN_LLONG: return va_arg(*ap, long long);
	case LEN_SIZE: return (long long)va_arg(*ap, size_t);
	case LEN_MAX: return va_arg(*ap, intmax_t);
	case LEN_PTRDIFF: return va_arg(*ap, ptrdiff_t);
	default: return va_arg(*ap, int);
	}
}

int
cs_vfmt(char *outp, size_t cap, const char *fmt, va_list ap0)
{
	static const char lower[] = "0123456789abcdef", upper[] = "0123456789ABCDEF";
	struct out o = {outp, cap, 0};
	char num[24], c;
	const char *start, *s, *digits;
	unsigned long long u;
	long long v;
	size_t width, prec, len;
	int left, zero, has_prec, lm, p;
	va_list ap;

	va_copy(ap, ap0);
	for (; *fmt != '\0'; fmt++) {
		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		start = fmt++;
		left = zero = has_prec = 0;
		width = prec = 0;
		for (;; fmt++) {
			if (*fmt == '-')
				left = 1;
			else if (*fmt == '0')
				zero = 1;
			else
				break;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (size_t)(*fmt++ - '0');
		if (*fmt == '.') {
			has_prec = 1;
			if (*++fmt == '*') {
				p = va_arg(ap, int);
				has_prec = p >= 0; /* a negative precision is taken as none */
				prec = p >= 0 ? (size_t)p : 0;
				fmt++;
			} else {
				while (*fmt >= '0' && *fmt <= '9')
					prec = prec * 10 + (size_t)(*fmt++ - '0');
			}
		}
		lm = LEN_INT;
		if (*fmt == 'h') {
			lm = fmt[1] == 'h' ? LEN_CHAR : LEN_SHORT;
			fmt += lm == LEN_CHAR ? 2 : 1;
		} else if (*fmt == 'l') {
			lm = fmt[1] == 'l' ? LEN_LLONG : LEN_LONG;
			fmt += lm == LEN_LLONG ? 2 : 1;
		} else if (*fmt == 'z' || *fmt == 'j' || *fmt == 't') {
			lm = *fmt == 'z' ? LEN_SIZE : *fmt == 'j' ? LEN_MAX : LEN_PTRDIFF;
			fmt++;
		}
		switch (c = *fmt) {
		case 'd':
		case 'i':
		case 'u':
		case 'x':
		case 'X':
			digits = c == 'X' ? upper : lower;
			if (c == 'd' || c == 'i') {
				v = sarg(&ap, lm);
				u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
			} else {
				v = 0;
				u = uarg(&ap, lm);
			}
			len = 0;
			do {
				num[sizeof num - ++len] = digits[u % (c == 'x' || c == 'X' ? 16 : 10)];
				u /= c == 'x' || c == 'X' ? 16 : 10;
			} while (u != 0);
			field(&o, v < 0 ? "-" : "", num + sizeof num - len, len, width, left, zero);
			break;
		case 'c':
			num[0] = (char)va_arg(ap, int);
			field(&o, "", num, 1, width, left, 0);
			break;
		case 's':
			if ((s = va_arg(ap, const char *)) == NULL)
				s = "(null)";
			len = has_prec ? strnlen(s, prec) : strlen(s);
			field(&o, "", s, len, width, left, 0);
			break;
		case '%':
			put(&o, '%');
			break;
		default:
			/* not one of ours: shown as written, so a missing case is visible */
			for (s = start; s < fmt; s++)
				put(&o, *s);
			if (c == '\0')
				fmt--;
			else
				put(&o, c);
			break;
		}
	}
	va_end(ap);
	if (cap > 0)
		outp[o.n < cap ? o.n : cap - 1] = '\0';
	return o.n > INT_MAX ? INT_MAX : (int)o.n;
}

int
cs_fmt(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = cs_vfmt(out, cap, fmt, ap);
	va_end(ap);
	return n;
}
