/* PKCS#11 tokens through p11-kit: URI matching, login, CKM_EDDSA, key pairs
 * made inside the token. */
#include "crypto/p11.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>

#include "util/text.h"

#define MAX_SLOTS 64
#define MAX_FOUND 2   /* more than one is already too many */
#define POINT_MAX 128 /* bytes of a CKA_EC_POINT read */
#define ID_MAX 64     /* bytes of a CKA_ID consign reads or writes */

/* id-Ed25519 (RFC 8410), the CKA_EC_PARAMS of an Ed25519 key */
static const CK_BYTE ed25519_oid[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
/* PKCS#11 3.0 also allows the curve's name as a PrintableString */
static const CK_BYTE ed25519_name[] = {0x13, 0x0c, 'e', 'd', 'w', 'a', 'r', 'd', 's', '2', '5',
    '5', '1', '9'};

struct cs_p11 {
	P11KitUri *uri;
	CK_FUNCTION_LIST **mods;  /* NULL-terminated: p11-kit's configured modules, or pair */
	CK_FUNCTION_LIST *one;    /* the one module loaded by path */
	CK_FUNCTION_LIST *pair[2];
	CK_FUNCTION_LIST *f;      /* the chosen token's module */
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s;
	int open, logged_in, want_key;
	CK_OBJECT_HANDLE pub, priv;
	int fresh;                /* pub and priv were made by cs_p11_generate */
	uint8_t pk[CS_PK_LEN];
	CK_BYTE id[ID_MAX];
	CK_ULONG idlen;
	cs_p11_where w;
	char pin_source[CS_P11_URI_MAX];
};

int
cs_p11_is_uri(const char *s)
{
	return strncmp(s, P11_KIT_URI_SCHEME ":", P11_KIT_URI_SCHEME_LEN + 1) == 0;
}

/* A blank-padded PKCS#11 text field as escaped text. */
static void
field(char *out, size_t cap, const CK_UTF8CHAR *p, size_t n)
{
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\0'))
		n--;
	cs_escape(out, cap, (const char *)p, n);
}

static int
removed(CK_RV rv)
{
	return rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT ||
	       rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED ||
	       rv == CKR_DEVICE_ERROR || rv == CKR_TOKEN_NOT_RECOGNIZED ||
	       rv == CKR_CRYPTOKI_NOT_INITIALIZED;
}

/* One line for a failed call on t's token. */
static int
rv_fail(const cs_p11 *t, cs_err *e, const char *call, CK_RV rv)
{
	if (removed(rv))
		return cs_fail(e, CS_MALFORMED, "token",
		    "token \"%s\" was removed or stopped answering (%s: %s)", t->w.token, call,
		    p11_kit_strerror(rv));
	return cs_fail(e, CS_MALFORMED, "token", "token \"%s\": %s failed: %s", t->w.token, call,
	    p11_kit_strerror(rv));
}

static int
parse_uri(cs_p11 *t, const char *uri, cs_err *e)
{
	CK_ATTRIBUTE *a;
	const char *ps;
	int r;

	if (strlen(uri) > CS_P11_URI_MAX)
		return cs_fail(e, CS_USAGE, "usage", "PKCS#11 URI longer than %d bytes",
		    CS_P11_URI_MAX);
	if ((t->uri = p11_kit_uri_new()) == NULL)
		return cs_fail(e, CS_MALFORMED, "system", "out of memory");
	if ((r = p11_kit_uri_parse(uri, P11_KIT_URI_FOR_ANY, t->uri)) != P11_KIT_URI_OK)
		return cs_fail(e, CS_USAGE, "usage", "not a PKCS#11 URI (RFC 7512): %s",
		    p11_kit_uri_message(r));
	if (p11_kit_uri_any_unrecognized(t->uri))
		return cs_fail(e, CS_USAGE, "usage",
		    "the PKCS#11 URI has an attribute consign does not know; refusing to ignore it");
	if (p11_kit_uri_get_pin_value(t->uri) != NULL)
		return cs_fail(e, CS_USAGE, "usage",
		    "a PIN in the URI (pin-value) shows in the process list and shell history: "
		    "use --pin-file");
	if ((a = p11_kit_uri_get_attribute(t->uri, CKA_CLASS)) != NULL &&
	    (a->ulValueLen != sizeof(CK_OBJECT_CLASS) ||
		(*(CK_OBJECT_CLASS *)a->pValue != CKO_PRIVATE_KEY &&
		    *(CK_OBJECT_CLASS *)a->pValue != CKO_PUBLIC_KEY)))
		return cs_fail(e, CS_USAGE, "usage", "the URI's type= must be private or public");
	if ((a = p11_kit_uri_get_attribute(t->uri, CKA_LABEL)) != NULL &&
	    a->ulValueLen > CS_P11_LABEL_MAX)
		return cs_fail(e, CS_USAGE, "usage", "the URI's object= is longer than %d bytes",
		    CS_P11_LABEL_MAX);
	if ((a = p11_kit_uri_get_attribute(t->uri, CKA_ID)) != NULL && a->ulValueLen > ID_MAX)
		return cs_fail(e, CS_USAGE, "usage", "the URI's id= is longer than %d bytes",
		    ID_MAX);
	if ((ps = p11_kit_uri_get_pin_source(t->uri)) != NULL) {
		if (strncmp(ps, "file:", 5) == 0)
			ps += 5;
		snprintf(t->pin_source, sizeof t->pin_source, "%s", ps);
	}
	return CS_OK;
}

static int
load(cs_p11 *t, const char *module, cs_err *e)
{
	char m[512];
	const char *path = module != NULL ? module : p11_kit_uri_get_module_path(t->uri);
	const char *why;
	CK_FUNCTION_LIST *one;
	CK_RV rv;

	if (path != NULL) {
		cs_escapez(m, sizeof m, path);
		if (access(path, F_OK) != 0)
			return cs_fail(e, CS_MALFORMED, "token-module",
			    "cannot load PKCS#11 module %s: %s", m, strerror(errno));
		if ((one = p11_kit_module_load(path, 0)) == NULL) {
			why = p11_kit_message();
			return cs_fail(e, CS_MALFORMED, "token-module",
			    "cannot load PKCS#11 module %s%s%s", m, why != NULL ? ": " : "",
			    why != NULL ? why : "");
		}
		if ((rv = p11_kit_module_initialize(one)) != CKR_OK) {
			p11_kit_module_release(one);
			return cs_fail(e, CS_MALFORMED, "token-module",
			    "PKCS#11 module %s does not start: %s", m, p11_kit_strerror(rv));
		}
		t->one = one;
		t->pair[0] = one;
		t->mods = t->pair;
		return CS_OK;
	}
	if ((t->mods = p11_kit_modules_load_and_initialize(0)) == NULL) {
		why = p11_kit_message();
		return cs_fail(e, CS_MALFORMED, "token-module",
		    "p11-kit cannot load its configured PKCS#11 modules%s%s (give --module PATH)",
		    why != NULL ? ": " : "", why != NULL ? why : "");
	}
	if (t->mods[0] == NULL)
		return cs_fail(e, CS_MALFORMED, "token-module",
		    "no PKCS#11 module is configured with p11-kit; give --module PATH");
	return CS_OK;
}

/* 1 when module m may hold what the URI names. */
static int
module_matches(cs_p11 *t, CK_FUNCTION_LIST *m)
{
	const char *want = p11_kit_uri_get_module_name(t->uri);
	char *name;
	CK_INFO info;
	int ok;

	if (m->C_GetInfo(&info) != CKR_OK || !p11_kit_uri_match_module_info(t->uri, &info))
		return 0;
	if (want == NULL || t->one != NULL)
		return 1;
	name = p11_kit_module_get_name(m);
	ok = name != NULL && strcmp(name, want) == 0;
	free(name);
	return ok;
}

/* 1 when slot s of module m holds an initialised token the URI matches;
 * fills w (token, maker, slot, PIN flags). */
static int
slot_matches(cs_p11 *t, CK_FUNCTION_LIST *m, CK_SLOT_ID s, cs_p11_where *w)
{
	CK_SLOT_ID want = p11_kit_uri_get_slot_id(t->uri);
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	CK_INFO info;

	if (want != (CK_SLOT_ID)-1 && want != s)
		return 0;
	if (m->C_GetSlotInfo(s, &si) != CKR_OK || !p11_kit_uri_match_slot_info(t->uri, &si))
		return 0;
	if (m->C_GetTokenInfo(s, &ti) != CKR_OK || !p11_kit_uri_match_token_info(t->uri, &ti) ||
	    !(ti.flags & CKF_TOKEN_INITIALIZED))
		return 0;
	memset(w, 0, sizeof *w);
	field(w->token, sizeof w->token, ti.label, sizeof ti.label);
	if (m->C_GetInfo(&info) == CKR_OK)
		field(w->maker, sizeof w->maker, info.manufacturerID, sizeof info.manufacturerID);
	w->slot = (unsigned long)s;
	w->pinpad = (ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH) != 0;
	w->final_try = (ti.flags & CKF_USER_PIN_FINAL_TRY) != 0;
	return 1;
}

/* The template for keys of class cls the URI names: its label and id, and
 * Ed25519 unless any_type. Returns the number of attributes in a[4]. */
static CK_ULONG
key_template(cs_p11 *t, CK_ATTRIBUTE a[4], CK_OBJECT_CLASS *cls, CK_KEY_TYPE *kt, int any_type)
{
	CK_ATTRIBUTE *u;
	CK_ULONG n = 0;

	a[n++] = (CK_ATTRIBUTE){CKA_CLASS, cls, sizeof *cls};
	if (!any_type)
		a[n++] = (CK_ATTRIBUTE){CKA_KEY_TYPE, kt, sizeof *kt};
	if ((u = p11_kit_uri_get_attribute(t->uri, CKA_LABEL)) != NULL)
		a[n++] = *u;
	if ((u = p11_kit_uri_get_attribute(t->uri, CKA_ID)) != NULL)
		a[n++] = *u;
	else if (*cls == CKO_PRIVATE_KEY && t->idlen > 0)
		/* the private half is the one with the public half's id */
		a[n++] = (CK_ATTRIBUTE){CKA_ID, t->id, t->idlen};
	return n;
}

/* Up to MAX_FOUND objects matching a[0..n) into h; *count how many. */
static CK_RV
find(CK_FUNCTION_LIST *m, CK_SESSION_HANDLE s, CK_ATTRIBUTE *a, CK_ULONG n,
    CK_OBJECT_HANDLE h[MAX_FOUND], CK_ULONG *count)
{
	CK_RV rv;

	*count = 0;
	if ((rv = m->C_FindObjectsInit(s, a, n)) != CKR_OK)
		return rv;
	rv = m->C_FindObjects(s, h, MAX_FOUND, count);
	m->C_FindObjectsFinal(s);
	return rv;
}

/* Ed25519 by its CKA_EC_PARAMS (OID or curve name) and CKA_EC_POINT (raw,
 * or wrapped in a DER OCTET STRING as PKCS#11 2.40 tokens store it). */
static int
read_point(cs_p11 *t, CK_OBJECT_HANDLE h, uint8_t pk[CS_PK_LEN], cs_err *e)
{
	CK_BYTE params[32], point[POINT_MAX];
	CK_ATTRIBUTE a[2] = {
	    {CKA_EC_PARAMS, params, sizeof params}, {CKA_EC_POINT, point, sizeof point}};
	CK_RV rv;

	if ((rv = t->f->C_GetAttributeValue(t->s, h, a, 2)) != CKR_OK)
		return rv_fail(t, e, "C_GetAttributeValue(CKA_EC_POINT)", rv);
	if (!((a[0].ulValueLen == sizeof ed25519_oid &&
		  memcmp(params, ed25519_oid, sizeof ed25519_oid) == 0) ||
		(a[0].ulValueLen == sizeof ed25519_name &&
		    memcmp(params, ed25519_name, sizeof ed25519_name) == 0)))
		return cs_fail(e, CS_USAGE, "token-key",
		    "key \"%s\" in token \"%s\" is not Ed25519", t->w.label, t->w.token);
	if (a[1].ulValueLen == CS_PK_LEN)
		memcpy(pk, point, CS_PK_LEN);
	else if (a[1].ulValueLen == CS_PK_LEN + 2 && point[0] == 0x04 && point[1] == CS_PK_LEN)
		memcpy(pk, point + 2, CS_PK_LEN);
	else
		return cs_fail(e, CS_MALFORMED, "token",
		    "key \"%s\" in token \"%s\": public key of %lu bytes, not an Ed25519 point",
		    t->w.label, t->w.token, (unsigned long)a[1].ulValueLen);
	if (!cs_pk_valid(pk))
		return cs_fail(e, CS_MALFORMED, "token",
		    "key \"%s\" in token \"%s\": the public key is not a valid prime-order point",
		    t->w.label, t->w.token);
	return CS_OK;
}

/* The label and id of object h, into t. */
static int
read_names(cs_p11 *t, CK_OBJECT_HANDLE h, cs_err *e)
{
	CK_BYTE label[CS_P11_LABEL_MAX];
	CK_ATTRIBUTE a[2] = {{CKA_LABEL, label, sizeof label}, {CKA_ID, t->id, sizeof t->id}};
	CK_RV rv;

	rv = t->f->C_GetAttributeValue(t->s, h, a, 2);
	/* a label or id too long to read is left out, not fatal */
	if (rv != CKR_OK && rv != CKR_ATTRIBUTE_TYPE_INVALID && rv != CKR_BUFFER_TOO_SMALL)
		return rv_fail(t, e, "C_GetAttributeValue(CKA_LABEL)", rv);
	if (a[0].ulValueLen != CK_UNAVAILABLE_INFORMATION)
		cs_escape(t->w.label, sizeof t->w.label, (const char *)label, a[0].ulValueLen);
	t->idlen = a[1].ulValueLen != CK_UNAVAILABLE_INFORMATION ? a[1].ulValueLen : 0;
	return CS_OK;
}

static int
need_mechanism(cs_p11 *t, CK_MECHANISM_TYPE mt, CK_FLAGS flag, const char *what, cs_err *e)
{
	CK_MECHANISM_INFO mi;
	CK_RV rv = t->f->C_GetMechanismInfo(t->slot, mt, &mi);

	if (rv == CKR_OK && (mi.flags & flag))
		return CS_OK;
	if (rv != CKR_OK && rv != CKR_MECHANISM_INVALID)
		return rv_fail(t, e, "C_GetMechanismInfo", rv);
	return cs_fail(e, CS_MALFORMED, "token", "token \"%s\" (%s) cannot %s with Ed25519: its "
	    "module offers no %s (see docs/tokens.md for tokens known to)", t->w.token, t->w.maker,
	    what, mt == CKM_EDDSA ? "CKM_EDDSA" : "CKM_EC_EDWARDS_KEY_PAIR_GEN");
}

static void
end_session(cs_p11 *t)
{
	if (t->open)
		t->f->C_CloseSession(t->s);
	t->open = 0;
}

/* Walks every matching token. Key mode: keeps a session on the one token
 * that holds the one Ed25519 public key the URI names. Token mode: keeps a
 * read-write session on the one matching token. */
static int
choose(cs_p11 *t, const char *uri, cs_err *e)
{
	CK_SLOT_ID slots[MAX_SLOTS], slot = 0;
	CK_OBJECT_HANDLE h[MAX_FOUND];
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_KEY_TYPE kt = CKK_EC_EDWARDS;
	CK_FUNCTION_LIST *f = NULL;
	CK_SESSION_HANDLE s;
	CK_ATTRIBUTE a[4];
	CK_ULONG ns, i, got, n;
	cs_p11_where w;
	size_t m, tokens = 0, keys = 0, other = 0;
	char u[256], first[sizeof w.token] = "";
	CK_RV rv;

	cs_escapez(u, sizeof u, uri);
	for (m = 0; t->mods[m] != NULL; m++) {
		if (!module_matches(t, t->mods[m]))
			continue;
		ns = MAX_SLOTS;
		if (t->mods[m]->C_GetSlotList(CK_TRUE, slots, &ns) != CKR_OK)
			continue;
		for (i = 0; i < ns; i++) {
			if (!slot_matches(t, t->mods[m], slots[i], &w))
				continue;
			if (tokens++ == 0) {
				memcpy(first, w.token, sizeof first);
				f = t->mods[m];
				slot = slots[i];
				t->w = w;
			}
			if (!t->want_key)
				continue;
			rv = t->mods[m]->C_OpenSession(slots[i], CKF_SERIAL_SESSION, NULL, NULL,
			    &s);
			if (rv != CKR_OK) {
				t->w = w;
				return rv_fail(t, e, "C_OpenSession", rv);
			}
			n = key_template(t, a, &cls, &kt, 0);
			if ((rv = find(t->mods[m], s, a, n, h, &got)) != CKR_OK) {
				t->mods[m]->C_CloseSession(s);
				t->w = w;
				return rv_fail(t, e, "C_FindObjects", rv);
			}
			if (got == 0) {
				n = key_template(t, a, &cls, &kt, 1);
				if (find(t->mods[m], s, a, n, h, &got) == CKR_OK)
					other += got;
				got = 0;
			}
			if (got > 0 && keys == 0) {
				/* the first key found: its session is kept */
				t->f = t->mods[m];
				t->slot = slots[i];
				t->s = s;
				t->open = 1;
				t->pub = h[0];
				t->w = w;
			} else {
				t->mods[m]->C_CloseSession(s);
			}
			keys += got;
		}
	}
	if (tokens == 0)
		return cs_fail(e, CS_MALFORMED, "token",
		    "no token matches %s (is it plugged in? is the module the right one?)", u);
	if (!t->want_key) {
		if (tokens > 1)
			return cs_fail(e, CS_USAGE, "token-key",
			    "%zu tokens match %s: name one with token= (or slot-id=)", tokens, u);
		t->f = f;
		t->slot = slot;
		if ((rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
			 &t->s)) != CKR_OK)
			return rv_fail(t, e, "C_OpenSession", rv);
		t->open = 1;
		return CS_OK;
	}
	if (keys == 0)
		return cs_fail(e, CS_USAGE, "token-key", "%s names no Ed25519 key%s (%zu token%s "
		    "searched, first \"%s\")", u, other ? ", only keys of other types" : "", tokens,
		    tokens == 1 ? "" : "s", first);
	if (keys > 1)
		return cs_fail(e, CS_USAGE, "token-key",
		    "%s names more than one Ed25519 key: name one with object= or id=", u);
	return CS_OK;
}

