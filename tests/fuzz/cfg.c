/*
 * cfg: lib/kr_cfg's YAML reader on any file: loaded or refused with a
 * reason, never a crash; keys read back.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kr_cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/kr-fuzz-cfg.XXXXXX", err[256];
	struct kr_cfg *c;
	int fd;

	if ((fd = mkstemp(path)) == -1)
		return 0;
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	err[0] = '\0';
	c = kr_cfg_load(path, err, sizeof err);
	unlink(path);
	if (c == NULL) {
		if (err[0] == '\0' || memchr(err, '\0', sizeof err) == NULL)
			abort();
		return 0;
	}
	(void)kr_cfg_get(c, "logStreaming.batchSize", NULL, "10");
	(void)kr_cfg_get(c, "websocket.url", NULL, NULL);
	(void)kr_cfg_yaml(c, "api.url");
	kr_cfg_free(c);
	return 0;
}
