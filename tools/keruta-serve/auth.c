/*
 * auth.c: JWT HS256 (libsodium HMAC, constant-time compare, alg must be
 * exactly HS256) and API keys kept as SHA-256 hashes. Credentials come
 * from "Authorization: Bearer", "X-API-Key" or "?token=".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>
#include <sodium.h>

#include "kr_diag.h"
#include "kr_id.h"
#include "kr_io.h"
#include "kr_time.h"
#include "auth.h"

#define LEEWAY_S	30	/* clock skew allowed on exp and nbf */
#define TOKEN_MAX	8192

struct apikey {
	char name[65];
	unsigned char hash[crypto_hash_sha256_BYTES];
	unsigned scopes;
	char task[KR_ID_MAX + 1];
};

struct auth {
	unsigned char *secret;
	size_t secretlen;
	struct apikey *keys;
	size_t nkeys;
};

static int
scopes_parse(const char *s, size_t n, unsigned *out)
{
	const char *p = s, *e = s + n, *w;
	unsigned m = 0;

	while (p < e) {
		while (p < e && (*p == ' ' || *p == ','))
			p++;
		w = p;
		while (p < e && *p != ' ' && *p != ',')
			p++;
		if (p - w == 10 && strncmp(w, "logs:write", 10) == 0)
			m |= SCOPE_WRITE;
		else if (p - w == 10 && strncmp(w, "logs:admin", 10) == 0)
			m |= SCOPE_ADMIN;
		else if (p - w == 9 && strncmp(w, "logs:read", 9) == 0)
			m |= SCOPE_READ;
		else if (p > w && out == NULL)
			return -1;
	}
	if (out != NULL)
		*out = m;
	return 0;
}

static void
keys_load(struct auth *a, const char *path)
{
	char *text, *line, *save, *f[5], *t;
	size_t len, cap = 0;
	int lineno = 0, nf;

	if ((text = kr_read_file(path, 1u << 24, &len)) == NULL)
		kr_diesys(KR_EX_USAGE, "unable to read API keys '%s'", path);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		struct apikey *k;
		size_t hl;

		lineno++;
		for (nf = 0, t = line; nf < 5; nf++) {
			while (*t == ' ' || *t == '\t' || *t == '\r')
				t++;
			if (*t == '\0' || *t == '#')
				break;
			f[nf] = t;
			t += strcspn(t, " \t\r");
			if (*t != '\0')
				*t++ = '\0';
		}
		if (nf == 0)
			continue;
		if (nf < 3 || nf > 4)
			kr_die(KR_EX_USAGE, "API keys '%s' line %d: want: name "
			    "sha256-hex scopes [task]", path, lineno);
		if (a->nkeys == cap) {
			cap = cap ? cap * 2 : 8;
			if ((k = realloc(a->keys, cap * sizeof *k)) == NULL)
				kr_diesys(KR_EX_TEMP, "out of memory");
			a->keys = k;
		}
		k = &a->keys[a->nkeys];
		memset(k, 0, sizeof *k);
		snprintf(k->name, sizeof k->name, "%s", f[0]);
		if (strncmp(f[1], "sha256:", 7) == 0)
			f[1] += 7;
		if (strlen(f[1]) != 64 || sodium_hex2bin(k->hash,
		    sizeof k->hash, f[1], 64, NULL, &hl, NULL) != 0 ||
		    hl != sizeof k->hash)
			kr_die(KR_EX_USAGE, "API keys '%s' line %d: the hash "
			    "must be 64 hex digits (keruta-serve --hash-key)",
			    path, lineno);
		if (scopes_parse(f[2], strlen(f[2]), NULL) == -1 ||
		    scopes_parse(f[2], strlen(f[2]), &k->scopes) == -1 ||
		    k->scopes == 0)
			kr_die(KR_EX_USAGE, "API keys '%s' line %d: scopes are "
			    "logs:read, logs:write and logs:admin, "
			    "comma-separated", path, lineno);
		if (nf == 4) {
			if (!kr_id_valid(f[3], strlen(f[3])))
				kr_die(KR_EX_USAGE, "API keys '%s' line %d: bad "
				    "task", path, lineno);
			snprintf(k->task, sizeof k->task, "%s", f[3]);
		}
		a->nkeys++;
	}
	sodium_memzero(text, len);
	free(text);
	if (a->nkeys == 0)
		kr_die(KR_EX_USAGE, "API keys '%s': no keys", path);
}

struct auth *
auth_load(const char *jwt_file, const char *keys_file)
{
	struct auth *a;
	size_t len;
	char *t;

	if ((a = calloc(1, sizeof *a)) == NULL)
		kr_diesys(KR_EX_TEMP, "out of memory");
	if (jwt_file != NULL) {
		if ((t = kr_read_file(jwt_file, 1u << 16, &len)) == NULL)
			kr_diesys(KR_EX_USAGE, "unable to read the JWT secret "
			    "'%s'", jwt_file);
		while (len > 0 && (t[len - 1] == '\n' || t[len - 1] == '\r'))
			t[--len] = '\0';
		if (len < 16) {
			sodium_memzero(t, len);
			free(t);
			kr_die(KR_EX_USAGE, "the JWT secret '%s' is shorter "
			    "than 16 bytes", jwt_file);
		}
		a->secret = (unsigned char *)t;
		a->secretlen = len;
	}
	if (keys_file != NULL)
		keys_load(a, keys_file);
	return a;
}

