/*
 * filter: keruta-filter's detectors on any text, with a secret value
 * planted in it: every place the value stands is masked, whatever stands
 * around it, and the built-in rules never crash.
 *
 * links: tools/keruta-filter/filter_rules.c tools/keruta-filter/filter_values.c
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/keruta-filter/filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char secret[] = "Pl4nted-S3cret-V4lue";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct redactor r;
	static int ready;
	struct pem_state pem = { PEM_NONE, 0 };
	struct spans sp = { NULL, 0, 0 };
	size_t k, n, i, j;
	char *t;

	if (!ready) {
		redactor_init(&r);
		if (redactor_add_value(&r, secret, sizeof secret - 1,
		    redactor_rule(&r, "env")) == -1)
			abort();
		ready = 1;
	}
	if (size == 0)
		return 0;
	/* The first byte says where the value goes in the rest. */
	k = data[0] % size;
	data++, size--;
	n = size + sizeof secret - 1;
	if ((t = malloc(n + 1)) == NULL)
		return 0;
	memcpy(t, data, k);
	memcpy(t + k, secret, sizeof secret - 1);
	memcpy(t + k + sizeof secret - 1, data + k, size - k);
	t[n] = '\0';
	rules_scan(t, n, 0, &pem, 0, &sp);
	if (redactor_scan_extra(&r, t, n, 0, &sp) == -1)
		abort();
	spans_merge(&sp);
	for (i = 0; i + sizeof secret - 1 <= n; i++) {
		if (memcmp(t + i, secret, sizeof secret - 1) != 0)
			continue;
		for (j = 0; j < sp.n; j++)
			if (sp.v[j].start <= i &&
			    sp.v[j].end >= i + sizeof secret - 1)
				break;
		if (j == sp.n)
			abort();	/* the value got out */
	}
	free(sp.v);
	free(t);
	return 0;
}
