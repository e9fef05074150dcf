/* libjoblog: the public API (see include/joblog.h). */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "joblog_internal.h"

static const char *const level_names[] = {"debug", "info", "milestone", "warning", "error"};
static const char *const status_names[] = {"SUCCESS", "FAILED", "CANCELLED"};

const char *joblog_rc_name(int rc)
{
	switch (rc) {
	case JOBLOG_OK: return "JOBLOG_OK";
	case JOBLOG_EINVAL: return "JOBLOG_EINVAL";
	case JOBLOG_ENOMEM: return "JOBLOG_ENOMEM";
	case JOBLOG_ECONNECT: return "JOBLOG_ECONNECT";
	case JOBLOG_EIO: return "JOBLOG_EIO";
	case JOBLOG_ETIMEOUT: return "JOBLOG_ETIMEOUT";
	case JOBLOG_EPROTO: return "JOBLOG_EPROTO";
	case JOBLOG_ERPC: return "JOBLOG_ERPC";
	case JOBLOG_ENORUN: return "JOBLOG_ENORUN";
	case JOBLOG_EREJECTED: return "JOBLOG_EREJECTED";
	}
	return "JOBLOG_UNKNOWN";
}

const char *joblog_errmsg(const joblog_t *h)
{
	return h ? h->err : "out of memory (no handle)";
}

int joblog_rpc_code(const joblog_t *h)
{
	return h ? h->rpc_code : 0;
}

const json_t *joblog_rpc_data(const joblog_t *h)
{
	return h ? h->rpc_data : NULL;
}

const char *joblog_socket_path(const joblog_t *h)
{
	return h && h->path ? h->path : "";
}

const char *joblog_run_id(const joblog_t *h)
{
	return h && h->run_id[0] ? h->run_id : "0";
}

unsigned long joblog_rejected_count(const joblog_t *h)
{
	return h ? h->rejected : 0;
}

const char *joblog_last_rejection(const joblog_t *h)
{
	return h ? h->last_rejection : "";
}

unsigned long joblog_dropped_count(const joblog_t *h)
{
	return h ? h->dropped : 0;
}

void jl_set_clock(joblog_t *h, long long epoch_ms)
{
	h->fixed_at = epoch_ms;
}

unsigned long joblog_stray_lines(const joblog_t *h)
{
	return h ? h->stray : 0;
}

size_t jl_pending_bytes(const joblog_t *h)
{
	return h->out.len;
}

unsigned long jl_write_calls(const joblog_t *h)
{
	return h->writes;
}

void joblog_set_timeout(joblog_t *h, int ms)
{
	if (h)
		h->timeout_ms = ms;
}

void joblog_set_max_delay(joblog_t *h, int ms)
{
	if (h)
		h->max_delay_ms = ms;
}

/* ---------------------------------------------------------------- open / close */

static joblog_t *handle_new(void)
{
	joblog_t *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->fd = -1;
	h->next_id = 1;
	h->timeout_ms = 30000;
	h->max_delay_ms = 100;
	{
		const char *rid = getenv("JOBLOG_RUN_ID");
		if (rid && jl_valid_run_id(rid))
			snprintf(h->run_id, sizeof h->run_id, "%s", rid);
	}
	return h;
}

static char *default_socket_path(void)
{
	const char *s = getenv("JOBLOG_SOCKET");
	char tmp[256];
	if (s && *s)
		return strdup(s);
	s = getenv("XDG_RUNTIME_DIR");
	if (s && *s) {
		size_t n = strlen(s) + sizeof "/joblogd.sock";
		char *p = malloc(n);
		if (p)
			snprintf(p, n, "%s/joblogd.sock", s);
		return p;
	}
	snprintf(tmp, sizeof tmp, "/tmp/joblogd-%lu.sock", (unsigned long)getuid());
	return strdup(tmp);
}

int joblog_open(const char *socket_path, joblog_t **out)
{
	joblog_t *h;

	if (!out)
		return JOBLOG_EINVAL;
	*out = NULL;
	h = handle_new();
	if (!h)
		return JOBLOG_ENOMEM;
	h->path = socket_path ? strdup(socket_path) : default_socket_path();
	if (!h->path) {
		free(h);
		return JOBLOG_ENOMEM;
	}
	*out = h;
	return jl_connect_socket(h);
}