void
auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	if (a->secret != NULL) {
		sodium_memzero(a->secret, a->secretlen);
		free(a->secret);
	}
	if (a->keys != NULL) {
		sodium_memzero(a->keys, a->nkeys * sizeof *a->keys);
		free(a->keys);
	}
	free(a);
}

int
auth_enabled(const struct auth *a)
{
	return a != NULL && (a->secret != NULL || a->nkeys > 0);
}

/* Decodes base64url without padding; the whole input must be used. */
static int
b64url(const char *s, size_t n, unsigned char *out, size_t max, size_t *len)
{
	const char *end = NULL;
	size_t i;

	/*
	 * libsodium takes some bytes outside the alphabet (such as '_' with
	 * its high bit set) for letters: one signature, many spellings.
	 */
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' &&
		    s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-' || s[i] == '_'))
			return -1;

	if (sodium_base642bin(out, max, s, n, NULL, len, &end,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 || end != s + n)
		return -1;
	return 0;
}

static cJSON *
b64json(const char *s, size_t n)
{
	unsigned char *buf;
	size_t len;
	cJSON *j = NULL;

	if ((buf = malloc(n + 1)) == NULL)
		return NULL;
	if (b64url(s, n, buf, n + 1, &len) == 0)
		j = cJSON_ParseWithLength((const char *)buf, len);
	free(buf);
	if (j != NULL && !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		j = NULL;
	}
	return j;
}

/*
 * Over 80 lines: the token's checks one after another, signature first,
 * in the order that says which one failed.
 */
int
jwt_verify(const unsigned char *key, size_t keylen, const char *tok, size_t n,
    long long now, struct authz *z)
{
	crypto_auth_hmacsha256_state st;
	unsigned char sig[crypto_auth_hmacsha256_BYTES + 8],
	    mac[crypto_auth_hmacsha256_BYTES];
	const char *d1, *d2;
	cJSON *h = NULL, *p = NULL, *v;
	size_t sl;

	z->ok = 0;
	z->why = "the token is not a valid JWT";
	if ((d1 = memchr(tok, '.', n)) == NULL ||
	    (d2 = memchr(d1 + 1, '.', (size_t)(tok + n - d1 - 1))) == NULL ||
	    memchr(d2 + 1, '.', (size_t)(tok + n - d2 - 1)) != NULL)
		return -1;
	if (b64url(d2 + 1, (size_t)(tok + n - d2 - 1), sig, sizeof sig,
	    &sl) == -1 || sl != crypto_auth_hmacsha256_BYTES) {
		z->why = "the token's signature is not HS256";
		return -1;
	}
	crypto_auth_hmacsha256_init(&st, key, keylen);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)tok,
	    (unsigned long long)(d2 - tok));
	crypto_auth_hmacsha256_final(&st, mac);
	if (sodium_memcmp(mac, sig, sizeof mac) != 0) {
		z->why = "the token's signature does not match";
		return -1;
	}
	if ((h = b64json(tok, (size_t)(d1 - tok))) == NULL ||
	    (p = b64json(d1 + 1, (size_t)(d2 - d1 - 1))) == NULL)
		goto out;
	v = cJSON_GetObjectItemCaseSensitive(h, "alg");
	if (!cJSON_IsString(v) || strcmp(v->valuestring, "HS256") != 0) {
		z->why = "the token's alg must be HS256";
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(p, "exp");
	if (v != NULL && (!cJSON_IsNumber(v) ||
	    (double)now > v->valuedouble + LEEWAY_S)) {
		z->why = "the token has expired";
		goto out;
	}
	/* Kept for connections that outlive the request (a WebSocket). */
	z->exp = v == NULL ? 0 : v->valuedouble < 1 ? 1 :
	    v->valuedouble > 9e15 ? (long long)9e15 : (long long)v->valuedouble;
	v = cJSON_GetObjectItemCaseSensitive(p, "nbf");
	if (v != NULL && (!cJSON_IsNumber(v) ||
	    (double)now + LEEWAY_S < v->valuedouble)) {
		z->why = "the token is not valid yet";
		goto out;
	}
	z->scopes = 0;
	v = cJSON_GetObjectItemCaseSensitive(p, "scope");
	if (cJSON_IsString(v))
		scopes_parse(v->valuestring, strlen(v->valuestring),
		    &z->scopes);
	else if (cJSON_IsArray(v)) {
		cJSON *e;
		unsigned m;

		cJSON_ArrayForEach(e, v)
			if (cJSON_IsString(e) && scopes_parse(e->valuestring,
			    strlen(e->valuestring), &m) == 0)
				z->scopes |= m;
	}
	v = cJSON_GetObjectItemCaseSensitive(p, "sub");
	if (cJSON_IsString(v))
		snprintf(z->who, sizeof z->who, "%s", v->valuestring);
	z->task[0] = '\0';
	v = cJSON_GetObjectItemCaseSensitive(p, "task");
	if (v != NULL) {
		if (!cJSON_IsString(v) || !kr_id_valid(v->valuestring,
		    strlen(v->valuestring))) {
			z->why = "the token's task claim is not a taskId";
			goto out;
		}
		snprintf(z->task, sizeof z->task, "%s", v->valuestring);
	}
	z->ok = 1;
	z->why = NULL;
out:
	cJSON_Delete(h);
	cJSON_Delete(p);
	sodium_memzero(mac, sizeof mac);
	return z->ok ? 0 : -1;
}

