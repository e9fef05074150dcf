/* libjoblog: watch, unwatch, next_event (PROTOCOL.md section 8). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "joblog_internal.h"

/* ---------------------------------------------------------------- watch */

int joblog_watch(joblog_t *h, const char *run_id, const char *job_name, const char *level, char *subscription,
                 size_t size)
{
	jl_msg m;
	json_t *res = NULL;
	const char *sub;
	int rc;

	if (!h)
		return JOBLOG_EINVAL;
	if ((rc = jl_begin(h, &m, "watch", 0)) != JOBLOG_OK)
		return rc;
	if (run_id) {
		if (!jl_valid_run_id(run_id))
			return jl_abort_msg(h, &m, jl_fail(h, JOBLOG_EINVAL, "not a run id: %s", run_id));
		jl_key(h, "jobRunId");
		jl_buf_add_jstr(&h->out, run_id, strlen(run_id));
	}
	if (job_name && (rc = jl_str_member(h, &m, "jobName", job_name, 1, JL_MAX_NAME)) != JOBLOG_OK)
		return rc;
	if (level && (rc = jl_str_member(h, &m, "level", level, 1, JL_MAX_NAME)) != JOBLOG_OK)
		return rc;
	rc = jl_end_request(h, &m, "watch", &res);
	if (rc != JOBLOG_OK)
		return rc;
	sub = json_string_value(json_object_get(res, "subscription"));
	if (!sub) {
		json_decref(res);
		return jl_fail(h, JOBLOG_EPROTO, "watch: no subscription in the result");
	}
	if (subscription && size)
		snprintf(subscription, size, "%s", sub);
	json_decref(res);
	return JOBLOG_OK;
}

int joblog_unwatch(joblog_t *h, const char *subscription)
{
	jl_msg m;
	int rc;
	if (!h)
		return JOBLOG_EINVAL;
	if ((rc = jl_begin(h, &m, "unwatch", 0)) != JOBLOG_OK)
		return rc;
	if ((rc = jl_str_member(h, &m, "subscription", subscription, 1, JL_MAX_NAME)) != JOBLOG_OK)
		return rc;
	return jl_end_request(h, &m, "unwatch", NULL);
}

int joblog_next_event(joblog_t *h, int timeout_ms, json_t **event)
{
	long long deadline;
	int rc;

	if (!h || !event)
		return JOBLOG_EINVAL;
	*event = NULL;
	jl_reset_err(h);
	deadline = timeout_ms >= 0 ? jl_now_ms() + timeout_ms : -1;
	rc = jl_write_out(h, deadline);
	if (rc != JOBLOG_OK)
		return rc;
	for (;;) {
		char *line;
		size_t len;
		json_t *msg;
		if (h->events && json_array_size(h->events) > 0) {
			*event = json_incref(json_array_get(h->events, 0));
			json_array_remove(h->events, 0);
			return JOBLOG_OK;
		}
		if (h->fd < 0)
			return jl_fail(h, JOBLOG_EIO, "not connected (subscriptions end with the connection)");
		rc = jl_read_line(h, deadline, 1, &line, &len);
		if (rc != JOBLOG_OK)
			return rc;
		msg = json_loadb(line, len, JSON_DECODE_ANY, NULL);
		if (!msg || !jl_queue_event(h, msg)) {
			h->stray++;
			json_decref(msg);
		}
	}
}

unsigned long joblog_events_dropped(const joblog_t *h)
{
	return h ? h->events_dropped : 0;
}
