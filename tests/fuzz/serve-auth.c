/*
 * serve-auth: keruta-serve's JWT and API-key checks. The first byte
 * chooses:
 *  0  any token, as it comes after "Bearer " or in ?token=: accepted
 *     only when it is the API key, or a JWT whose signature is exactly
 *     the HS256 of its first two parts under the secret, with alg HS256;
 *  1  any header and claims (the text before the first newline, and
 *     after it; without one, the claims under a plain header), signed
 *     with the secret: never a crash, and when accepted the grant is what
 *     the claims say (scopes named, the task claim, exp and nbf kept);
 *     signed with another key, or with one bit of the signature changed,
 *     always refused;
 *  2  any X-API-Key value: accepted only when it is the key.
 * Whatever is accepted, auth_allow grants no more than the scopes and
 * the task restriction given.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/keruta-serve/auth.c"
#include "kr_buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char secret[] = "fuzz-secret-0123456789abcdef";
static const char other[] = "fuzz-secret-0123456789abcdeF";
static const char apikey[] = "kr_fuzz_api_key_0123456789";
static const char keytask[] = "task123";

static struct auth *
test_auth(void)
{
	static struct auth a;
	static struct apikey k;

	if (a.secret == NULL) {
		a.secret = (unsigned char *)secret;
		a.secretlen = sizeof secret - 1;
		crypto_hash_sha256(k.hash, (const unsigned char *)apikey,
		    sizeof apikey - 1);
		k.scopes = SCOPE_READ;
		strcpy(k.task, keytask);
		a.keys = &k;
		a.nkeys = 1;
	}
	return &a;
}

static void
b64(struct kr_buf *b, const void *p, size_t n)
{
	size_t m = sodium_base64_ENCODED_LEN(n,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);

	if (kr_buf_reserve(b, m) == -1)
		abort();
	sodium_bin2base64(b->s + b->len, m, p, n,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	b->len += m - 1;
}

/* Appends the signature of b's text (header.claims) under key. */
static void
sign(struct kr_buf *b, const char *key)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)key,
	    strlen(key));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)b->s,
	    b->len);
	crypto_auth_hmacsha256_final(&st, mac);
	if (kr_buf_addc(b, '.') == -1)
		abort();
	b64(b, mac, sizeof mac);
}

/* Whether tok is a JWT signed by the secret, byte for byte. */
static int
signed_by_secret(const char *tok, size_t n)
{
	const char *d1 = memchr(tok, '.', n), *d2;
	struct kr_buf b;
	int ok;

	if (d1 == NULL || (d2 = memchr(d1 + 1, '.', (size_t)(tok + n - d1 -
	    1))) == NULL)
		return 0;
	kr_buf_init(&b, 1u << 20);
	if (kr_buf_add(&b, tok, (size_t)(d2 - tok)) == -1)
		abort();
	sign(&b, secret);
	ok = b.len == n && memcmp(b.s, tok, n) == 0;
	kr_buf_free(&b);
	return ok;
}

/* auth_allow grants what z holds, and no more. */
static void
check_allow(const struct auth *a, const struct authz *z)
{
	static const unsigned scopes[] = { SCOPE_READ, SCOPE_WRITE };
	static const char *const tasks[] = { NULL, "task123", "other" };
	const char *why = NULL;
	size_t i, t;
	int st;

	for (i = 0; i < 2; i++)
		for (t = 0; t < 3; t++) {
			st = auth_allow(a, z, scopes[i], tasks[t], &why);
			if (!z->ok && st != 401)
				abort();
			if (z->ok && (z->scopes & scopes[i]) == 0 && st != 403)
				abort();
			if (st == 0 && tasks[t] != NULL && z->task[0] != '\0' &&
			    strcmp(z->task, tasks[t]) != 0)
				abort();
			if (st != 0 && why == NULL)
				abort();
		}
}

