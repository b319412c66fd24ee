/*
 * The settings of each keruta program: its options and the configuration
 * it reads. A letter means one thing in every table (tests/unit/set.c);
 * the man pages list exactly these options.
 */
#include "kr_set.h"

#define N(a) (sizeof (a) / sizeof (a)[0])

/* Entries that mean the same in every program. */
#define E_CONFIG { 'c', "config", "file", "KERUTA_CONFIG", NULL, NULL, \
	KR_K_FILE, 0, "YAML configuration" }
#define E_HELP { 'h', "help", NULL, NULL, NULL, NULL, KR_K_FLAG, 0, \
	"print this help and exit" }
#define E_QUIET { 'q', "quiet", NULL, NULL, NULL, NULL, KR_K_FLAG, 0, \
	"print fatal messages only" }
#define E_VERBOSE { 'v', "verbose", NULL, NULL, NULL, NULL, KR_K_FLAG, 0, \
	"more messages (-vv: debug)" }
#define E_VERSION { 'V', "version", NULL, NULL, NULL, NULL, KR_K_FLAG, 0, \
	"print the version and exit" }
#define E_TASK(h) { 't', "task-id", "id", "KERUTA_TASK_ID", NULL, NULL, \
	KR_K_STR, 0, h }
#define E_LEVEL(env, h) { 'l', "level", "level", env, \
	"logStreaming.level", NULL, KR_K_LEVEL, 0, h }
#define E_TOKEN(h) { 'T', "token", "token", "KERUTA_AUTH_TOKEN", \
	"api.token", NULL, KR_K_SECRET, 0, h }
#define E_INSECURE { 'k', "insecure", NULL, NULL, NULL, NULL, KR_K_FLAG, 0, \
	"do not verify the server's certificate" }
#define E_CACERT { KR_O_CACERT, "cacert", "file", NULL, NULL, NULL, \
	KR_K_FILE, 0, "trust the CA certificates in file" }

static const struct kr_set capture[] = {
	E_HELP, E_QUIET, E_VERBOSE, E_VERSION,
	{ KR_O_EXIT_FILE, "exit-file", "file", NULL, NULL, NULL, KR_K_FILE, 0,
	    "write the exit status to file after the exit record" },
	{ KR_O_IDLE_FLUSH, "idle-flush", "duration", NULL, NULL, "100ms",
	    KR_K_DURATION, 0, "write a line without newline after this pause; 0: at the end" },
	{ KR_O_KILL_AFTER, "kill-after", "duration", NULL, NULL, "10s",
	    KR_K_DURATION, 0, "SIGKILL this long after a TERM or INT; 0: never" },
	{ KR_O_MAX_LINE, "max-line", "size", NULL, NULL, "64KiB", KR_K_SIZE, 0,
	    "split longer lines" },
	{ KR_O_NO_STDIN, "no-stdin", NULL, NULL, NULL, NULL, KR_K_FLAG, 0,
	    "command reads /dev/null, not stdin" },
	{ KR_O_PTY, "pty", NULL, NULL, NULL, NULL, KR_K_FLAG, 0,
	    "command's stdout is a pseudo-terminal" },
	{ 'r', "run-id", "id", NULL, NULL, NULL, KR_K_STR, 0,
	    "run id (default: 16 random hex digits)" },
	{ KR_O_STDERR_LEVEL, "stderr-level", "level", NULL, NULL, "ERROR",
	    KR_K_LEVEL, 0, "default level on stderr" },
	{ KR_O_STDOUT_LEVEL, "stdout-level", "level", NULL, NULL, "INFO",
	    KR_K_LEVEL, 0, "default level on stdout" },
	E_TASK("task id"),
	{ KR_O_TIMEOUT, "timeout", "duration", NULL, NULL, NULL, KR_K_DURATION,
	    0, "send TERM to the command after this long" },
};

