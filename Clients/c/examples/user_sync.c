/* The user-sync scenario (Spec/scenario/USER-SYNC.md), call for call.
 * Prints the run id on stdout; exits 1 with the reason on stderr.
 *     JOBLOG_SOCKET=/path/to/sock build/user_sync
 */
#include <stdio.h>
#include <jansson.h>

#include "joblog.h"

/* Stops at the first failure (a real job might carry on). */
#define CHECK(call)                                                                        \
	do {                                                                               \
		int rc_ = (call);                                                          \
		if (rc_ != JOBLOG_OK) {                                                    \
			fprintf(stderr, "user_sync: %s: %s: %s\n", #call, joblog_rc_name(rc_), \
			        joblog_errmsg(jl));                                        \
			json_decref(ctx);                                                  \
			joblog_close(jl);                                                  \
			return 1;                                                          \
		}                                                                          \
	} while (0)

/* Builds the context, passes it, releases it. */
#define LOG(fn, msg, ...)                          \
	do {                                       \
		ctx = json_pack(__VA_ARGS__);      \
		CHECK(fn(jl, msg, ctx));           \
		json_decref(ctx);                  \
		ctx = NULL;                        \
	} while (0)

int main(void)
{
	joblog_t *jl = NULL;
	json_t *ctx = NULL;
	int synced = 0, failed = 0;
	char msg[64];

	CHECK(joblog_open(NULL, &jl));

	/* 1. startRun (request) */
	ctx = json_pack("{s:i}", "batchSize", 10);
	CHECK(joblog_start_run(jl, "user-sync", "MANUAL", "system", "v1", ctx));
	json_decref(ctx);
	ctx = NULL;

	/* 2-7 */
	CHECK(joblog_stage(jl, "Initializing", NULL));
	LOG(joblog_info, "Job started", "{s:i}", "batchSize", 10);
	CHECK(joblog_stage(jl, "Loading users", "Loading from database"));
	CHECK(joblog_total(jl, 10, "users"));
	LOG(joblog_milestone, "Found 10 users to sync", "{s:i}", "found", 10);
	CHECK(joblog_stage(jl, "Syncing users", NULL));

	/* 8 */
	for (int i = 1; i <= 10; i++) {
		char uid[8];
		snprintf(uid, sizeof uid, "%d", i);
		snprintf(msg, sizeof msg, "Syncing user %d", i);
		LOG(joblog_debug, msg, "{s:s}", "userId", uid);
		if (i == 4) {
			CHECK(joblog_outcome_add(jl, "errors", 1));
			LOG(joblog_error, "Failed to sync user 4", "{s:s,s:s}", "userId", "4", "error", "Network timeout");
			failed++;
		} else {
			CHECK(joblog_outcome_add(jl, "synced", 1));
			synced++;
		}
		if (i == 7)
			LOG(joblog_warning, "User has invalid data", "{s:s}", "userId", "7");
		CHECK(joblog_inc(jl, 1));
		if (i % 5 == 0) {
			snprintf(msg, sizeof msg, "Progress: %d/10", i);
			LOG(joblog_info, msg, "{s:i,s:i}", "synced", synced, "failed", failed);
		}
	}

	/* 9-12 */
	CHECK(joblog_stage(jl, "Finalizing", NULL));
	LOG(joblog_milestone, "Sync complete", "{s:i,s:i,s:i}", "total", 10, "synced", synced, "failed", failed);
	CHECK(joblog_summary(jl, NULL));
	CHECK(joblog_finish(jl, JOBLOG_SUCCESS, NULL, NULL));

	printf("%s\n", joblog_run_id(jl));
	joblog_close(jl);
	return 0;
}
