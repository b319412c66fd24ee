/*
 * kr_cfg: configuration in rising priority: built-in defaults, the YAML
 * file (--config, KERUTA_CONFIG), KERUTA_* environment variables, then the
 * tool's own flags (applied by the caller after kr_cfg_get).
 */
#ifndef KR_CFG_H
#define KR_CFG_H

#include <stddef.h>

struct kr_cfg;

/*
 * Loads the YAML file at path, or at $KERUTA_CONFIG when path is NULL; no
 * file at all gives an empty configuration (shared, not allocated; freeing
 * it does nothing). Nested mappings flatten to dotted keys
 * ("logStreaming.batchSize"); sequences of scalars join with ','. NULL on
 * a missing or malformed file, with a one-line reason (file, line, what)
 * in err.
 */
struct kr_cfg *kr_cfg_load(const char *path, char *err, size_t errlen);
void kr_cfg_free(struct kr_cfg *c);
/*
 * The value for a setting: the environment variable env (when set and
 * not empty; env may be NULL), else the YAML key (may be NULL), else def.
 */
const char *kr_cfg_get(const struct kr_cfg *c, const char *key,
    const char *env, const char *def);
/* The YAML value alone, or NULL. */
const char *kr_cfg_yaml(const struct kr_cfg *c, const char *key);
/* The file that was loaded, or NULL when there was none. */
const char *kr_cfg_path(const struct kr_cfg *c);
/*
 * The keys of the file, in the order they first appear: kr_cfg_count of
 * them; kr_cfg_key gives the i-th (NULL past the end) and, when line is
 * not NULL, the line of the file its first value is on.
 */
size_t kr_cfg_count(const struct kr_cfg *c);
const char *kr_cfg_key(const struct kr_cfg *c, size_t i,
    unsigned long *line);

#endif