static int
open_common(cs_p11 **tp, const char *uri, const char *module, int want_key, cs_err *e)
{
	cs_p11 *t;
	int rc;

	if ((*tp = t = calloc(1, sizeof *t)) == NULL)
		return cs_fail(e, CS_MALFORMED, "system", "out of memory");
	t->want_key = want_key;
	if ((rc = parse_uri(t, uri, e)) != CS_OK || (rc = load(t, module, e)) != CS_OK ||
	    (rc = choose(t, uri, e)) != CS_OK) {
		cs_p11_close(t);
		*tp = NULL;
	}
	return rc;
}

int
cs_p11_open_key(cs_p11 **tp, const char *uri, const char *module, uint8_t pk[CS_PK_LEN],
    cs_err *e)
{
	cs_p11 *t;
	int rc;

	if ((rc = open_common(tp, uri, module, 1, e)) != CS_OK)
		return rc;
	t = *tp;
	if ((rc = read_names(t, t->pub, e)) != CS_OK ||
	    (rc = read_point(t, t->pub, t->pk, e)) != CS_OK ||
	    (rc = need_mechanism(t, CKM_EDDSA, CKF_SIGN, "sign", e)) != CS_OK) {
		cs_p11_close(t);
		*tp = NULL;
		return rc;
	}
	memcpy(pk, t->pk, CS_PK_LEN);
	return CS_OK;
}