/* A token accepted as a JWT: the grant is what its claims say. */
static void
check_claims(const char *tok, size_t n, const struct authz *z)
{
	const char *d1 = memchr(tok, '.', n), *d2;
	cJSON *h, *p, *v, *e;
	unsigned named = 0, m;

	d2 = memchr(d1 + 1, '.', (size_t)(tok + n - d1 - 1));
	if ((h = b64json(tok, (size_t)(d1 - tok))) == NULL ||
	    (p = b64json(d1 + 1, (size_t)(d2 - d1 - 1))) == NULL)
		abort();
	v = cJSON_GetObjectItemCaseSensitive(h, "alg");
	if (!cJSON_IsString(v) || strcmp(v->valuestring, "HS256") != 0)
		abort();
	v = cJSON_GetObjectItemCaseSensitive(p, "exp");
	/* A second may have passed since the check. */
	if (v != NULL && (!cJSON_IsNumber(v) || v->valuedouble + LEEWAY_S <
	    (double)(kr_wall_ns() / 1000000000 - 1)))
		abort();
	v = cJSON_GetObjectItemCaseSensitive(p, "nbf");
	if (v != NULL && (!cJSON_IsNumber(v) || v->valuedouble - LEEWAY_S >
	    (double)(kr_wall_ns() / 1000000000) + 1))
		abort();
	v = cJSON_GetObjectItemCaseSensitive(p, "scope");
	if (cJSON_IsString(v) && scopes_parse(v->valuestring,
	    strlen(v->valuestring), &m) == 0)
		named = m;
	else if (cJSON_IsArray(v))
		cJSON_ArrayForEach(e, v)
			if (cJSON_IsString(e) && scopes_parse(e->valuestring,
			    strlen(e->valuestring), &m) == 0)
				named |= m;
	if ((z->scopes & ~named) != 0)
		abort();
	v = cJSON_GetObjectItemCaseSensitive(p, "task");
	if (v == NULL ? z->task[0] != '\0' : !cJSON_IsString(v) ||
	    strcmp(v->valuestring, z->task) != 0 ||
	    !kr_id_valid(z->task, strlen(z->task)))
		abort();
	cJSON_Delete(h);
	cJSON_Delete(p);
}

static void
any_token(const struct auth *a, const char *tok, size_t n)
{
	struct authz z;

	memset(&z, 0, sizeof z);
	token_check(a, tok, n, &z);
	if (!z.ok) {
		if (z.why == NULL)
			abort();
	} else if (n == sizeof apikey - 1 && memcmp(tok, apikey, n) == 0) {
		if (z.scopes != SCOPE_READ || strcmp(z.task, keytask) != 0)
			abort();
	} else if (!signed_by_secret(tok, n)) {
		abort();	/* accepted, yet not ours */
	} else {
		check_claims(tok, n, &z);
	}
	check_allow(a, &z);
}

static void
claims(const struct auth *a, const char *s, size_t n)
{
	static const char plain[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	const char *nl = memchr(s, '\n', n), *hd = plain, *cl = s;
	size_t hl = sizeof plain - 1, cn = n, dot;
	struct kr_buf b, bad;
	struct authz z;

	if (nl != NULL) {
		hd = s;
		hl = (size_t)(nl - s);
		cl = nl + 1;
		cn = n - hl - 1;
	}
	kr_buf_init(&b, 1u << 20);
	kr_buf_init(&bad, 1u << 20);
	b64(&b, hd, hl);
	if (kr_buf_addc(&b, '.') == -1)
		abort();
	b64(&b, cl, cn);
	dot = b.len;
	if (kr_buf_add(&bad, b.s, b.len) == -1)
		abort();
	sign(&b, secret);
	any_token(a, b.s, b.len);

	/* Another key's signature. */
	sign(&bad, other);
	memset(&z, 0, sizeof z);
	token_check(a, bad.s, bad.len, &z);
	if (z.ok)
		abort();
	/* One bit of the signature changed, where base64url has room. */
	memcpy(bad.s, b.s, b.len);
	bad.len = b.len;
	bad.s[dot + 1] = bad.s[dot + 1] == 'A' ? 'B' : 'A';
	memset(&z, 0, sizeof z);
	token_check(a, bad.s, bad.len, &z);
	if (z.ok)
		abort();
	kr_buf_free(&b);
	kr_buf_free(&bad);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct auth *a = test_auth();
	const char *s = (const char *)data + 1;
	struct authz z;

	if (size == 0 || size > TOKEN_MAX)
		return 0;
	switch (data[0] % 3) {
	case 0:
		any_token(a, s, size - 1);
		break;
	case 1:
		claims(a, s, size - 1);
		break;
	default:
		memset(&z, 0, sizeof z);
		key_check(a, s, size - 1, &z);
		if (z.ok != (size - 1 == sizeof apikey - 1 &&
		    memcmp(s, apikey, size - 1) == 0))
			abort();
		check_allow(a, &z);
	}
	return 0;
}