static const struct kr_set filter[] = {
	E_CONFIG, E_HELP, E_QUIET, E_VERSION,
	{ 'H', "hold", "duration", NULL, NULL, "1s", KR_K_DURATION, 0,
	    "how long a partial record waits for its line; 0: not at all" },
	E_LEVEL("KERUTA_LOG_LEVEL", "drop records below level, not agent's"),
	{ KR_O_LIST_RULES, "list-rules", NULL, NULL, NULL, NULL, KR_K_FLAG, 0,
	    "print each built-in rule and an example, and exit" },
	{ KR_O_MASK_ENV, "mask-env", "name", NULL, NULL, NULL, KR_K_LIST, 0,
	    "mask the value of environment variable name" },
	{ KR_O_MASK_FILE, "mask-file", "file", NULL, NULL, NULL, KR_K_LIST, 0,
	    "mask each line of file as a value" },
	{ 'm', "max-bytes", "size", NULL, NULL, "16M", KR_K_SIZE, 0,
	    "longest record accepted" },
	{ KR_O_NO_REDACT, "no-redact", NULL, NULL, NULL, NULL, KR_K_FLAG, 0,
	    "do not redact, only filter" },
	{ 'R', "report", NULL, NULL, NULL, NULL, KR_K_FLAG, 0,
	    "at the end, an agent record of the counts per rule" },
	{ KR_O_RULES, "rules", "file", NULL, NULL, NULL, KR_K_FILE, 0,
	    "more rules: lines of \"name regex\" (POSIX ERE)" },
	{ KR_O_SECRET_DIR, "secret-dir", "dir", NULL, NULL, NULL, KR_K_LIST, 0,
	    "mask each file under dir (and /var/run/secrets)" },
	{ 's', "source", "list", NULL, NULL, NULL, KR_K_LIST, 0,
	    "keep only these sources (stdout,stderr,agent)" },
	{ 'v', "verbose", NULL, NULL, NULL, NULL, KR_K_FLAG, 0,
	    "counts per rule at the end (-vv: debug)" },
};

static const struct kr_set batch[] = {
	{ 'B', "buffer-size", "records", "KERUTA_LOG_BUFFER_SIZE",
	    "logStreaming.bufferSize", "1000", KR_K_INT, 0,
	    "records held at most" },
	{ 'b', "batch-size", "records", "KERUTA_LOG_BATCH_SIZE",
	    "logStreaming.batchSize", "10", KR_K_INT, 0,
	    "records per batch at most" },
	E_CONFIG, E_HELP, E_QUIET, E_VERBOSE, E_VERSION,
	{ 'i', "flush-interval", "duration", "KERUTA_LOG_FLUSH_INTERVAL",
	    "logStreaming.flushInterval", "1s", KR_K_DURATION, 0,
	    "the longest a record waits" },
	{ KR_O_LAST, "last", "file", NULL, NULL, NULL, KR_K_FILE, 0,
	    "at the end, write \"seq runId\" of the last record to file" },
	{ KR_O_LINGER, "linger", "duration", NULL, NULL, "5ms", KR_K_DURATION,
	    0, "input pause after which held records leave" },
	{ 'm', "max-bytes", "size", NULL, NULL, "1M", KR_K_SIZE, 0,
	    "bytes per batch line at most" },
	{ KR_O_RATE, "rate", "rate", NULL, NULL, "0", KR_K_INT, 0,
	    "records per second at most, burst rate; 0: no limit" },
	E_TASK("taskId for malformed lines and gaps"),
	{ 'w', "when-full", "block|drop", NULL, NULL, "block", KR_K_STR, 0,
	    "block: stop reading; drop: drop and report gaps" },
};

