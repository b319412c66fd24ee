/* kr_opt: command-line options read the same way by every tool. */
#include <string.h>

#include "kr_diag.h"
#include "kr_opt.h"

/* The long option of lo whose value is val, or NULL. */
static const char *
long_name(const struct option *lo, int val)
{
	for (; lo != NULL && lo->name != NULL; lo++)
		if (lo->flag == NULL && lo->val == val)
			return lo->name;
	return NULL;
}

int
kr_getopt(int argc, char *const argv[], const char *opts,
    const struct option *lo, int *idx)
{
	char quiet[64];
	const char *arg, *eq, *name;
	size_t lead, n;
	int ch;

	/* A ':' after any '+' or '-': getopt says nothing, ':' tells a
	 * missing value from an unknown option. */
	lead = opts[0] == '+' || opts[0] == '-' ? 1 : 0;
	if (opts[lead] != ':' && strlen(opts) + 2 <= sizeof quiet) {
		memcpy(quiet, opts, lead);
		quiet[lead] = ':';
		strcpy(quiet + lead + 1, opts + lead);
		opts = quiet;
	}
	opterr = 0;
	ch = getopt_long(argc, argv, opts, lo, idx);
	if (ch != '?' && ch != ':')
		return ch;
	arg = optind > 0 && optind <= argc && argv[optind - 1] != NULL ?
	    argv[optind - 1] : "";
	eq = strchr(arg, '=');
	n = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
	if (ch == '?' && optopt == 0)
		kr_fatal("unknown option %.*s", (int)n, arg);
	else if (ch == '?' && strncmp(arg, "--", 2) == 0 && eq != NULL)
		kr_fatal("option %.*s takes no value", (int)n, arg);
	else if (ch == '?')
		kr_fatal("unknown option -%c", optopt);
	else if (strncmp(arg, "--", 2) == 0)
		kr_fatal("option %.*s needs a value", (int)n, arg);
	else if ((name = long_name(lo, optopt)) != NULL)
		kr_fatal("option -%c (--%s) needs a value", optopt, name);
	else
		kr_fatal("option -%c needs a value", optopt);
	return '?';
}
