/* Exactly once across daemon crashes (issue 14) with libjoblog: one job
 * streams mixed messages (info with context, inc, outcome_add) into one run
 * while its own daemon is kill -9ed and restarted at random points;
 * afterwards progress and every outcome counter equal what was sent, the
 * log entries are exactly the sent ones, in order, each once, and
 * PRAGMA integrity_check is ok.
 *
 *     test_exactly_once JOBLOGD_BIN
 *
 * JOBLOG_EXACT_KILLS (default 20), JOBLOG_EXACT_MESSAGES (default 20000) and
 * JOBLOG_SEED size and replay it. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "joblog.h"

static char sockpath[600], dbpath[600];
static const char *daemon_bin;

static pid_t start_daemon(const char *dir)
{
	char logf[600];
	pid_t pid;
	int i;
	snprintf(logf, sizeof logf, "%s/daemon.log", dir);
	pid = fork();
	if (pid == 0) {
		int fd = open(logf, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(daemon_bin, daemon_bin, "--socket", sockpath, "--db", dbpath, "--http", "off", "--flush-interval-ms", "1",
		      (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 400; i++) {
		joblog_t *h;
		int rc = joblog_open(sockpath, &h);
		joblog_close(h);
		if (rc == JOBLOG_OK)
			return pid;
		{
			struct timespec ts = {0, 25000000};
			nanosleep(&ts, NULL);
		}
	}
	return -1;
}

static unsigned long long rng_state;
static unsigned long long rnd(void)
{
	unsigned long long z = (rng_state += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/joblog-c-exactly.XXXXXX", cmd[700], name[32];
	int kills = getenv("JOBLOG_EXACT_KILLS") ? atoi(getenv("JOBLOG_EXACT_KILLS")) : 20;
	int messages = getenv("JOBLOG_EXACT_MESSAGES") ? atoi(getenv("JOBLOG_EXACT_MESSAGES")) : 20000;
	int *kill_at, next_kill = 0, i, progress = 0, outcome[3] = {0, 0, 0}, nlogs = 0, ok, k;
	long long after = 0;
	joblog_t *h = NULL;
	json_t *run = NULL, *summary;
	pid_t pid;

	if (argc < 2) {
		printf("# usage: test_exactly_once JOBLOGD_BIN\n# passed 0 failed 1\n");
		return 1;
	}
	daemon_bin = argv[1];
	rng_state = getenv("JOBLOG_SEED") ? strtoull(getenv("JOBLOG_SEED"), NULL, 10) : (unsigned long long)time(NULL);
	printf("# seed %llu, %d kills, %d messages\n", rng_state, kills, messages);
	if (!mkdtemp(dir)) {
		t_result(0, "mkdtemp", strerror(errno));
		return t_summary();
	}
	snprintf(sockpath, sizeof sockpath, "%s/sock", dir);
	snprintf(dbpath, sizeof dbpath, "%s/db.sqlite", dir);
	pid = start_daemon(dir);
	T_TRUE("exactly once: the daemon starts", pid > 0);
	kill_at = calloc((size_t)kills + 1, sizeof *kill_at);
	for (i = 0; i < kills; i++)
		kill_at[i] = 1 + (int)(rnd() % (unsigned long long)(messages - 1));
	qsort(kill_at, (size_t)kills, sizeof *kill_at, cmp_int);
	kill_at[kills] = -1;

	joblog_open(sockpath, &h);
	joblog_set_max_delay(h, 5);
	T_RC("exactly once: start_run", joblog_start_run(h, "exactly-c", NULL, NULL, NULL, NULL), JOBLOG_OK, h);
	for (i = 0; i < messages && pid > 0; i++) {
		while (next_kill < kills && kill_at[next_kill] == i) {
			struct timespec ts = {0, (long)(rnd() % 30000000ULL)};
			next_kill++;
			/* Let some of what is buffered reach the daemon and be committed, unacknowledged. */
			joblog_send_pending(h);
			nanosleep(&ts, NULL);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			unlink(sockpath);
			pid = start_daemon(dir);
		}
		/* Return codes are ignored: while the daemon is away the messages are kept. */
		switch (i % 3) {
		case 0: {
			char msg[32], ctx[48];
			snprintf(msg, sizeof msg, "m%d", i);
			snprintf(ctx, sizeof ctx, "{\"i\":%d}", i);
			joblog_info_json(h, msg, ctx);
			nlogs++;
			break;
		}
		case 1:
			joblog_inc(h, 1);
			progress++;
			break;
		default:
			snprintf(name, sizeof name, "k%d", i / 3 % 3);
			joblog_outcome_add(h, name, 1);
			outcome[i / 3 % 3]++;
		}
	}
	T_TRUE("exactly once: every kill done and the daemon back", next_kill == kills && pid > 0);
	ok = 0;
	for (k = 0; k < 100 && !ok; k++) {
		int rc = joblog_flush(h);
		ok = rc == JOBLOG_OK || rc == JOBLOG_EREJECTED;
		if (!ok) {
			struct timespec ts = {0, 100000000};
			nanosleep(&ts, NULL);
		}
	}
	T_TRUE("exactly once: everything acknowledged in the end", ok);
	{
		json_t *p = json_pack("{s:s}", "jobRunId", joblog_run_id(h)), *r = NULL;
		if (joblog_call(h, "getRun", p, &r) == JOBLOG_OK)
			run = json_incref(json_object_get(r, "run"));
		json_decref(p);
		json_decref(r);
	}
	T_TRUE("exactly once: progress is what was sent",
	       json_integer_value(json_object_get(run, "progressCurrent")) == progress);
	summary = json_object_get(run, "outcomeSummary");
	for (k = 0; k < 3; k++) {
		char what[80];
		snprintf(name, sizeof name, "k%d", k);
		snprintf(what, sizeof what, "exactly once: outcome %s is what was sent (%d)", name, outcome[k]);
		T_TRUE(what, json_integer_value(json_object_get(summary, name)) == outcome[k]);
	}
	{
		int seen = 0, in_order = 1;
		for (;;) {
			json_t *p = json_pack("{s:s,s:I,s:i}", "jobRunId", joblog_run_id(h), "afterId", (json_int_t)after,
			                      "limit", 10000),
			       *r = NULL, *logs;
			size_t n, j;
			int rc = joblog_call(h, "getLogs", p, &r);
			json_decref(p);
			if (rc != JOBLOG_OK) {
				in_order = 0;
				break;
			}
			logs = json_object_get(r, "logs");
			n = json_array_size(logs);
			for (j = 0; j < n; j++) {
				json_t *e = json_array_get(logs, j);
				char want[32];
				snprintf(want, sizeof want, "m%d", seen * 3);
				if (strcmp(json_string_value(json_object_get(e, "message")), want) != 0) {
					if (in_order)
						printf("#   entry %d is %s, wanted %s\n", seen,
						       json_string_value(json_object_get(e, "message")), want);
					in_order = 0;
				}
				seen++;
				after = strtoll(json_string_value(json_object_get(e, "id")), NULL, 10);
			}
			json_decref(r);
			if (n == 0)
				break;
		}
		printf("#   %d entries stored, %d sent\n", seen, nlogs);
		T_TRUE("exactly once: the entries are the sent ones, in order, each once", in_order && seen == nlogs);
	}
	json_decref(run);
	joblog_close(h);
	free(kill_at);
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	snprintf(cmd, sizeof cmd, "sqlite3 '%s' 'PRAGMA integrity_check' 2>&1", dbpath);
	{
		FILE *f = popen(cmd, "r");
		char line[64] = "";
		if (f) {
			if (!fgets(line, sizeof line, f))
				line[0] = '\0';
			pclose(f);
		}
		T_TRUE("exactly once: PRAGMA integrity_check ok", strncmp(line, "ok", 2) == 0);
	}
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("#   could not remove %s\n", dir);
	return t_summary();
}
