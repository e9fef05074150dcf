/* libjoblog: building a message in the handle's buffer, then queueing it
 * (a notification) or sending it and waiting for its response (a request). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "joblog_internal.h"

/* ---------------------------------------------------------------- messages */

int jl_begin(joblog_t *h, jl_msg *m, const char *method, int with_run)
{
	jl_reset_err(h);
	if (with_run && !h->run_id[0])
		return jl_fail(h, JOBLOG_ENORUN, "no run: call joblog_start_run() or joblog_attach(), or set JOBLOG_RUN_ID");
	m->mark = h->out.len;
	m->urgent = 0;
	jl_buf_adds(&h->out, "{\"jsonrpc\":\"2.0\",\"method\":\"");
	jl_buf_adds(&h->out, method);
	jl_buf_adds(&h->out, "\",\"params\":{");
	if (with_run) {
		jl_buf_adds(&h->out, "\"jobRunId\":\"");
		jl_buf_adds(&h->out, h->run_id);
		jl_buf_add(&h->out, "\"", 1);
	}
	return JOBLOG_OK;
}

int jl_abort_msg(joblog_t *h, jl_msg *m, int rc)
{
	h->out.len = m->mark;
	h->out.oom = 0;
	return rc;
}

/* ,"name": */
void jl_key(joblog_t *h, const char *name)
{
	if (h->out.len > 0 && h->out.p[h->out.len - 1] != '{')
		jl_buf_add(&h->out, ",", 1);
	jl_buf_add(&h->out, "\"", 1);
	jl_buf_adds(&h->out, name);
	jl_buf_add(&h->out, "\":", 2);
}

/* A string member; checks min/max decoded length. */
int jl_str_member(joblog_t *h, jl_msg *m, const char *name, const char *value, size_t min, size_t max)
{
	size_t n;
	if (!value)
		return jl_abort_msg(h, m, jl_fail(h, JOBLOG_EINVAL, "%s: required", name));
	jl_key(h, name);
	n = jl_buf_add_jstr(&h->out, value, strlen(value));
	if (h->out.oom)
		return jl_abort_msg(h, m, jl_fail(h, JOBLOG_ENOMEM, "out of memory"));
	if (n < min || n > max)
		return jl_abort_msg(h, m, jl_fail(h, JOBLOG_EINVAL, "%s: %s (%zu bytes; %zu ... %zu allowed)", name,
		                            n < min ? "empty" : "too long", n, min, max));
	return JOBLOG_OK;
}

int jl_int_member(joblog_t *h, jl_msg *m, const char *name, int64_t v, int nonneg)
{
	if (nonneg && v < 0)
		return jl_abort_msg(h, m, jl_fail(h, JOBLOG_EINVAL, "%s: must be >= 0 (got %lld)", name, (long long)v));
	jl_key(h, name);
	jl_buf_add_i64(&h->out, v);
	return JOBLOG_OK;
}

int jl_obj_member(joblog_t *h, jl_msg *m, const char *name, json_t *obj, const char *text)
{
	char why[256];
	int rc;
	if (!obj && !text)
		return JOBLOG_OK;
	jl_key(h, name);
	rc = obj ? jl_buf_add_object(&h->out, obj, why, sizeof why)
	         : jl_buf_add_object_text(&h->out, text, why, sizeof why);
	if (rc == JOBLOG_ENOMEM)
		return jl_abort_msg(h, m, jl_fail(h, rc, "out of memory"));
	if (rc != JOBLOG_OK)
		return jl_abort_msg(h, m, jl_fail(h, rc, "%s: %s", name, why));
	return JOBLOG_OK;
}

/* ,"at":<the time of the call, ms since the epoch> */
void jl_at_member(joblog_t *h)
{
	jl_key(h, "at");
	jl_buf_add_i64(&h->out, jl_epoch_ms(h));
}

/* Ends a notification: buffers it, writes the buffer when due. */
int jl_end_notify(joblog_t *h, jl_msg *m)
{
	jl_buf_add(&h->out, "}}\n", 3);
	if (h->out.oom)
		return jl_abort_msg(h, m, jl_fail(h, JOBLOG_ENOMEM, "out of memory"));
	if (h->pending++ == 0)
		clock_gettime(CLOCK_MONOTONIC, &h->first);
	if (m->urgent || h->out.len >= JL_FLUSH_BYTES || h->max_delay_ms == 0 ||
	    (h->max_delay_ms > 0 && jl_elapsed_ms(&h->first) >= h->max_delay_ms))
		return jl_write_out(h, jl_deadline_from_now(h));
	return JOBLOG_OK;
}

/* Ends a request: writes the buffer with it, waits for its response, and
 * returns its result (new reference) in *result when result is not NULL. */
int jl_end_request(joblog_t *h, jl_msg *m, const char *method, json_t **result)
{
	long long id = h->next_id++;
	long long deadline;
	json_t *resp = NULL, *res, *err;
	int rc;

	if (result)
		*result = NULL;
	jl_buf_add(&h->out, "},\"id\":", 7);
	jl_buf_add_i64(&h->out, id);
	jl_buf_add(&h->out, "}\n", 2);
	if (h->out.oom)
		return jl_abort_msg(h, m, jl_fail(h, JOBLOG_ENOMEM, "out of memory"));
	deadline = jl_deadline_from_now(h);
	rc = jl_write_out(h, deadline);
	if (rc == JOBLOG_ECONNECT && h->session_state == 1 && h->out.len >= m->mark) {
		/* Never sent: the caller gets the error; the notifications before it stay kept. */
		h->out.len = m->mark;
	}
	if (rc != JOBLOG_OK)
		return rc;
	rc = jl_wait_response(h, id, deadline, &resp);
	if (rc != JOBLOG_OK)
		return rc;
	res = json_object_get(resp, "result");
	err = json_object_get(resp, "error");
	if (res) {
		if (result)
			*result = json_incref(res);
		json_decref(resp);
		return JOBLOG_OK;
	}
	if (json_is_object(err)) {
		const char *msg = json_string_value(json_object_get(err, "message"));
		json_t *data = json_object_get(err, "data");
		char *d = data ? json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		h->rpc_code = (int)json_integer_value(json_object_get(err, "code"));
		h->rpc_data = data ? json_incref(data) : NULL;
		jl_fail(h, JOBLOG_ERPC, "%s: %s (%d)%s%s", method, msg ? msg : "error", h->rpc_code, d ? " " : "",
		     d ? d : "");
		free(d);
		json_decref(resp);
		return JOBLOG_ERPC;
	}
	json_decref(resp);
	return jl_fail(h, JOBLOG_EPROTO, "%s: a response with neither result nor error", method);
}

