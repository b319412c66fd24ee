/* kr_cfg: defaults < YAML file < KERUTA_* environment < flags. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "kr_cfg.h"

#define KR_CFG_DEPTH 8
#define KR_CFG_PRINTF(f, a) __attribute__((format(printf, f, a)))

struct kr_cfg_kv {
	char *key, *val;
	unsigned long line;
};

struct kr_cfg {
	struct kr_cfg_kv *kv;
	size_t n, cap;
	char *path;
	unsigned long line;	/* of the value being set */
};

static struct kr_cfg cfg_empty;

static int
cfg_set(struct kr_cfg *c, const char *key, const char *val, size_t vlen)
{
	struct kr_cfg_kv *kv;
	size_t i;
	char *v;

	if ((v = strndup(val, vlen)) == NULL)
		return -1;
	for (i = 0; i < c->n; i++) {
		if (strcmp(c->kv[i].key, key) == 0) {
			free(c->kv[i].val);
			c->kv[i].val = v;
			return 0;
		}
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;

		if ((kv = realloc(c->kv, cap * sizeof *kv)) == NULL)
			goto fail;
		c->kv = kv;
		c->cap = cap;
	}
	if ((c->kv[c->n].key = strdup(key)) == NULL)
		goto fail;
	c->kv[c->n].line = c->line;
	c->kv[c->n++].val = v;
	return 0;
fail:
	free(v);
	return -1;
}

/* Appends ",val" to the sequence value at key. */
static int
cfg_append(struct kr_cfg *c, const char *key, const char *val, size_t vlen)
{
	const char *old = kr_cfg_yaml(c, key);
	char *joined;
	int r;

	if (old == NULL)
		return cfg_set(c, key, val, vlen);
	if ((joined = malloc(strlen(old) + vlen + 2)) == NULL)
		return -1;
	sprintf(joined, "%s,%.*s", old, (int)vlen, val);
	r = cfg_set(c, key, joined, strlen(joined));
	free(joined);
	return r;
}

/* The state of one file's parse: per nesting level, the key path so far,
 * and whether the next scalar in a mapping is a key. */
struct cfg_parse {
	struct kr_cfg *c;
	const char *path;
	char *err;
	size_t errlen;
	char keys[KR_CFG_DEPTH][256];
	int expect_key[KR_CFG_DEPTH], in_seq[KR_CFG_DEPTH];
	int depth;
};

/* Says what is wrong at the event's line; -1. */
static int KR_CFG_PRINTF(3, 4)
cfg_fail(struct cfg_parse *p, const yaml_event_t *ev, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "'%s' line %lu: %s", p->path,
	    (unsigned long)ev->start_mark.line + 1, what);
	return -1;
}

static int
cfg_mapping_start(struct cfg_parse *p, const yaml_event_t *ev)
{
	int d = p->depth + 1;

	if (d >= KR_CFG_DEPTH)
		return cfg_fail(p, ev, "nested too deeply");
	if (d > 0) {
		if (p->in_seq[d - 1])
			return cfg_fail(p, ev, "mappings in sequences are not "
			    "settings");
		/* The parent key becomes this prefix. */
		memcpy(p->keys[d], p->keys[d - 1], sizeof p->keys[d]);
		p->expect_key[d - 1] = 1;
	} else
		p->keys[0][0] = '\0';
	p->depth = d;
	p->expect_key[d] = 1;
	p->in_seq[d] = 0;
	return 0;
}

static int
cfg_scalar(struct cfg_parse *p, const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	size_t vlen = ev->data.scalar.length, keep;
	int d = p->depth;
	char *base = d > 0 ? p->keys[d] : p->keys[0];

	if (d < 0) {
		snprintf(p->err, p->errlen, "'%s': expected a mapping of "
		    "settings", p->path);
		return -1;
	}
	p->c->line = (unsigned long)ev->start_mark.line + 1;
	if (p->in_seq[d])	/* keys[d] ends in ".key" being filled */
		return cfg_append(p->c, base, v, vlen);
	if (!p->expect_key[d]) {
		p->expect_key[d] = 1;
		return cfg_set(p->c, base, v, vlen);
	}
	/* Drop the previous sibling key. */
	keep = d == 0 ? 0 : strlen(p->keys[d - 1]);
	if (snprintf(base + keep, sizeof p->keys[0] - keep, "%s%.*s",
	    keep ? "." : "", (int)vlen, v) >= (int)(sizeof p->keys[0] - keep))
		return cfg_fail(p, ev, "key too long");
	p->expect_key[d] = 0;
	return 0;
}