int
cs_p11_open_token(cs_p11 **tp, const char *uri, const char *module, cs_err *e)
{
	int rc;

	if ((rc = open_common(tp, uri, module, 0, e)) != CS_OK)
		return rc;
	if ((rc = need_mechanism(*tp, CKM_EC_EDWARDS_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR,
		 "make keys", e)) != CS_OK ||
	    (rc = need_mechanism(*tp, CKM_EDDSA, CKF_SIGN, "sign", e)) != CS_OK) {
		cs_p11_close(*tp);
		*tp = NULL;
	}
	return rc;
}

void
cs_p11_where_is(const cs_p11 *t, cs_p11_where *w)
{
	*w = t->w;
}

const char *
cs_p11_pin_source(const cs_p11 *t)
{
	return t->pin_source[0] != '\0' ? t->pin_source : NULL;
}

/* The private half of the key found by cs_p11_open_key, checked. */
static int
find_private(cs_p11 *t, cs_err *e)
{
	CK_OBJECT_HANDLE h[MAX_FOUND];
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_KEY_TYPE kt = CKK_EC_EDWARDS;
	CK_BBOOL sign = CK_FALSE, extractable = CK_TRUE, sensitive = CK_FALSE;
	CK_ATTRIBUTE a[4], f[3] = {{CKA_SIGN, &sign, sizeof sign},
	    {CKA_EXTRACTABLE, &extractable, sizeof extractable},
	    {CKA_SENSITIVE, &sensitive, sizeof sensitive}};
	CK_ULONG n, got;
	CK_RV rv;

	n = key_template(t, a, &cls, &kt, 0);
	if ((rv = find(t->f, t->s, a, n, h, &got)) != CKR_OK)
		return rv_fail(t, e, "C_FindObjects", rv);
	if (got == 0)
		return cs_fail(e, CS_USAGE, "token-key",
		    "token \"%s\" holds the public key \"%s\" but no private key beside it",
		    t->w.token, t->w.label);
	if (got > 1)
		return cs_fail(e, CS_USAGE, "token-key", "token \"%s\" holds more than one private "
		    "key for \"%s\": name one with id=", t->w.token, t->w.label);
	t->priv = h[0];
	rv = t->f->C_GetAttributeValue(t->s, t->priv, f, 3);
	if (rv != CKR_OK && rv != CKR_ATTRIBUTE_TYPE_INVALID)
		return rv_fail(t, e, "C_GetAttributeValue(CKA_EXTRACTABLE)", rv);
	/* an attribute the token does not report counts as the unsafe answer */
	if (f[1].ulValueLen != sizeof extractable || f[2].ulValueLen != sizeof sensitive ||
	    extractable != CK_FALSE || sensitive == CK_FALSE)
		return cs_fail(e, CS_REJECT, "token-extractable",
		    "key \"%s\" in token \"%s\" may leave the token (CKA_EXTRACTABLE true or "
		    "CKA_SENSITIVE false): refused; make a key inside the token with consign keygen "
		    "--pkcs11", t->w.label, t->w.token);
	if (f[0].ulValueLen != sizeof sign || sign == CK_FALSE)
		return cs_fail(e, CS_USAGE, "token-key", "key \"%s\" in token \"%s\" may not sign "
		    "(CKA_SIGN false)", t->w.label, t->w.token);
	return CS_OK;
}