static const struct kr_set ship[] = {
	/* keruta-config lists these in this order. */
	{ KR_O_KEY, NULL, NULL, "KERUTA_WEBSOCKET_URL", "websocket.url",
	    "ws://localhost:8080/ws/tasks", KR_K_STR, 0,
	    "where -p ws delivers; url,url: the next when one fails" },
	{ KR_O_KEY, NULL, NULL, NULL, "websocket.timeout", "10s",
	    KR_K_DURATION, 0, "--timeout of -p ws" },
	{ KR_O_RECONNECT_INTERVAL, "reconnect-interval", "duration", NULL,
	    "websocket.reconnectInterval", "5s", KR_K_DURATION, 0,
	    "longest wait between tries" },
	{ KR_O_KEY, NULL, NULL, "KERUTA_API_URL", "api.url",
	    "http://localhost:8080/api/v1", KR_K_STR, 0,
	    "where -p rest and -p keruta-api deliver; a list too" },
	{ KR_O_KEY, NULL, NULL, NULL, "api.timeout", "10s", KR_K_DURATION, 0,
	    "--timeout of -p rest and -p keruta-api" },
	{ KR_O_RETRY_COUNT, "retry-count", "n", NULL, "api.retryCount", "3",
	    KR_K_INT, 0, "tries after a permanent-looking error" },
	E_TOKEN("send Authorization: Bearer token"),
	{ 'a', "api-key", "key", "KERUTA_API_KEY", "api.key", NULL,
	    KR_K_SECRET, 0, "send X-API-Key: key" },
	E_CACERT,
	{ KR_O_CHECK, "check", NULL, NULL, NULL, NULL, KR_K_FLAG, 0,
	    "check the settings and exit: 0 when a run would take them" },
	E_CONFIG,
	{ KR_O_DRAIN_TIMEOUT, "drain-timeout", "duration", NULL, NULL, "30s",
	    KR_K_DURATION, 0, "wait this long for acks at EOF" },
	E_HELP, E_INSECURE,
	{ 'p', "protocol", "ws|rest|keruta-api", NULL, NULL, "ws", KR_K_STR, 0,
	    "how records travel" },
	E_QUIET,
	{ 'S', "spool", "dir", NULL, NULL, NULL, KR_K_FILE, 0,
	    "spool directory (default: under $TMPDIR per task)" },
	{ KR_O_SPOOL_MAX, "spool-max", "size", NULL, NULL, "1G", KR_K_SIZE, 0,
	    "stop reading stdin past this much" },
	{ KR_O_SUMMARY, "summary", "file", NULL, NULL, NULL, KR_K_FILE, 0,
	    "write the final counts as JSON to file" },
	{ KR_O_SUMMARY_FD, "summary-fd", "n", NULL, NULL, NULL, KR_K_INT, 0,
	    "write the final counts as JSON to fd n" },
	E_TASK("the task, else each record's"),
	{ KR_O_TIMEOUT, "timeout", "duration", NULL, NULL, "10s",
	    KR_K_DURATION, 0, "one request, or ack silence on ws" },
	{ KR_O_TOKEN_FILE, "token-file", "file", NULL, NULL, NULL, KR_K_FILE,
	    0, "read the token from file" },
	{ 'u', "url", "url,...", NULL, NULL, NULL, KR_K_STR, 0,
	    "servers, tried in turn (see websocket.url, api.url)" },
	E_VERBOSE, E_VERSION,
};

static const struct kr_set tail[] = {
	{ KR_O_AFTER, "after", "seq", NULL, NULL, NULL, KR_K_INT, 0,
	    "start after this record cursor" },
	E_CACERT, E_CONFIG,
	{ KR_O_COLOR, "color", "when", NULL, NULL, "auto", KR_K_STR, 0,
	    "colour by level: auto, always, never" },
	{ 'e', "exit-code", NULL, NULL, NULL, NULL, KR_K_FLAG, 0,
	    "exit with the script's exit status" },
	{ 'f', "follow", "bool", NULL, NULL, "true", KR_K_BOOL,
	    KR_SET_OPTIONAL, "follow the live log; false: -n" },
	{ 'g', "grep", "words", NULL, NULL, NULL, KR_K_STR, 0,
	    "only lines holding every word (word* for a prefix)" },
	E_HELP, E_INSECURE,
	{ 'j', "json", NULL, NULL, NULL, NULL, KR_K_FLAG, 0,
	    "print the records as NDJSON" },
	{ KR_O_LAST, "last", "file", NULL, NULL, NULL, KR_K_FILE, 0,
	    "with --stdin: write \"seq runId\" of the last record to file" },
	E_LEVEL(NULL, "show this level and above"),
	{ 'n', "no-follow", NULL, NULL, NULL, NULL, KR_K_FLAG, 0,
	    "print the history and exit" },
	E_QUIET,
	{ KR_O_RAW, "raw", NULL, NULL, NULL, NULL, KR_K_FLAG, 0,
	    "with --stdin: the lines as the script wrote them" },
	{ KR_O_SINCE, "since", "time", NULL, NULL, NULL, KR_K_STR, 0,
	    "from this long ago (10m, 2h) or this RFC 3339 time" },
	{ KR_O_SINCE_TIME, "since-time", "time", NULL, NULL, NULL, KR_K_STR, 0,
	    "from this RFC 3339 time" },
	{ 's', "source", "source", NULL, NULL, NULL, KR_K_LIST, 0,
	    "show only stdout, stderr or agent (repeatable)" },
	{ KR_O_STDIN, "stdin", NULL, NULL, NULL, NULL, KR_K_FLAG, 0,
	    "format records read from standard input" },
	{ KR_O_TAIL, "tail", "n", NULL, NULL, "-1", KR_K_INT, 0,
	    "the last n lines of the history; -1: all" },
	{ KR_O_TEE, "tee", NULL, NULL, NULL, NULL, KR_K_FLAG, 0,
	    "with --stdin: records to stdout, lines to stderr" },
	{ KR_O_TIMESTAMPS, "timestamps", "bool", NULL, NULL, "true",
	    KR_K_BOOL, KR_SET_OPTIONAL, "show the time of each line" },
	E_TOKEN("bearer token; KERUTA_API_TOKEN too"),
	{ 'u', "url", "url,...", "KERUTA_WEBSOCKET_URL", "websocket.url",
	    "ws://127.0.0.1:8080", KR_K_STR, 0,
	    "WebSocket base URLs, tried in turn" },
	E_VERBOSE, E_VERSION,
};