int jl_open_fd(int fd, joblog_t **out)
{
	joblog_t *h = handle_new();
	int flags;
	*out = h;
	if (!h)
		return JOBLOG_ENOMEM;
	h->fd = fd;
	flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	return JOBLOG_OK;
}

void joblog_close(joblog_t *h)
{
	if (!h)
		return;
	if (h->pending || (h->unacked && h->fd >= 0))
		joblog_flush(h);
	jl_drop_connection(h);
	jl_buf_free(&h->out);
	free(h->in);
	free(h->path);
	if (h->rpc_data)
		json_decref(h->rpc_data);
	if (h->events)
		json_decref(h->events);
	free(h);
}

int joblog_attach(joblog_t *h, const char *run_id)
{
	if (!h)
		return JOBLOG_EINVAL;
	jl_reset_err(h);
	if (!jl_valid_run_id(run_id))
		return jl_fail(h, JOBLOG_EINVAL, "not a run id: %s", run_id ? run_id : "(null)");
	snprintf(h->run_id, sizeof h->run_id, "%s", run_id);
	return JOBLOG_OK;
}

/* ---------------------------------------------------------------- runs */

int joblog_start_run_opts(joblog_t *h, const char *job_name, const joblog_start_opts *o)
{
	static const joblog_start_opts none;
	jl_msg m;
	json_t *res = NULL;
	const char *rid;
	int rc;

	if (!h)
		return JOBLOG_EINVAL;
	if (!o)
		o = &none;
	if ((rc = jl_begin(h, &m, "startRun", 0)) != JOBLOG_OK)
		return rc;
	if ((rc = jl_str_member(h, &m, "jobName", job_name, 1, JL_MAX_NAME)) != JOBLOG_OK)
		return rc;
	if (o->trigger && (rc = jl_str_member(h, &m, "trigger", o->trigger, 0, JL_MAX_NAME)) != JOBLOG_OK)
		return rc;
	if (o->scope && (rc = jl_str_member(h, &m, "scope", o->scope, 0, JL_MAX_NAME)) != JOBLOG_OK)
		return rc;
	if (o->algorithm_version &&
	    (rc = jl_str_member(h, &m, "algorithmVersion", o->algorithm_version, 0, JL_MAX_NAME)) != JOBLOG_OK)
		return rc;
	if ((rc = jl_obj_member(h, &m, "params", o->params, o->params ? NULL : o->params_json)) != JOBLOG_OK)
		return rc;
	if (o->pid >= 0)
		jl_int_member(h, &m, "pid", o->pid ? o->pid : (long long)getpid(), 0);
	if (o->heartbeat_timeout_ms > 0)
		jl_int_member(h, &m, "heartbeatTimeoutMs", o->heartbeat_timeout_ms, 1);
	/* This handle reads what the daemon sends: it takes the run's "cancel" notification. */
	jl_key(h, "acceptsCancel");
	jl_buf_add(&h->out, "true", 4);
	h->cancel_requested = 0;
	h->cancel_reason[0] = '\0';
	rc = jl_end_request(h, &m, "startRun", &res);
	if (rc != JOBLOG_OK)
		return rc;
	rid = json_string_value(json_object_get(res, "jobRunId"));
	if (!jl_valid_run_id(rid)) {
		json_decref(res);
		return jl_fail(h, JOBLOG_EPROTO, "startRun: no valid jobRunId in the result");
	}
	snprintf(h->run_id, sizeof h->run_id, "%s", rid);
	json_decref(res);
	return JOBLOG_OK;
}

int joblog_start_run(joblog_t *h, const char *job_name, const char *trigger, const char *scope,
                     const char *algorithm_version, json_t *params)
{
	joblog_start_opts o;
	memset(&o, 0, sizeof o);
	o.trigger = trigger;
	o.scope = scope;
	o.algorithm_version = algorithm_version;
	o.params = params;
	return joblog_start_run_opts(h, job_name, &o);
}

int joblog_start_run_json(joblog_t *h, const char *job_name, const char *trigger, const char *scope,
                          const char *algorithm_version, const char *params_json)
{
	joblog_start_opts o;
	memset(&o, 0, sizeof o);
	o.trigger = trigger;
	o.scope = scope;
	o.algorithm_version = algorithm_version;
	o.params_json = params_json;
	return joblog_start_run_opts(h, job_name, &o);
}