int
cs_p11_login(cs_p11 *t, const char *pin, size_t len, cs_err *e)
{
	CK_RV rv;

	if (pin != NULL && len > CS_P11_PIN_MAX)
		return cs_fail(e, CS_USAGE, "pin", "PIN longer than %d bytes", CS_P11_PIN_MAX);
	rv = t->f->C_Login(t->s, CKU_USER, (CK_UTF8CHAR_PTR)pin, pin != NULL ? len : 0);
	switch (rv) {
	case CKR_OK:
		t->logged_in = 1;
		break;
	case CKR_USER_ALREADY_LOGGED_IN:
		break;
	case CKR_PIN_INCORRECT:
		return cs_fail(e, CS_REJECT, "pin", "wrong PIN for token \"%s\" (the token counts "
		    "wrong PINs and may lock; consign does not try again)", t->w.token);
	case CKR_PIN_LOCKED:
		return cs_fail(e, CS_REJECT, "pin", "the PIN of token \"%s\" is locked",
		    t->w.token);
	case CKR_PIN_EXPIRED:
		return cs_fail(e, CS_REJECT, "pin",
		    "the PIN of token \"%s\" has expired; set a new one with the token's own tool",
		    t->w.token);
	case CKR_PIN_LEN_RANGE:
		return cs_fail(e, CS_REJECT, "pin",
		    "wrong PIN for token \"%s\" (a length it does not take)", t->w.token);
	default:
		return rv_fail(t, e, "C_Login", rv);
	}
	return t->want_key ? find_private(t, e) : CS_OK;
}

