/* tap.h: the Test Anything Protocol for C unit tests, run by prove. */
#ifndef KR_TAP_H
#define KR_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define plan(n) printf("1..%d\n", (n))
#define done_testing() (printf("1..%d\n", tap_n), tap_failed ? 1 : 0)
#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
/* Compares two strings, showing both on failure. */
#define is(got, want, ...) tap_is((got), (want), __FILE__, __LINE__, \
	__VA_ARGS__)

static void __attribute__((format(printf, 4, 5)))
tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", pass ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass) {
		tap_failed++;
		printf("#   failed at %s line %d\n", file, line);
	}
}

static void __attribute__((format(printf, 5, 6), unused))
tap_is(const char *got, const char *want, const char *file, int line,
    const char *fmt, ...)
{
	int pass = got != NULL && want != NULL ? strcmp(got, want) == 0 :
	    got == want;
	va_list ap;

	printf("%sok %d - ", pass ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass) {
		tap_failed++;
		printf("#   failed at %s line %d\n#          got: '%s'\n"
		    "#     expected: '%s'\n", file, line, got ? got : "(null)",
		    want ? want : "(null)");
	}
}

#endif