/* One event of the parse: 0 to go on, 1 at the end, -1 on an error. */
static int
cfg_event(struct cfg_parse *p, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_MAPPING_START_EVENT:
		return cfg_mapping_start(p, ev);
	case YAML_MAPPING_END_EVENT:
		p->depth--;
		return 0;
	case YAML_SEQUENCE_START_EVENT:
		if (p->depth < 0 || p->in_seq[p->depth])
			return cfg_fail(p, ev, "expected a mapping of settings");
		p->in_seq[p->depth] = 1;
		return 0;
	case YAML_SEQUENCE_END_EVENT:
		p->in_seq[p->depth] = 0;
		p->expect_key[p->depth] = 1;
		return 0;
	case YAML_SCALAR_EVENT:
		return cfg_scalar(p, ev);
	case YAML_ALIAS_EVENT:
		return cfg_fail(p, ev, "aliases are not supported");
	case YAML_STREAM_END_EVENT:
		return 1;
	default:
		return 0;
	}
}

/* Parses the open file f into p->c: 0, or -1 with p->err said. */
static int
cfg_parse_file(struct cfg_parse *p, FILE *f)
{
	yaml_parser_t yp;
	yaml_event_t ev;
	int r = 0;

	yaml_parser_initialize(&yp);
	yaml_parser_set_input_file(&yp, f);
	while (r == 0) {
		if (!yaml_parser_parse(&yp, &ev)) {
			snprintf(p->err, p->errlen, "'%s' line %lu: %s",
			    p->path, (unsigned long)yp.problem_mark.line + 1,
			    yp.problem ? yp.problem : "malformed YAML");
			r = -1;
			break;
		}
		r = cfg_event(p, &ev);
		if (r == -1 && p->err[0] == '\0')
			snprintf(p->err, p->errlen, "out of memory");
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&yp);
	return r == -1 ? -1 : 0;
}

struct kr_cfg *
kr_cfg_load(const char *path, char *err, size_t errlen)
{
	struct cfg_parse p;
	FILE *f;

	if (path == NULL && (path = getenv("KERUTA_CONFIG")) != NULL &&
	    *path == '\0')
		path = NULL;
	/* No file: nothing to hold, so nothing that a tool dying on a bad
	 * flag could leave allocated. */
	if (path == NULL)
		return &cfg_empty;
	memset(&p, 0, sizeof p);
	p.path = path;
	p.err = err;
	p.errlen = errlen;
	p.depth = -1;
	err[0] = '\0';
	if ((p.c = calloc(1, sizeof *p.c)) == NULL ||
	    (p.c->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		kr_cfg_free(p.c);
		return NULL;
	}
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "unable to open '%s': %s", path,
		    strerror(errno));
		kr_cfg_free(p.c);
		return NULL;
	}
	if (cfg_parse_file(&p, f) == -1) {
		fclose(f);
		kr_cfg_free(p.c);
		return NULL;
	}
	fclose(f);
	return p.c;
}

void
kr_cfg_free(struct kr_cfg *c)
{
	size_t i;

	if (c == NULL || c == &cfg_empty)
		return;
	for (i = 0; i < c->n; i++) {
		free(c->kv[i].key);
		free(c->kv[i].val);
	}
	free(c->kv);
	free(c->path);
	free(c);
}

const char *
kr_cfg_path(const struct kr_cfg *c)
{
	return c != NULL ? c->path : NULL;
}

size_t
kr_cfg_count(const struct kr_cfg *c)
{
	return c != NULL ? c->n : 0;
}

const char *
kr_cfg_key(const struct kr_cfg *c, size_t i, unsigned long *line)
{
	if (c == NULL || i >= c->n)
		return NULL;
	if (line != NULL)
		*line = c->kv[i].line;
	return c->kv[i].key;
}

const char *
kr_cfg_yaml(const struct kr_cfg *c, const char *key)
{
	size_t i;

	if (c == NULL || key == NULL)
		return NULL;
	for (i = 0; i < c->n; i++)
		if (strcmp(c->kv[i].key, key) == 0)
			return c->kv[i].val;
	return NULL;
}

const char *
kr_cfg_get(const struct kr_cfg *c, const char *key, const char *env,
    const char *def)
{
	const char *v;

	if (env != NULL && (v = getenv(env)) != NULL && *v != '\0')
		return v;
	if ((v = kr_cfg_yaml(c, key)) != NULL)
		return v;
	return def;
}
