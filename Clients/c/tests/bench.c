/* Per-call cost of libjoblog against a live daemon.
 *
 *     bench SOCKET [N]
 *     bench --sink [N]     the client alone: lines go to a process that
 *                          discards them (no daemon, no backpressure)
 *
 * Prints, per kind of call, the time the calling thread spends per call
 * (notifications: buffering and the batched writes) and, for notifications,
 * the end-to-end rate including the final ping that waits until all are
 * stored. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "joblog.h"
#include "joblog_internal.h"

static double now(void);
static void report(const char *what, long n, double t_calls, double t_total);

static int sink(long n)
{
	int sv[2];
	pid_t pid;
	joblog_t *h;
	long i;
	double t0, t1;
	json_t *ctx;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 1;
	pid = fork();
	if (pid == 0) {
		char buf[65536];
		close(sv[0]);
		while (read(sv[1], buf, sizeof buf) > 0)
			;
		_exit(0);
	}
	close(sv[1]);
	jl_open_fd(sv[0], &h);
	joblog_attach(h, "123456");
	t0 = now();
	for (i = 0; i < n; i++)
		joblog_inc(h, 1);
	joblog_send_pending(h);
	t1 = now();
	report("client only: joblog_inc", n, t1 - t0, 0);
	t0 = now();
	for (i = 0; i < n; i++)
		joblog_debug_json(h, "Syncing user", "{\"userId\":\"4\",\"batch\":10}");
	joblog_send_pending(h);
	t1 = now();
	report("client only: joblog_debug_json + context", n, t1 - t0, 0);
	ctx = json_pack("{s:s,s:i}", "userId", "4", "batch", 10);
	t0 = now();
	for (i = 0; i < n; i++)
		joblog_debug(h, "Syncing user", ctx);
	joblog_send_pending(h);
	t1 = now();
	report("client only: joblog_debug + json_t context", n, t1 - t0, 0);
	json_decref(ctx);
	printf("(%lu writes)\n", jl_write_calls(h));
	/* joblog_close pings; the sink never answers: do not wait for it. */
	joblog_set_timeout(h, 1);
	joblog_close(h);
	waitpid(pid, NULL, 0);
	return 0;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void report(const char *what, long n, double t_calls, double t_total)
{
	printf("%-44s %9.2f us/call", what, t_calls / n * 1e6);
	if (t_total > 0)
		printf("   (stored end to end: %.2f us/call, %.0f/s)", t_total / n * 1e6, n / t_total);
	printf("\n");
}

int main(int argc, char **argv)
{
	joblog_t *h;
	long n = argc > 2 ? atol(argv[2]) : 200000, i, nr;
	double t0, t1, t2;
	json_t *params, *ctx;

	if (argc < 2) {
		fprintf(stderr, "usage: %s SOCKET|--sink [N]\n", argv[0]);
		return 2;
	}
	if (strcmp(argv[1], "--sink") == 0)
		return sink(n);
	if (joblog_open(argv[1], &h) != JOBLOG_OK ||
	    joblog_start_run(h, "bench", NULL, NULL, NULL, NULL) != JOBLOG_OK) {
		fprintf(stderr, "bench: %s\n", joblog_errmsg(h));
		joblog_close(h);
		return 1;
	}

	t0 = now();
	for (i = 0; i < n; i++)
		joblog_inc(h, 1);
	t1 = now();
	joblog_flush(h);
	t2 = now();
	report("notification: joblog_inc", n, t1 - t0, t2 - t0);

	t0 = now();
	for (i = 0; i < n; i++)
		joblog_debug_json(h, "Syncing user", "{\"userId\":\"4\",\"batch\":10}");
	t1 = now();
	joblog_flush(h);
	t2 = now();
	report("notification: joblog_debug_json + context", n, t1 - t0, t2 - t0);

	ctx = json_pack("{s:s,s:i}", "userId", "4", "batch", 10);
	t0 = now();
	for (i = 0; i < n; i++)
		joblog_debug(h, "Syncing user", ctx);
	t1 = now();
	joblog_flush(h);
	t2 = now();
	report("notification: joblog_debug + json_t context", n, t1 - t0, t2 - t0);
	json_decref(ctx);

	nr = n / 20 > 0 ? n / 20 : 1;
	t0 = now();
	for (i = 0; i < nr; i++)
		joblog_flush(h);
	t1 = now();
	report("acknowledged: joblog_flush (ping)", nr, t1 - t0, 0);

	params = json_pack("{s:s,s:s,s:s}", "jobRunId", joblog_run_id(h), "message", "Syncing user", "level", "debug");
	t0 = now();
	for (i = 0; i < nr; i++)
		joblog_call(h, "log", params, NULL);
	t1 = now();
	report("acknowledged: joblog_call(\"log\") (stored)", nr, t1 - t0, 0);
	json_decref(params);

	joblog_finish(h, JOBLOG_SUCCESS, NULL, NULL);
	joblog_close(h);
	return 0;
}