int joblog_stage(joblog_t *h, const char *stage, const char *message)
{
	jl_msg m;
	int rc;
	if (!h)
		return JOBLOG_EINVAL;
	if ((rc = jl_begin(h, &m, "setStage", 1)) != JOBLOG_OK)
		return rc;
	jl_at_member(h);
	if ((rc = jl_str_member(h, &m, "stage", stage, 0, JL_MAX_NAME)) != JOBLOG_OK)
		return rc;
	if (message && (rc = jl_str_member(h, &m, "message", message, 0, JL_MAX_MESSAGE)) != JOBLOG_OK)
		return rc;
	m.urgent = 1;
	return jl_end_notify(h, &m);
}

int joblog_total(joblog_t *h, int64_t total, const char *unit)
{
	jl_msg m;
	int rc;
	if (!h)
		return JOBLOG_EINVAL;
	if ((rc = jl_begin(h, &m, "setTotal", 1)) != JOBLOG_OK)
		return rc;
	jl_at_member(h);
	if ((rc = jl_int_member(h, &m, "total", total, 1)) != JOBLOG_OK)
		return rc;
	if (unit && (rc = jl_str_member(h, &m, "unit", unit, 0, JL_MAX_NAME)) != JOBLOG_OK)
		return rc;
	return jl_end_notify(h, &m);
}

int joblog_inc(joblog_t *h, int64_t by)
{
	jl_msg m;
	int rc;
	if (!h)
		return JOBLOG_EINVAL;
	if ((rc = jl_begin(h, &m, "incrementProgress", 1)) != JOBLOG_OK)
		return rc;
	jl_at_member(h);
	if (by != 1 && (rc = jl_int_member(h, &m, "by", by, 1)) != JOBLOG_OK)
		return rc;
	return jl_end_notify(h, &m);
}

int joblog_progress(joblog_t *h, int64_t current)
{
	jl_msg m;
	int rc;
	if (!h)
		return JOBLOG_EINVAL;
	if ((rc = jl_begin(h, &m, "setProgress", 1)) != JOBLOG_OK)
		return rc;
	jl_at_member(h);
	if ((rc = jl_int_member(h, &m, "current", current, 1)) != JOBLOG_OK)
		return rc;
	return jl_end_notify(h, &m);
}

static int log_any(joblog_t *h, joblog_level level, const char *message, json_t *ctx, const char *ctx_text)
{
	jl_msg m;
	int rc;
	if (!h)
		return JOBLOG_EINVAL;
	if ((unsigned)level > JOBLOG_ERROR) {
		jl_reset_err(h);
		return jl_fail(h, JOBLOG_EINVAL, "unknown level %d", (int)level);
	}
	if ((rc = jl_begin(h, &m, level_names[level], 1)) != JOBLOG_OK)
		return rc;
	jl_at_member(h);
	if ((rc = jl_str_member(h, &m, "message", message, 0, JL_MAX_MESSAGE)) != JOBLOG_OK)
		return rc;
	if ((rc = jl_obj_member(h, &m, "context", ctx, ctx_text)) != JOBLOG_OK)
		return rc;
	m.urgent = level >= JOBLOG_MILESTONE;
	return jl_end_notify(h, &m);
}

int joblog_log(joblog_t *h, joblog_level level, const char *message, json_t *context)
{
	return log_any(h, level, message, context, NULL);
}

int joblog_log_json(joblog_t *h, joblog_level level, const char *message, const char *context_json)
{
	return log_any(h, level, message, NULL, context_json);
}

