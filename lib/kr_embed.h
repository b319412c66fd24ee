/* kr_embed: static files compiled into a program (scripts/embed-files). */
#ifndef KR_EMBED_H
#define KR_EMBED_H

#include <stddef.h>

struct kr_embed {
	const char *path;	/* "/index.html" */
	const char *type;	/* MIME type */
	const unsigned char *data;
	size_t len;
};

/* Ends with an entry whose path is NULL. */
extern const struct kr_embed kr_embedded[];

#endif