/* How many objects (0, 1 or 2 for more) have attribute type equal to v. */
static CK_RV
count(cs_p11 *t, CK_ATTRIBUTE_TYPE type, const void *v, CK_ULONG n, CK_ULONG *got)
{
	CK_ATTRIBUTE a = {type, (void *)v, n};
	CK_OBJECT_HANDLE h[MAX_FOUND];

	return find(t->f, t->s, &a, 1, h, got);
}

int
cs_p11_generate(cs_p11 *t, const char *label, uint8_t pk[CS_PK_LEN], cs_err *e)
{
	CK_MECHANISM mech = {CKM_EC_EDWARDS_KEY_PAIR_GEN, NULL, 0};
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE *u;
	CK_ULONG ll = strlen(label), n1, n2;
	char l[4 * CS_P11_LABEL_MAX + 4];
	int rc;
	CK_RV rv;

	cs_escapez(l, sizeof l, label);
	if (ll == 0 || ll > CS_P11_LABEL_MAX)
		return cs_fail(e, CS_USAGE, "usage", "key label of %lu bytes", (unsigned long)ll);
	if ((u = p11_kit_uri_get_attribute(t->uri, CKA_LABEL)) != NULL &&
	    (u->ulValueLen != ll || memcmp(u->pValue, label, ll) != 0))
		return cs_fail(e, CS_USAGE, "usage",
		    "the URI's object= names another key than \"%s\"", l);
	if ((u = p11_kit_uri_get_attribute(t->uri, CKA_ID)) != NULL) {
		memcpy(t->id, u->pValue, u->ulValueLen);
		t->idlen = u->ulValueLen;
	} else {
		memcpy(t->id, label, ll < ID_MAX ? ll : ID_MAX);
		t->idlen = ll < ID_MAX ? ll : ID_MAX;
	}
	if ((rv = count(t, CKA_LABEL, label, ll, &n1)) != CKR_OK ||
	    (rv = count(t, CKA_ID, t->id, t->idlen, &n2)) != CKR_OK)
		return rv_fail(t, e, "C_FindObjects", rv);
	if (n1 + n2 > 0)
		return cs_fail(e, CS_USAGE, "token-key",
		    "token \"%s\" already holds an object labelled \"%s\" or with its id (consign "
		    "keygen --pkcs11 --export writes the .pub of a key already there)", t->w.token,
		    l);
	{
		CK_ATTRIBUTE pubt[] = {{CKA_TOKEN, &yes, 1}, {CKA_PRIVATE, &no, 1},
		    {CKA_VERIFY, &yes, 1}, {CKA_EC_PARAMS, (void *)ed25519_oid, sizeof ed25519_oid},
		    {CKA_LABEL, (void *)label, ll}, {CKA_ID, t->id, t->idlen}};
		CK_ATTRIBUTE privt[] = {{CKA_TOKEN, &yes, 1}, {CKA_PRIVATE, &yes, 1},
		    {CKA_SENSITIVE, &yes, 1}, {CKA_EXTRACTABLE, &no, 1}, {CKA_SIGN, &yes, 1},
		    {CKA_LABEL, (void *)label, ll}, {CKA_ID, t->id, t->idlen}};

		rv = t->f->C_GenerateKeyPair(t->s, &mech, pubt, sizeof pubt / sizeof pubt[0], privt,
		    sizeof privt / sizeof privt[0], &t->pub, &t->priv);
	}
	if (rv != CKR_OK)
		return rv_fail(t, e, "C_GenerateKeyPair", rv);
	t->fresh = 1;
	cs_escapez(t->w.label, sizeof t->w.label, label);
	/* what the token made is read back, not assumed */
	t->want_key = 1;
	if ((rc = read_point(t, t->pub, t->pk, e)) != CS_OK || (rc = find_private(t, e)) != CS_OK)
		return rc;
	memcpy(pk, t->pk, CS_PK_LEN);
	return CS_OK;
}

