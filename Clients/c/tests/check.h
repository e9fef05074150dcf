/* A tiny TAP-like test harness shared by the C tests.
 * Prints "ok - NAME" / "not ok - NAME" and, at the end, "# passed N failed M". */
#ifndef JOBLOG_TEST_CHECK_H
#define JOBLOG_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

static int t_passed, t_failed;

static void t_result(int ok, const char *name, const char *detail)
{
	if (ok) {
		t_passed++;
		printf("ok - %s\n", name);
	} else {
		t_failed++;
		printf("not ok - %s\n", name);
		if (detail && *detail)
			printf("#   %s\n", detail);
	}
	fflush(stdout);
}

#define T_TRUE(name, cond) t_result((cond) ? 1 : 0, (name), #cond)

#define T_RC(name, call, expected, h)                                                          \
	do {                                                                                   \
		int rc_ = (call);                                                              \
		char d_[700];                                                                  \
		snprintf(d_, sizeof d_, "%s returned %s, expected %s: %s", #call, joblog_rc_name(rc_), \
		         joblog_rc_name(expected), (h) ? joblog_errmsg(h) : "");               \
		t_result(rc_ == (expected), (name), d_);                                       \
	} while (0)

#define T_STR(name, expected, actual)                                                          \
	do {                                                                                   \
		const char *e_ = (expected), *a_ = (actual);                                   \
		char d_[1200];                                                                 \
		snprintf(d_, sizeof d_, "expected [%.500s] got [%.500s]", e_ ? e_ : "(null)", a_ ? a_ : "(null)"); \
		t_result(e_ && a_ && strcmp(e_, a_) == 0, (name), d_);                         \
	} while (0)

#define T_INT(name, expected, actual)                                                          \
	do {                                                                                   \
		long long e_ = (long long)(expected), a_ = (long long)(actual);                \
		char d_[160];                                                                  \
		snprintf(d_, sizeof d_, "expected %lld got %lld", e_, a_);                     \
		t_result(e_ == a_, (name), d_);                                                \
	} while (0)

static int t_summary(void)
{
	printf("# passed %d failed %d\n", t_passed, t_failed);
	return t_failed ? 1 : 0;
}

#endif