int joblog_logf(joblog_t *h, joblog_level level, const char *fmt, ...)
{
	char small[512];
	char *msg = small;
	va_list ap;
	int n, rc;

	if (!h || !fmt)
		return JOBLOG_EINVAL;
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0) {
		jl_reset_err(h);
		return jl_fail(h, JOBLOG_EINVAL, "bad format");
	}
	if ((size_t)n >= sizeof small) {
		msg = malloc((size_t)n + 1);
		if (!msg) {
			jl_reset_err(h);
			return jl_fail(h, JOBLOG_ENOMEM, "out of memory");
		}
		va_start(ap, fmt);
		vsnprintf(msg, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	rc = log_any(h, level, msg, NULL, NULL);
	if (msg != small)
		free(msg);
	return rc;
}

int joblog_debug(joblog_t *h, const char *message, json_t *c) { return log_any(h, JOBLOG_DEBUG, message, c, NULL); }
int joblog_info(joblog_t *h, const char *message, json_t *c) { return log_any(h, JOBLOG_INFO, message, c, NULL); }
int joblog_milestone(joblog_t *h, const char *message, json_t *c) { return log_any(h, JOBLOG_MILESTONE, message, c, NULL); }
int joblog_warning(joblog_t *h, const char *message, json_t *c) { return log_any(h, JOBLOG_WARNING, message, c, NULL); }
int joblog_error(joblog_t *h, const char *message, json_t *c) { return log_any(h, JOBLOG_ERROR, message, c, NULL); }
int joblog_debug_json(joblog_t *h, const char *message, const char *c) { return log_any(h, JOBLOG_DEBUG, message, NULL, c); }
int joblog_info_json(joblog_t *h, const char *message, const char *c) { return log_any(h, JOBLOG_INFO, message, NULL, c); }
int joblog_milestone_json(joblog_t *h, const char *message, const char *c) { return log_any(h, JOBLOG_MILESTONE, message, NULL, c); }
int joblog_warning_json(joblog_t *h, const char *message, const char *c) { return log_any(h, JOBLOG_WARNING, message, NULL, c); }
int joblog_error_json(joblog_t *h, const char *message, const char *c) { return log_any(h, JOBLOG_ERROR, message, NULL, c); }

int joblog_outcome_add(joblog_t *h, const char *k, int64_t count)
{
	jl_msg m;
	int rc;
	if (!h)
		return JOBLOG_EINVAL;
	if ((rc = jl_begin(h, &m, "addOutcome", 1)) != JOBLOG_OK)
		return rc;
	if ((rc = jl_str_member(h, &m, "key", k, 1, JL_MAX_NAME)) != JOBLOG_OK)
		return rc;
	if (count != 1)
		jl_int_member(h, &m, "count", count, 0);
	return jl_end_notify(h, &m);
}

/* A request for the current run whose result holds "outcome". */
static int outcome_request(joblog_t *h, const char *method, json_t **outcome)
{
	jl_msg m;
	json_t *res = NULL;
	int rc;
	if (outcome)
		*outcome = NULL;
	if (!h)
		return JOBLOG_EINVAL;
	if ((rc = jl_begin(h, &m, method, 1)) != JOBLOG_OK)
		return rc;
	rc = jl_end_request(h, &m, method, outcome ? &res : NULL);
	if (rc == JOBLOG_OK && outcome) {
		json_t *o = json_object_get(res, "outcome");
		*outcome = o ? json_incref(o) : NULL;
	}
	if (res)
		json_decref(res);
	return rc;
}

int joblog_outcome_save(joblog_t *h, json_t **outcome)
{
	return outcome_request(h, "saveOutcome", outcome);
}

int joblog_summary(joblog_t *h, json_t **outcome)
{
	return outcome_request(h, "logSummary", outcome);
}

int joblog_finish(joblog_t *h, joblog_status status, const char *error_message, const char *error_stack)
{
	jl_msg m;
	int rc;
	if (!h)
		return JOBLOG_EINVAL;
	if ((unsigned)status > JOBLOG_CANCELLED) {
		jl_reset_err(h);
		return jl_fail(h, JOBLOG_EINVAL, "unknown status %d", (int)status);
	}
	if ((rc = jl_begin(h, &m, "finishRun", 1)) != JOBLOG_OK)
		return rc;
	jl_key(h, "status");
	jl_buf_add(&h->out, "\"", 1);
	jl_buf_adds(&h->out, status_names[status]);
	jl_buf_add(&h->out, "\"", 1);
	if (error_message && !error_stack) {
		if ((rc = jl_str_member(h, &m, "error", error_message, 0, JL_MAX_MESSAGE)) != JOBLOG_OK)
			return rc;
	} else if (error_message) {
		jl_key(h, "error");
		jl_buf_add(&h->out, "{", 1);
		if ((rc = jl_str_member(h, &m, "message", error_message, 0, JL_MAX_MESSAGE)) != JOBLOG_OK)
			return rc;
		if ((rc = jl_str_member(h, &m, "stack", error_stack, 0, JL_MAX_MESSAGE)) != JOBLOG_OK)
			return rc;
		jl_buf_add(&h->out, "}", 1);
	}
	return jl_end_request(h, &m, "finishRun", NULL);
}

int joblog_flush(joblog_t *h)
{
	jl_msg m;
	int rc;
	if (!h)
		return JOBLOG_EINVAL;
	json_t *result = NULL;
	json_int_t n;
	const char *last;
	if ((rc = jl_begin(h, &m, "ping", 0)) != JOBLOG_OK)
		return rc;
	/* Asks for the notifications the daemon refused since the last such ping. */
	jl_key(h, "rejected");
	jl_buf_adds(&h->out, "true");
	if ((rc = jl_end_request(h, &m, "ping", &result)) != JOBLOG_OK)
		return rc;
	n = json_integer_value(json_object_get(result, "rejected"));
	last = json_string_value(json_object_get(result, "lastRejection"));
	if (n > 0) {
		h->rejected += (unsigned long)n;
		snprintf(h->last_rejection, sizeof h->last_rejection, "%s", last ? last : "");
		rc = jl_fail(h, JOBLOG_EREJECTED, "the daemon rejected %lld notification(s); last: %s", (long long)n,
		             h->last_rejection);
	}
	json_decref(result);
	return rc;
}

int joblog_send_pending(joblog_t *h)
{
	if (!h)
		return JOBLOG_EINVAL;
	jl_reset_err(h);
	return jl_write_out(h, jl_deadline_from_now(h));
}

int joblog_call(joblog_t *h, const char *method, json_t *params, json_t **result)
{
	jl_msg m;
	const char *k;
	json_t *v;

	if (result)
		*result = NULL;
	if (!h)
		return JOBLOG_EINVAL;
	jl_reset_err(h);
	if (!method || !*method)
		return jl_fail(h, JOBLOG_EINVAL, "method: required");
	if (params && !json_is_object(params))
		return jl_fail(h, JOBLOG_EINVAL, "params: not a JSON object");
	m.mark = h->out.len;
	m.urgent = 0;
	jl_buf_adds(&h->out, "{\"jsonrpc\":\"2.0\",\"method\":");
	jl_buf_add_jstr(&h->out, method, strlen(method));
	jl_buf_adds(&h->out, ",\"params\":{");
	/* Members one by one, so the closing brace is end_request's. */
	json_object_foreach(params, k, v) {
		char *d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!d)
			return jl_abort_msg(h, &m, jl_fail(h, JOBLOG_EINVAL, "params: %s cannot be encoded", k));
		if (h->out.p[h->out.len - 1] != '{')
			jl_buf_add(&h->out, ",", 1);
		jl_buf_add_jstr(&h->out, k, strlen(k));
		jl_buf_add(&h->out, ":", 1);
		jl_buf_adds(&h->out, d);
		free(d);
	}
	return jl_end_request(h, &m, method, result);
}

