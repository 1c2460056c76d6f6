/* The hostile-input zip reader: layout from the central directory first,
 * then bounded reads that always reach the end of an entry. */
#include "bundle/reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zip.h>

struct cs_zipr {
	zip_t *za;
	int n;
	uint64_t size[CS_ZIP_MAX_ENTRIES];
	int stored[CS_ZIP_MAX_ENTRIES];
};

struct cs_zips {
	cs_zipr *z;
	zip_file_t *f;
	int i;
	uint64_t left;   /* bytes still expected before the end */
	int seeked;      /* a partial read: no end-of-entry checks */
};

static const char *const names[CS_ZIP_MAX_ENTRIES] = {CS_ENTRY_HEADER, CS_ENTRY_ORDER,
    CS_ENTRY_RECORDS, CS_ENTRY_RELEASE};
static const uint64_t limits[CS_ZIP_MAX_ENTRIES] = {CS_HEADER_ENTRY_MAX, CS_ORDER_ENTRY_MAX,
    CS_RECORDS_ENTRY_MAX, CS_RELEASE_ENTRY_MAX};

/* Why a name is unacceptable anywhere, or NULL. Bytes, never a path. */
static const char *
name_problem(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return "an empty name";
	if (n > CS_ZIP_NAME_MAX)
		return "a name longer than 64 bytes";
	if (s[0] == '/')
		return "an absolute name";
	if (s[n - 1] == '/')
		return "a directory";
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return "a control byte in a name";
		if (c == '\\')
			return "a backslash in a name";
		if (c == '.' && i + 1 < n && s[i + 1] == '.' && (i == 0 || s[i - 1] == '/') &&
		    (i + 2 == n || s[i + 2] == '/'))
			return "a \"..\" component in a name";
	}
	if (memchr(s, ':', n) != NULL && n >= 2 && s[1] == ':')
		return "a drive letter in a name";
	return NULL;
}

/* The name as shown in messages: escaped, short. */
static void
show(char out[80], const char *s)
{
	size_t i, o = 0;

	for (i = 0; s[i] != '\0' && o + 5 < 76; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, 80 - o, "\\x%02x", c);
	}
	out[o] = '\0';
}

static int
layout(cs_zipr *z, cs_err *e)
{
	zip_int64_t n = zip_get_num_entries(z->za, 0);
	zip_stat_t st;
	uint64_t total = 0;
	const char *nm, *why;
	char shown[80];
	int i;

	if (n < 0)
		return cs_fail(e, CS_MALFORMED, "zip-corrupt", "cannot read the central directory");
	if (n > CS_ZIP_MAX_ENTRIES)
		return cs_fail(e, CS_REJECT, "zip-entries", "%lld entries, a release has %d",
		    (long long)n, CS_ZIP_MAX_ENTRIES);
	for (i = 0; i < (int)n; i++) {
		if ((nm = zip_get_name(z->za, (zip_uint64_t)i, ZIP_FL_ENC_RAW)) == NULL)
			return cs_fail(e, CS_MALFORMED, "zip-corrupt", "entry %d has no name", i + 1);
		if ((why = name_problem(nm, strlen(nm))) != NULL) {
			show(shown, nm);
			return cs_fail(e, CS_REJECT, "zip-name", "entry %d \"%s\": %s", i + 1, shown,
			    why);
		}
	}
	for (i = 0; i < (int)n; i++) {
		nm = zip_get_name(z->za, (zip_uint64_t)i, ZIP_FL_ENC_RAW);
		if (strcmp(nm, names[i]) != 0) {
			show(shown, nm);
			return cs_fail(e, CS_REJECT, "zip-entries",
			    "entry %d is \"%s\", expected \"%s\"", i + 1, shown, names[i]);
		}
	}
	if (n < 3)
		return cs_fail(e, CS_REJECT, "zip-entries", "entry %d (\"%s\") is missing",
		    (int)n + 1, names[n]);
	z->n = (int)n;
	for (i = 0; i < z->n; i++) {
		if (zip_stat_index(z->za, (zip_uint64_t)i, 0, &st) != 0)
			return cs_fail(e, CS_MALFORMED, "zip-corrupt", "cannot stat %s", names[i]);
		if ((st.valid & (ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD |
				    ZIP_STAT_ENCRYPTION_METHOD)) !=
		    (ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD |
			ZIP_STAT_ENCRYPTION_METHOD))
			return cs_fail(e, CS_MALFORMED, "zip-corrupt", "%s: incomplete entry", names[i]);
		if (st.encryption_method != ZIP_EM_NONE)
			return cs_fail(e, CS_REJECT, "zip-encrypted", "%s is encrypted", names[i]);
		if (st.comp_method != ZIP_CM_STORE && st.comp_method != ZIP_CM_DEFLATE)
			return cs_fail(e, CS_REJECT, "zip-method",
			    "%s uses compression method %d (only stored or deflate)", names[i],
			    (int)st.comp_method);
		if (st.size > limits[i])
			return cs_fail(e, CS_REJECT, "zip-size", "%s declares %llu bytes, limit %llu",
			    names[i], (unsigned long long)st.size, (unsigned long long)limits[i]);
		if (st.comp_method == ZIP_CM_STORE && st.comp_size != st.size)
			return cs_fail(e, CS_REJECT, "zip-size",
			    "%s is stored but its sizes disagree (%llu, %llu)", names[i],
			    (unsigned long long)st.size, (unsigned long long)st.comp_size);
		if (st.comp_method == ZIP_CM_DEFLATE && st.comp_size < UINT64_MAX / CS_ZIP_MAX_RATIO &&
		    st.size > st.comp_size * CS_ZIP_MAX_RATIO)
			return cs_fail(e, CS_REJECT, "zip-ratio",
			    "%s expands from %llu to %llu bytes, more than %d times", names[i],
			    (unsigned long long)st.comp_size, (unsigned long long)st.size,
			    CS_ZIP_MAX_RATIO);
		total += st.size;
		if (total > CS_ZIP_TOTAL_MAX)
			return cs_fail(e, CS_REJECT, "zip-size", "entries add up to more than %llu bytes",
			    (unsigned long long)CS_ZIP_TOTAL_MAX);
		z->size[i] = st.size;
		z->stored[i] = st.comp_method == ZIP_CM_STORE;
	}
	return CS_OK;
}

