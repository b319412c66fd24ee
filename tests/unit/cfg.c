/* Unit tests: kr_cfg (YAML file, environment, defaults). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kr_cfg.h"
#include "tap.h"

static char path[64];

static void
write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

int
main(void)
{
	struct kr_cfg *c;
	char err[256];
	int fd;

	strcpy(path, "/tmp/kr-cfg-XXXXXX");
	fd = mkstemp(path);
	close(fd);
	unsetenv("KERUTA_CONFIG");
	unsetenv("KERUTA_LOG_BATCH_SIZE");

	write_file("logStreaming:\n  enabled: true\n  batchSize: 25\n"
	    "  flushInterval: 250ms\nwebsocket:\n  url: ws://h/ws\n"
	    "  timeout: 5s\napi:\n  url: \"http://h/api\"\n"
	    "sources: [stdout, stderr]\n");
	c = kr_cfg_load(path, err, sizeof err);
	ok(c != NULL, "a valid file loads");
	is(kr_cfg_get(c, "logStreaming.batchSize", "KERUTA_LOG_BATCH_SIZE",
	    "10"), "25", "the file beats the default");
	setenv("KERUTA_LOG_BATCH_SIZE", "50", 1);
	is(kr_cfg_get(c, "logStreaming.batchSize", "KERUTA_LOG_BATCH_SIZE",
	    "10"), "50", "the environment beats the file");
	setenv("KERUTA_LOG_BATCH_SIZE", "", 1);
	is(kr_cfg_get(c, "logStreaming.batchSize", "KERUTA_LOG_BATCH_SIZE",
	    "10"), "25", "an empty variable counts as unset");
	is(kr_cfg_get(c, "logStreaming.bufferSize", NULL, "1000"), "1000",
	    "a missing key gives the default");
	is(kr_cfg_yaml(c, "websocket.url"), "ws://h/ws", "sibling mapping");
	is(kr_cfg_yaml(c, "websocket.timeout"), "5s", "second key of it");
	is(kr_cfg_yaml(c, "api.url"), "http://h/api", "quoted scalar");
	is(kr_cfg_yaml(c, "logStreaming.flushInterval"), "250ms",
	    "keys after a sibling keep their parent");
	is(kr_cfg_yaml(c, "sources"), "stdout,stderr", "a sequence joins");
	{
		unsigned long line = 0;

		ok(kr_cfg_count(c) == 7, "seven keys");
		is(kr_cfg_key(c, 0, &line), "logStreaming.enabled",
		    "the first key, in file order");
		ok(line == 2, "on line 2");
		is(kr_cfg_key(c, 6, &line), "sources", "the last key");
		ok(line == 10, "its line");
		ok(kr_cfg_key(c, 7, NULL) == NULL, "none past the end");
		is(kr_cfg_path(c), path, "the file is known");
	}
	kr_cfg_free(c);

	write_file("logStreaming:\n  batchSize: [1\n");
	c = kr_cfg_load(path, err, sizeof err);
	ok(c == NULL, "malformed YAML is refused");
	ok(strstr(err, "line") != NULL, "the reason names the line");

	setenv("KERUTA_CONFIG", path, 1);
	write_file("api:\n  retryCount: 3\n");
	c = kr_cfg_load(NULL, err, sizeof err);
	is(kr_cfg_yaml(c, "api.retryCount"), "3", "KERUTA_CONFIG names it");
	kr_cfg_free(c);
	unsetenv("KERUTA_CONFIG");
	c = kr_cfg_load(NULL, err, sizeof err);
	ok(c != NULL && kr_cfg_yaml(c, "api.retryCount") == NULL,
	    "no file is an empty configuration");
	ok(kr_cfg_path(c) == NULL && kr_cfg_count(c) == 0,
	    "no file, no path and no keys");
	kr_cfg_free(c);
	c = kr_cfg_load("/nonexistent/keruta.yaml", err, sizeof err);
	ok(c == NULL && strstr(err, "/nonexistent/keruta.yaml") != NULL,
	    "a missing file is refused, by name");
	unlink(path);
	return done_testing();
}
