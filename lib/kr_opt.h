/* kr_opt: command-line options read the same way by every tool. */
#ifndef KR_OPT_H
#define KR_OPT_H

#include <getopt.h>

/*
 * getopt_long(3), except that a bad option is told in one "fatal:" line
 * naming it (unknown, missing its value, given a value it does not take);
 * getopt returns '?' then, and the caller prints its usage (kr_usage).
 */
int kr_getopt(int argc, char *const argv[], const char *opts,
    const struct option *lo, int *idx);

#endif