/* Opens src (taking it over) with libzip's consistency check; when that
 * check fails, the layout is examined without it so a duplicate or odd
 * entry is named by its own reason rather than "corrupt". */
static int
open_source(cs_zipr **out, zip_source_t *src, cs_err *e)
{
	zip_error_t ze;
	cs_zipr *z;
	int rc, code;

	*out = NULL;
	if ((z = calloc(1, sizeof *z)) == NULL) {
		zip_source_free(src);
		return cs_fail(e, CS_MALFORMED, "system", "out of memory");
	}
	zip_error_init(&ze);
	zip_source_keep(src); /* ours survives a failed open */
	z->za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
	code = zip_error_code_zip(&ze);
	zip_error_fini(&ze);
	if (z->za == NULL) {
		zip_error_init(&ze);
		z->za = zip_open_from_source(src, ZIP_RDONLY, &ze);
		zip_error_fini(&ze);
		if (z->za == NULL)
			zip_source_free(src); /* the archive's reference that never was */
		rc = z->za != NULL ? layout(z, e) : CS_OK;
		if (rc == CS_OK)
			rc = cs_fail(e, CS_MALFORMED, "zip-corrupt", "not a readable zip archive (%s)",
			    code == ZIP_ER_NOZIP ? "no central directory"
			    : code == ZIP_ER_INCONS ? "headers disagree"
						    : "libzip error");
		goto fail;
	}
	if ((rc = layout(z, e)) != CS_OK)
		goto fail;
	zip_source_free(src);
	*out = z;
	return CS_OK;
fail:
	if (z->za != NULL)
		zip_discard(z->za);
	zip_source_free(src);
	free(z);
	return rc;
}