static void
key_check(const struct auth *a, const char *tok, size_t n, struct authz *z)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	size_t i, hit = (size_t)-1;

	crypto_hash_sha256(h, (const unsigned char *)tok, n);
	/* Every key is compared, so the time does not tell which matched. */
	for (i = 0; i < a->nkeys; i++)
		if (sodium_memcmp(h, a->keys[i].hash, sizeof h) == 0)
			hit = i;
	if (hit == (size_t)-1) {
		z->ok = 0;
		z->why = "unknown API key";
		return;
	}
	z->ok = 1;
	z->scopes = a->keys[hit].scopes;
	snprintf(z->who, sizeof z->who, "%s", a->keys[hit].name);
	snprintf(z->task, sizeof z->task, "%s", a->keys[hit].task);
}

static void
token_check(const struct auth *a, const char *tok, size_t n, struct authz *z)
{
	const char *d = memchr(tok, '.', n);

	if (d != NULL && memchr(d + 1, '.', (size_t)(tok + n - d - 1)) != NULL) {
		if (a->secret == NULL) {
			z->ok = 0;
			z->why = "JWTs are not configured";
			return;
		}
		jwt_verify(a->secret, a->secretlen, tok, n,
		    kr_wall_ns() / 1000000000, z);
		return;
	}
	if (a->nkeys == 0) {
		z->ok = 0;
		z->why = "the token is not a valid JWT";
		return;
	}
	key_check(a, tok, n, z);
}

void
auth_check(const struct auth *a, struct lws *wsi, struct authz *z)
{
	char *buf;
	int n;

	memset(z, 0, sizeof *z);
	if (!auth_enabled(a)) {
		z->ok = 1;
		z->scopes = SCOPE_READ | SCOPE_WRITE | SCOPE_ADMIN;
		return;
	}
	z->status = 401;
	z->why = "authentication required";
	if ((buf = malloc(TOKEN_MAX + 1)) == NULL)
		return;
	n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
	if (n > 0 && n <= TOKEN_MAX && lws_hdr_copy(wsi, buf, TOKEN_MAX + 1,
	    WSI_TOKEN_HTTP_AUTHORIZATION) == n) {
		if (n > 7 && strncasecmp(buf, "Bearer ", 7) == 0)
			token_check(a, buf + 7, (size_t)n - 7, z);
		else
			z->why = "the Authorization header must be Bearer";
		goto out;
	}
	n = lws_hdr_custom_length(wsi, "x-api-key:", 10);
	if (n > 0 && n <= TOKEN_MAX && lws_hdr_custom_copy(wsi, buf,
	    TOKEN_MAX + 1, "x-api-key:", 10) == n) {
		if (a->nkeys == 0)
			z->why = "API keys are not configured";
		else
			key_check(a, buf, (size_t)n, z);
		goto out;
	}
	if (lws_get_urlarg_by_name(wsi, "token=", buf, TOKEN_MAX) != NULL) {
		n = (int)strlen(buf);
		if (n > 6)
			token_check(a, buf + 6, (size_t)n - 6, z);
	}
out:
	sodium_memzero(buf, TOKEN_MAX + 1);
	free(buf);
}

long long
auth_deadline(const struct authz *z)
{
	return z->ok && z->exp != 0 ? z->exp + LEEWAY_S : 0;
}

int
auth_allow(const struct auth *a, const struct authz *z, unsigned scope,
    const char *task, const char **why)
{
	if (!auth_enabled(a))
		return 0;
	if (!z->ok) {
		*why = z->why ? z->why : "authentication required";
		return 401;
	}
	if ((z->scopes & scope) == 0) {
		*why = scope == SCOPE_WRITE ? "the token lacks scope logs:write"
		    : scope == SCOPE_ADMIN ? "the token lacks scope logs:admin"
		    : "the token lacks scope logs:read";
		return 403;
	}
	if (task != NULL && z->task[0] != '\0' && strcmp(task, z->task) != 0) {
		*why = "the token is restricted to another task";
		return 403;
	}
	return 0;
}
