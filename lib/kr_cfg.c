/* kr_cfg: defaults < YAML file < KERUTA_* environment < flags. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "kr_cfg.h"

#define KR_CFG_DEPTH 8

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

struct kr_cfg *
kr_cfg_load(const char *path, char *err, size_t errlen)
{
	/* Per nesting level: the key path so far, and whether the next
	 * scalar in a mapping is a key. */
	char keys[KR_CFG_DEPTH][256];
	int expect_key[KR_CFG_DEPTH], in_seq[KR_CFG_DEPTH];
	struct kr_cfg *c;
	yaml_parser_t p;
	yaml_event_t ev;
	int depth = -1, done = 0, ok = 1;
	FILE *f;

	if (path == NULL && (path = getenv("KERUTA_CONFIG")) != NULL &&
	    *path == '\0')
		path = NULL;
	/* No file: nothing to hold, so nothing that a tool dying on a bad
	 * flag could leave allocated. */
	if (path == NULL)
		return &cfg_empty;
	if ((c = calloc(1, sizeof *c)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((c->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		kr_cfg_free(c);
		return NULL;
	}
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "unable to open '%s': %s", path,
		    strerror(errno));
		kr_cfg_free(c);
		return NULL;
	}
	yaml_parser_initialize(&p);
	yaml_parser_set_input_file(&p, f);
	keys[0][0] = '\0';
	while (!done && ok) {
		if (!yaml_parser_parse(&p, &ev)) {
			snprintf(err, errlen, "'%s' line %lu: %s", path,
			    (unsigned long)p.problem_mark.line + 1,
			    p.problem ? p.problem : "malformed YAML");
			ok = 0;
			break;
		}
		switch (ev.type) {
		case YAML_MAPPING_START_EVENT:
			if (depth + 1 >= KR_CFG_DEPTH) {
				snprintf(err, errlen, "'%s' line %lu: nested too"
				    " deeply", path,
				    (unsigned long)ev.start_mark.line + 1);
				ok = 0;
				break;
			}
			depth++;
			if (depth > 0) {
				if (in_seq[depth - 1]) {
					snprintf(err, errlen, "'%s' line %lu: "
					    "mappings in sequences are not "
					    "settings", path, (unsigned long)
					    ev.start_mark.line + 1);
					ok = 0;
					break;
				}
				/* The parent key becomes this prefix. */
				memcpy(keys[depth], keys[depth - 1],
				    sizeof keys[depth]);
				expect_key[depth - 1] = 1;
			} else
				keys[0][0] = '\0';
			expect_key[depth] = 1;
			in_seq[depth] = 0;
			break;
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_SEQUENCE_START_EVENT:
			if (depth < 0 || in_seq[depth]) {
				snprintf(err, errlen, "'%s' line %lu: expected "
				    "a mapping of settings", path,
				    (unsigned long)ev.start_mark.line + 1);
				ok = 0;
				break;
			}
			in_seq[depth] = 1;
			break;
		case YAML_SEQUENCE_END_EVENT:
			in_seq[depth] = 0;
			expect_key[depth] = 1;
			break;
		case YAML_SCALAR_EVENT: {
			const char *v = (const char *)ev.data.scalar.value;
			size_t vlen = ev.data.scalar.length;
			char *base = depth > 0 ? keys[depth] : keys[0];

			if (depth < 0) {
				snprintf(err, errlen, "'%s': expected a "
				    "mapping of settings", path);
				ok = 0;
				break;
			}
			c->line = (unsigned long)ev.start_mark.line + 1;
			if (in_seq[depth]) {
				/* keys[depth] ends in ".key" being filled */
				if (cfg_append(c, base, v, vlen) == -1)
					ok = 0;
			} else if (expect_key[depth]) {
				size_t keep;

				/* Drop the previous sibling key. */
				keep = depth == 0 ? 0 : strlen(keys[depth - 1]);
				if (snprintf(base + keep, sizeof keys[0] - keep,
				    "%s%.*s", keep ? "." : "", (int)vlen, v) >=
				    (int)(sizeof keys[0] - keep)) {
					snprintf(err, errlen, "'%s' line %lu: "
					    "key too long", path, (unsigned long)
					    ev.start_mark.line + 1);
					ok = 0;
					break;
				}
				expect_key[depth] = 0;
			} else {
				if (cfg_set(c, base, v, vlen) == -1)
					ok = 0;
				expect_key[depth] = 1;
			}
			break;
		}
		case YAML_ALIAS_EVENT:
			snprintf(err, errlen, "'%s' line %lu: aliases are not "
			    "supported", path,
			    (unsigned long)ev.start_mark.line + 1);
			ok = 0;
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	fclose(f);
	if (!ok) {
		kr_cfg_free(c);
		return NULL;
	}
	return c;
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
