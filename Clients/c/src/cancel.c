/* libjoblog: the daemon's "cancel" notification (cancelRun). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "joblog_internal.h"

/* A "cancel" notification read from the daemon: recorded (the first for the
 * handle's run), and the callback called once. */
void jl_note_cancel(joblog_t *h, json_t *params)
{
	const char *run = json_string_value(json_object_get(params, "jobRunId"));
	const char *reason = json_string_value(json_object_get(params, "reason"));
	if (!run || strcmp(run, h->run_id) != 0 || h->cancel_requested)
		return;
	h->cancel_requested = 1;
	snprintf(h->cancel_reason, sizeof h->cancel_reason, "%s", reason ? reason : "");
	if (h->on_cancel)
		h->on_cancel(h, h->cancel_reason, h->on_cancel_user);
}

void joblog_on_cancel(joblog_t *h, joblog_cancel_fn callback, void *user)
{
	if (!h)
		return;
	h->on_cancel = callback;
	h->on_cancel_user = user;
}

const char *joblog_cancel_reason(const joblog_t *h)
{
	return h ? h->cancel_reason : "";
}

int joblog_cancel_requested(joblog_t *h)
{
	char err[sizeof h->err];
	if (!h)
		return 0;
	if (h->cancel_requested || h->fd < 0)
		return h->cancel_requested;
	/* Read only what has arrived: a deadline of now, and a timeout is not a lost connection. */
	memcpy(err, h->err, sizeof err);
	for (;;) {
		char *line;
		size_t len;
		json_t *msg;
		if (jl_read_line(h, jl_now_ms(), 1, &line, &len) != JOBLOG_OK)
			break;
		msg = json_loadb(line, len, JSON_DECODE_ANY, NULL);
		if (!msg || !jl_queue_event(h, msg)) {
			h->stray++;
			json_decref(msg);
		}
		if (h->cancel_requested)
			break;
	}
	memcpy(h->err, err, sizeof err);
	return h->cancel_requested;
}