static int
zipr_open(cs_zipr **z, const char *path, cs_err *e)
{
	struct stat st;
	zip_error_t ze;
	zip_source_t *src;

	*z = NULL;
	if (stat(path, &st) != 0)
		return cs_fail(e, CS_MALFORMED, "io", "cannot open: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cs_fail(e, CS_MALFORMED, "io", "not a regular file");
	zip_error_init(&ze);
	src = zip_source_file_create(path, 0, -1, &ze);
	zip_error_fini(&ze);
	if (src == NULL)
		return cs_fail(e, CS_MALFORMED, "io", "cannot open: %s", strerror(errno));
	return open_source(z, src, e);
}

int
cs_zipr_open(cs_zipr **z, const char *path, cs_err *e)
{
	int rc = zipr_open(z, path, e);

	if (rc != CS_OK)
		cs_err_subject(e, "%s", path);
	return rc;
}

int
cs_zipr_open_mem(cs_zipr **z, const uint8_t *p, size_t n, cs_err *e)
{
	zip_error_t ze;
	zip_source_t *src;

	*z = NULL;
	zip_error_init(&ze);
	src = zip_source_buffer_create(n ? p : (const uint8_t *)"", n, 0, &ze);
	zip_error_fini(&ze);
	if (src == NULL)
		return cs_fail(e, CS_MALFORMED, "system", "out of memory");
	return open_source(z, src, e);
}

void
cs_zipr_close(cs_zipr *z)
{
	if (z == NULL)
		return;
	zip_discard(z->za);
	free(z);
}

int
cs_zipr_entries(const cs_zipr *z)
{
	return z->n;
}

uint64_t
cs_zipr_size(const cs_zipr *z, int i)
{
	return i >= 0 && i < z->n ? z->size[i] : 0;
}

int
cs_zipr_stored(const cs_zipr *z, int i)
{
	return i >= 0 && i < z->n ? z->stored[i] : 0;
}

static int
zerr(cs_zips *s, cs_err *e)
{
	zip_error_t *ze = zip_file_get_error(s->f);

	return cs_fail(e, CS_MALFORMED, "zip-corrupt", "%s: %s", names[s->i],
	    zip_error_code_zip(ze) == ZIP_ER_CRC ? "CRC mismatch" : zip_error_strerror(ze));
}

int
cs_zips_open(cs_zips **out, cs_zipr *z, int i, cs_err *e)
{
	cs_zips *s;

	*out = NULL;
	if (i < 0 || i >= z->n)
		return cs_fail(e, CS_USAGE, "internal", "no entry %d", i);
	if ((s = calloc(1, sizeof *s)) == NULL)
		return cs_fail(e, CS_MALFORMED, "system", "out of memory");
	s->z = z;
	s->i = i;
	s->left = z->size[i];
	if ((s->f = zip_fopen_index(z->za, (zip_uint64_t)i, 0)) == NULL) {
		free(s);
		return cs_fail(e, CS_MALFORMED, "zip-corrupt", "cannot open %s: %s", names[i],
		    zip_strerror(z->za));
	}
	*out = s;
	return CS_OK;
}

int
cs_zips_read(cs_zips *s, uint8_t *buf, size_t cap, size_t *got, cs_err *e)
{
	zip_int64_t r;
	uint8_t extra;

	*got = 0;
	if (s->left == 0) {
		if (s->seeked)
			return CS_OK;
		/* past the declared end: nothing more may come, and the CRC is checked */
		r = zip_fread(s->f, &extra, 1);
		if (r < 0)
			return zerr(s, e);
		if (r > 0)
			return cs_fail(e, CS_REJECT, "zip-size", "%s holds more bytes than it declares",
			    names[s->i]);
		return CS_OK;
	}
	if (cap > s->left)
		cap = (size_t)s->left;
	r = zip_fread(s->f, buf, cap);
	if (r < 0)
		return zerr(s, e);
	if (r == 0)
		return cs_fail(e, s->seeked ? CS_MALFORMED : CS_REJECT,
		    s->seeked ? "zip-corrupt" : "zip-size", "%s ends %llu bytes before its declared size",
		    names[s->i], (unsigned long long)s->left);
	s->left -= (uint64_t)r;
	*got = (size_t)r;
	return CS_OK;
}

int
cs_zips_seek(cs_zips *s, uint64_t off, cs_err *e)
{
	if (off > s->z->size[s->i])
		return cs_fail(e, CS_USAGE, "internal", "seek beyond the end of %s", names[s->i]);
	if (!s->z->stored[s->i])
		return cs_fail(e, CS_USAGE, "internal", "%s is deflated: no seeking", names[s->i]);
	if (zip_fseek(s->f, (zip_int64_t)off, SEEK_SET) != 0)
		return zerr(s, e);
	s->left = s->z->size[s->i] - off;
	s->seeked = 1;
	return CS_OK;
}

void
cs_zips_close(cs_zips *s)
{
	if (s == NULL)
		return;
	zip_fclose(s->f);
	free(s);
}

int
cs_zipr_read(cs_zipr *z, int i, cs_buf *out, size_t max, cs_err *e)
{
	cs_zips *s;
	uint8_t *p;
	size_t got;
	int rc;

	out->len = 0;
	if (i < 0 || i >= z->n)
		return cs_fail(e, CS_USAGE, "internal", "no entry %d", i);
	if (z->size[i] > max)
		return cs_fail(e, CS_REJECT, "zip-size", "%s declares %llu bytes, limit %zu",
		    names[i], (unsigned long long)z->size[i], max);
	if ((rc = cs_zips_open(&s, z, i, e)) != CS_OK)
		return rc;
	if ((p = cs_buf_room(out, (size_t)z->size[i] + 1)) == NULL) {
		cs_zips_close(s);
		return cs_fail(e, CS_MALFORMED, "system", "out of memory");
	}
	do {
		if ((rc = cs_zips_read(s, out->p + out->len, (size_t)z->size[i] - out->len, &got,
			 e)) != CS_OK)
			break;
		out->len += got;
	} while (got > 0);
	cs_zips_close(s);
	return rc;
}