static const struct kr_set serve[] = {
	{ KR_O_API_KEYS, "api-keys", "file", "KERUTA_API_KEYS_FILE",
	    "serve.apiKeys", NULL, KR_K_FILE, 0,
	    "accept the API keys listed (hashed) in file" },
	{ KR_O_CACHE_SIZE, "cache-size", "size", "KERUTA_SERVE_CACHE_SIZE",
	    "serve.cacheSize", "64M", KR_K_SIZE, 0,
	    "memory for SQLite's page cache at most" },
	E_CONFIG,
	{ 'd', "db", "db", "KERUTA_SERVE_DB", "serve.db", "keruta.db",
	    KR_K_FILE, 0, "SQLite file, or PostgreSQL URI or conninfo" },
	{ KR_O_HASH_KEY, "hash-key", NULL, NULL, NULL, NULL, KR_K_FLAG, 0,
	    "print the hash of the key read from stdin, for --api-keys" },
	E_HELP,
	{ KR_O_JWT_SECRET_FILE, "jwt-secret-file", "file",
	    "KERUTA_JWT_SECRET_FILE", "serve.jwtSecretFile", NULL, KR_K_FILE,
	    0, "accept JWTs (HS256) signed with this secret" },
	{ 'L', "listen", "addr:port", "KERUTA_SERVE_LISTEN", "serve.listen",
	    "127.0.0.1:8080", KR_K_STR, 0, "address to serve on; port 0: any" },
	{ KR_O_MAX_BODY, "max-body", "size", NULL, "serve.maxBody", "16M",
	    KR_K_SIZE, 0, "largest request body or WebSocket message" },
	{ KR_O_PANEL_DIR, "panel-dir", "dir", NULL, "serve.panelDir", NULL,
	    KR_K_FILE, 0, "serve the panel from dir, not the built-in copy" },
	{ KR_O_PARTITION, "partition", "duration", "KERUTA_SERVE_PARTITION",
	    "serve.partition", "1d", KR_K_DURATION, 0,
	    "on PostgreSQL, the span of one partition of the records" },
	{ KR_O_QUEUE_MAX, "queue-max", "size", NULL, "serve.queueMax", "8M",
	    KR_K_SIZE, 0, "bytes queued for a slow WebSocket client at most" },
	E_QUIET,
	{ KR_O_RETENTION, "retention", "duration", "KERUTA_SERVE_RETENTION",
	    "serve.retention", NULL, KR_K_STR, 0,
	    "delete records older than this, as 30d or 12h; default off" },
	{ KR_O_SYNC, "sync", "full|normal", "KERUTA_SERVE_SYNC", "serve.sync",
	    "full", KR_K_STR, 0, "full: an ack survives a power cut" },
	{ KR_O_TLS_CERT, "tls-cert", "file", NULL, "serve.tlsCert", NULL,
	    KR_K_FILE, 0, "serve HTTPS and WSS with this certificate (PEM)" },
	{ KR_O_TLS_KEY, "tls-key", "file", NULL, "serve.tlsKey", NULL,
	    KR_K_FILE, 0, "and this private key (PEM)" },
	E_VERBOSE, E_VERSION,
};

static const struct kr_set config[] = {
	E_CONFIG, E_HELP,
	{ KR_O_SHELL, "shell", NULL, NULL, NULL, NULL, KR_K_FLAG, 0,
	    "print keys as shell assignments (logStreaming_enabled='true')" },
	E_VERSION,
};

/*
 * keruta-agent parses its own options (it is a shell script); its table
 * names them for the letter check, the man page check and keruta-config,
 * which resolves the settings below for it.
 */