/* ---------------------------------------------------------------- raw lines */

int joblog_send_raw(joblog_t *h, const char *line, size_t len)
{
	if (!h || (!line && len))
		return JOBLOG_EINVAL;
	jl_reset_err(h);
	jl_buf_add(&h->out, line, len);
	jl_buf_add(&h->out, "\n", 1);
	return jl_write_out(h, jl_deadline_from_now(h));
}

int joblog_read_raw(joblog_t *h, char **line, size_t *len)
{
	char *l;
	size_t n;
	int rc;

	if (!h || !line)
		return JOBLOG_EINVAL;
	*line = NULL;
	if (len)
		*len = 0;
	jl_reset_err(h);
	rc = jl_read_line(h, jl_deadline_from_now(h), 0, &l, &n);
	if (rc != JOBLOG_OK)
		return rc;
	*line = malloc(n + 1);
	if (!*line)
		return jl_fail(h, JOBLOG_ENOMEM, "out of memory");
	memcpy(*line, l, n + 1);
	if (len)
		*len = n;
	h->unacked = 0;
	return JOBLOG_OK;
}

int joblog_call_raw(joblog_t *h, const char *line, size_t len, char **response, size_t *response_len)
{
	int rc = joblog_send_raw(h, line, len);
	if (response)
		*response = NULL;
	if (rc != JOBLOG_OK)
		return rc;
	return joblog_read_raw(h, response, response_len);
}

