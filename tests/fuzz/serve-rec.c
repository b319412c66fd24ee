/*
 * serve-rec: keruta-serve's record and batch parser on any body, as JSON,
 * NDJSON, all or nothing and record by record; each record it takes is
 * written out as the server writes it, and that is JSON.
 *
 * links: tools/keruta-serve/rec.c
 */
#include <stdint.h>
#include <stdlib.h>

#include <cJSON.h>

#include "kr_buf.h"
#include "../../tools/keruta-serve/rec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct batch b;
	static struct kr_buf out;
	static int ready;
	struct srv_err e;
	int single, flags;
	size_t i;
	cJSON *j;

	if (!ready) {
		batch_init(&b);
		kr_buf_init(&out, 1u << 30);
		ready = 1;
	}
	if (size == 0)
		return 0;
	flags = data[0] & (BP_NDJSON | BP_EACH);
	batch_reset(&b);
	if (batch_parse(&b, (const char *)data + 1, size - 1, flags, &single,
	    &e) == -1) {
		if (e.status < 400 || e.status > 499 || e.code == NULL)
			abort();
		return 0;
	}
	for (i = 0; i < b.n; i++) {
		if (b.rows[i].code != NULL)
			continue;
		out.len = 0;
		if (fmt_row(&out, "task", &b.rows[i]) == -1)
			abort();
		if ((j = cJSON_ParseWithLength(out.s, out.len)) == NULL)
			abort();
		cJSON_Delete(j);
	}
	return 0;
}