static const struct kr_set agent[] = {
	{ KR_O_KEY, NULL, NULL, "KERUTA_LOG_STREAMING_ENABLED",
	    "logStreaming.enabled", "true", KR_K_BOOL, 0,
	    "false: only run the script" },
	{ KR_O_LOG_LEVEL, "log-level", "level", "KERUTA_LOG_LEVEL",
	    "logStreaming.level", "INFO", KR_K_LEVEL, 0,
	    "ship this level and above" },
	{ KR_O_KEY, NULL, NULL, "KERUTA_LOG_PTY", "logStreaming.pty", "true",
	    KR_K_BOOL, 0, "false: as --no-pty" },
	{ KR_O_ACK_TIMEOUT, "ack-timeout", "duration", "KERUTA_LOG_ACK_TIMEOUT",
	    "logStreaming.ackTimeout", "30s", KR_K_DURATION, 0,
	    "at the end, wait this long for the acks" },
	{ KR_O_MASK_ENV, "mask-env", "name", "KERUTA_LOG_MASK_ENV",
	    "logStreaming.maskEnv", NULL, KR_K_LIST, 0,
	    "mask the value of environment variable name" },
	{ KR_O_MASK_FILE, "mask-file", "file", "KERUTA_LOG_MASK_FILE",
	    "logStreaming.maskFile", NULL, KR_K_LIST, 0,
	    "mask each line of file as a value" },
	E_CONFIG,
	{ KR_O_DISABLE, "disable-log-streaming", NULL, NULL, NULL, NULL,
	    KR_K_FLAG, 0, "only run the script: nothing is shipped" },
	{ KR_O_DRAIN_TIMEOUT, "drain-timeout", "duration",
	    "KERUTA_DRAIN_TIMEOUT", NULL, "20s", KR_K_DURATION, 0,
	    "after SIGTERM or SIGINT, stop waiting after this long" },
	E_HELP,
	{ KR_O_NO_ECHO, "no-echo", NULL, NULL, NULL, NULL, KR_K_FLAG, 0,
	    "do not show the script's output here" },
	{ KR_O_NO_PTY, "no-pty", NULL, NULL, NULL, NULL, KR_K_FLAG, 0,
	    "the script's stdout is a pipe, not a terminal" },
	{ KR_O_SAVE, "save", "file", NULL, NULL, NULL, KR_K_FILE, 0,
	    "keep the filtered records in file" },
	{ KR_O_SCRIPT, "script", "path", NULL, NULL, NULL, KR_K_FILE, 0,
	    "the script to run" },
	E_TASK("the task"),
	E_VERSION,
};

const struct kr_tool kr_tool_agent = { "keruta-agent",
    "execute --task-id id --script path [--] [arg ...]",
    "Run a script, show its output, and stream it to keruta-serve.",
    agent, N(agent), 0 };
const struct kr_tool kr_tool_capture = { "keruta-capture",
    "[--] command [arg ...]",
    "Runs command and writes one record per line of its output.",
    capture, N(capture), 1 };
const struct kr_tool kr_tool_filter = { "keruta-filter", NULL,
    "Redacts secrets in keruta records and filters them by level and "
    "source.", filter, N(filter), 0 };
const struct kr_tool kr_tool_batch = { "keruta-batch", NULL,
    "Group keruta(7) records from stdin into JSON arrays, one per line, on "
    "stdout.", batch, N(batch), 0 };
const struct kr_tool kr_tool_ship = { "keruta-ship", NULL,
    "Deliver records (or batches of records) read on stdin to the keruta "
    "server.", ship, N(ship), 0 };
const struct kr_tool kr_tool_tail = { "keruta-tail",
    "[task-id]",
    "Print a task's log from keruta-serve, then follow it live.",
    tail, N(tail), 0 };
const struct kr_tool kr_tool_serve = { "keruta-serve", NULL,
    "Store keruta records and serve them: REST, WebSocket, the panel.",
    serve, N(serve), 0 };
const struct kr_tool kr_tool_config = { "keruta-config", "[key ...]",
    "Print the resolved keruta settings: flags aside, the environment\n"
    "beats the YAML file, which beats the defaults.",
    config, N(config), 0 };

/* keruta-config lists the settings of the pipeline in this order. */
const struct kr_tool *const kr_tools[] = {
	&kr_tool_agent, &kr_tool_capture, &kr_tool_filter, &kr_tool_batch,
	&kr_tool_ship, &kr_tool_tail, &kr_tool_serve, &kr_tool_config, NULL
};
