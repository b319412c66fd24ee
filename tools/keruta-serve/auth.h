/*
 * auth.h: who may do what: JWTs (HS256) and API keys, from a request's
 * headers or its ?token=.
 */
#ifndef AUTH_H
#define AUTH_H

#include <stddef.h>

#include <libwebsockets.h>

#include "kr_id.h"

enum { SCOPE_READ = 1, SCOPE_WRITE = 2, SCOPE_ADMIN = 4 };

struct authz {
	int ok;			/* a credential was given and is valid */
	int status;		/* when !ok: 401 */
	unsigned scopes;
	char task[KR_ID_MAX + 1];	/* restriction; "" for none */
	long long exp;		/* the token's exp (seconds), 0 for none */
	char who[65];		/* the token's sub, the key's name, or "" */
	const char *why;
};

struct auth;
/* NULL files: no auth (open). Exits on a bad file. */
struct auth *auth_load(const char *jwt_file, const char *keys_file);
void auth_free(struct auth *a);
int auth_enabled(const struct auth *a);
/* Checks the credentials of a request. */
void auth_check(const struct auth *a, struct lws *wsi, struct authz *z);
/*
 * 0 when z allows scope on task (NULL: any task); else the HTTP status
 * (401 or 403) with *why set.
 */
int auth_allow(const struct auth *a, const struct authz *z, unsigned scope,
    const char *task, const char **why);
/*
 * The time (seconds since the epoch) after which the credential of z no
 * longer holds (its exp, with the leeway), or 0 when it does not expire.
 */
long long auth_deadline(const struct authz *z);
/* Verifies a JWT; exported for tests of the same module. */
int jwt_verify(const unsigned char *key, size_t keylen, const char *tok,
    size_t n, long long now, struct authz *z);

#endif