int
cs_p11_destroy_new(cs_p11 *t, cs_err *e)
{
	CK_RV r1, r2;

	if (t == NULL || !t->fresh)
		return CS_OK;
	r1 = t->f->C_DestroyObject(t->s, t->priv);
	r2 = t->f->C_DestroyObject(t->s, t->pub);
	t->fresh = 0;
	if (r1 != CKR_OK)
		return rv_fail(t, e, "C_DestroyObject", r1);
	if (r2 != CKR_OK)
		return rv_fail(t, e, "C_DestroyObject", r2);
	return CS_OK;
}

static int
p11_sign(void *key, uint8_t sig[CS_SIG_LEN], const uint8_t *msg, size_t len, cs_err *e)
{
	cs_p11 *t = key;
	CK_MECHANISM mech = {CKM_EDDSA, NULL, 0};
	CK_ULONG n = CS_SIG_LEN;
	CK_RV rv;

	if ((rv = t->f->C_SignInit(t->s, &mech, t->priv)) != CKR_OK)
		return rv_fail(t, e, "C_SignInit", rv);
	rv = t->f->C_Sign(t->s, (CK_BYTE_PTR)msg, (CK_ULONG)len, sig, &n);
	if (rv == CKR_DATA_LEN_RANGE)
		return cs_fail(e, CS_MALFORMED, "token",
		    "token \"%s\" cannot sign a message of %zu bytes (CKR_DATA_LEN_RANGE)",
		    t->w.token, len);
	if (rv != CKR_OK)
		return rv_fail(t, e, "C_Sign", rv);
	if (n != CS_SIG_LEN)
		return cs_fail(e, CS_MALFORMED, "token",
		    "token \"%s\" gave a signature of %lu bytes, not %d", t->w.token,
		    (unsigned long)n, CS_SIG_LEN);
	return CS_OK;
}

void
cs_p11_signer(cs_p11 *t, cs_signer *s)
{
	memcpy(s->pk, t->pk, CS_PK_LEN);
	s->sign = p11_sign;
	s->key = t;
}

void
cs_p11_close(cs_p11 *t)
{
	if (t == NULL)
		return;
	if (t->open && t->logged_in)
		t->f->C_Logout(t->s);
	end_session(t);
	if (t->one != NULL) {
		p11_kit_module_finalize(t->one);
		p11_kit_module_release(t->one);
	} else if (t->mods != NULL) {
		p11_kit_modules_finalize_and_release(t->mods);
	}
	if (t->uri != NULL)
		p11_kit_uri_free(t->uri);
	free(t);
}
