/* libjoblog: handle, transport and API. See include/joblog.h. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "joblog_internal.h"

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

struct joblog {
	int fd;                /* -1 while not connected */
	char *path;            /* socket path; NULL for jl_open_fd handles */
	char run_id[24];       /* "" when none */
	jl_buf out;            /* bytes not written yet (notifications, then maybe a request) */
	size_t pending;        /* notifications in `out` */
	struct timespec first; /* when the oldest of them was buffered */
	unsigned long unacked; /* notifications written since the last response */
	char *in;              /* bytes read, not consumed yet: in[in_off, in_len) */
	size_t in_off, in_len, in_cap;
	long long next_id;
	int timeout_ms;
	int max_delay_ms;
	int rpc_code;
	json_t *rpc_data;
	unsigned long stray;
	unsigned long writes;
	json_t *events;         /* queued "event" notifications from the daemon (watch) */
	unsigned long events_dropped;
	char err[512];
};

#define JL_MAX_QUEUED_EVENTS 65536

static const char *const level_names[] = {"debug", "info", "milestone", "warning", "error"};
static const char *const status_names[] = {"SUCCESS", "FAILED", "CANCELLED"};

/* ---------------------------------------------------------------- errors */

static int fail(joblog_t *h, int rc, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

static int fail(joblog_t *h, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(h->err, sizeof h->err, fmt, ap);
	va_end(ap);
	return rc;
}

static void reset_err(joblog_t *h)
{
	h->err[0] = '\0';
	h->rpc_code = 0;
	if (h->rpc_data) {
		json_decref(h->rpc_data);
		h->rpc_data = NULL;
	}
}

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
	return h && h->run_id[0] ? h->run_id : NULL;
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

/* ---------------------------------------------------------------- time */

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static long long elapsed_ms(const struct timespec *since)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)(t.tv_sec - since->tv_sec) * 1000 + (t.tv_nsec - since->tv_nsec) / 1000000;
}

/* Milliseconds left before deadline (-1: none), for poll(). */
static int remaining(long long deadline)
{
	long long left;
	if (deadline < 0)
		return -1;
	left = deadline - now_ms();
	if (left < 0)
		return 0;
	return left > 0x7fffffff ? 0x7fffffff : (int)left;
}

/* ---------------------------------------------------------------- connection */

static void drop_connection(joblog_t *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	h->in_off = h->in_len = 0;
}

/* Closes the connection after a failure; says what may be lost. */
static int lost(joblog_t *h, int rc, const char *what)
{
	unsigned long n = h->unacked + h->pending;
	drop_connection(h);
	h->out.len = 0;
	h->pending = 0;
	h->unacked = 0;
	if (n)
		return fail(h, rc, "%s; up to %lu notification(s) sent since the last answered request may be lost",
		            what, n);
	return fail(h, rc, "%s", what);
}

static int connect_socket(joblog_t *h)
{
	struct sockaddr_un addr;
	int fd, flags;

	if (h->fd >= 0)
		return JOBLOG_OK;
	if (!h->path)
		return fail(h, JOBLOG_ECONNECT, "not connected");
	if (strlen(h->path) >= sizeof addr.sun_path)
		return fail(h, JOBLOG_ECONNECT, "socket path too long: %s", h->path);
	memset(&addr, 0, sizeof addr);
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, h->path, strlen(h->path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(h, JOBLOG_ECONNECT, "socket: %s", strerror(errno));
	while (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
		if (errno == EINTR)
			continue;
		if (errno == EISCONN) /* an interrupted connect() completed */
			break;
		int e = errno;
		close(fd);
		return fail(h, JOBLOG_ECONNECT, "cannot connect to joblogd at %s: %s (is the daemon running?)",
		            h->path, strerror(e));
	}
	flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	h->fd = fd;
	h->in_off = h->in_len = 0;
	return JOBLOG_OK;
}

/* Writes everything in h->out. */
static int write_out(joblog_t *h, long long deadline)
{
	size_t off = 0;
	int rc;

	if (h->out.oom) {
		h->out.oom = 0;
		h->out.len = 0;
		h->pending = 0;
		return fail(h, JOBLOG_ENOMEM, "out of memory while encoding");
	}
	if (h->out.len == 0)
		return JOBLOG_OK;
	rc = connect_socket(h);
	if (rc != JOBLOG_OK) {
		unsigned long n = h->pending;
		h->out.len = 0;
		h->pending = 0;
		if (n) {
			size_t l = strlen(h->err);
			snprintf(h->err + l, sizeof h->err - l, "; %lu buffered notification(s) dropped", n);
		}
		return rc;
	}
	while (off < h->out.len) {
		ssize_t w = send(h->fd, h->out.p + off, h->out.len - off, MSG_NOSIGNAL);
		if (w > 0) {
			off += (size_t)w;
			h->writes++;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd p = {h->fd, POLLOUT, 0};
			int r = poll(&p, 1, remaining(deadline));
			if (r == 0)
				return lost(h, JOBLOG_ETIMEOUT, "timed out writing to joblogd");
			if (r < 0 && errno != EINTR)
				return lost(h, JOBLOG_EIO, "poll failed");
			continue;
		}
		{
			char msg[160];
			snprintf(msg, sizeof msg, "connection to joblogd lost while writing: %s",
			         w < 0 ? strerror(errno) : "closed");
			return lost(h, JOBLOG_EIO, msg);
		}
	}
	h->unacked += h->pending;
	h->pending = 0;
	h->out.len = 0;
	return JOBLOG_OK;
}

/* Next line from the daemon into *line (pointing into h->in, valid until the
 * next read), without '\n' (and a '\r' before it). */
static int read_line(joblog_t *h, long long deadline, int keep_on_timeout, char **line, size_t *len)
{
	for (;;) {
		char *start = h->in + h->in_off;
		char *nl = h->in_len > h->in_off ? memchr(start, '\n', h->in_len - h->in_off) : NULL;
		if (nl) {
			size_t n = (size_t)(nl - start);
			*nl = '\0';
			if (n > 0 && start[n - 1] == '\r')
				start[--n] = '\0';
			h->in_off += (size_t)(nl - start) + 1;
			*line = start;
			*len = n;
			return JOBLOG_OK;
		}
		if (h->fd < 0)
			return fail(h, JOBLOG_EIO, "not connected");
		/* Compact, then make room. */
		if (h->in_off > 0) {
			memmove(h->in, h->in + h->in_off, h->in_len - h->in_off);
			h->in_len -= h->in_off;
			h->in_off = 0;
		}
		if (h->in_cap - h->in_len < 65536) {
			size_t cap = h->in_cap ? h->in_cap * 2 : 65536 * 2;
			char *p = realloc(h->in, cap);
			if (!p)
				return fail(h, JOBLOG_ENOMEM, "out of memory reading a response");
			h->in = p;
			h->in_cap = cap;
		}
		ssize_t r = recv(h->fd, h->in + h->in_len, h->in_cap - h->in_len - 1, 0);
		if (r > 0) {
			h->in_len += (size_t)r;
			continue;
		}
		if (r == 0)
			return lost(h, JOBLOG_EIO, "joblogd closed the connection");
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			struct pollfd p = {h->fd, POLLIN, 0};
			int pr = poll(&p, 1, remaining(deadline));
			if (pr == 0 && keep_on_timeout)
				return fail(h, JOBLOG_ETIMEOUT, "nothing from joblogd within the timeout");
			if (pr == 0)
				return lost(h, JOBLOG_ETIMEOUT, "no response from joblogd within the timeout");
			if (pr < 0 && errno != EINTR)
				return lost(h, JOBLOG_EIO, "poll failed");
			continue;
		}
		{
			char msg[160];
			snprintf(msg, sizeof msg, "connection to joblogd lost while reading: %s", strerror(errno));
			return lost(h, JOBLOG_EIO, msg);
		}
	}
}

static long long deadline_from_now(const joblog_t *h)
{
	return h->timeout_ms > 0 ? now_ms() + h->timeout_ms : -1;
}

/* A notification from the daemon ({"method":"event",...} without id):
 * queues its params and returns 1; else 0 (msg untouched). */
static int queue_event(joblog_t *h, json_t *msg)
{
	json_t *params;
	if (!json_is_object(msg) || json_object_get(msg, "id") || !json_is_string(json_object_get(msg, "method")))
		return 0;
	params = json_object_get(msg, "params");
	if (!h->events)
		h->events = json_array();
	if (json_array_size(h->events) >= JL_MAX_QUEUED_EVENTS) {
		json_array_remove(h->events, 0);
		h->events_dropped++;
	}
	json_array_append(h->events, params ? params : json_null());
	json_decref(msg);
	return 1;
}

/* Reads lines until the response with id `id`; returns it parsed in *resp.
 * Events (from watch) met on the way are queued. */
static int wait_response(joblog_t *h, long long id, long long deadline, json_t **resp)
{
	for (;;) {
		char *line;
		size_t len;
		json_error_t jerr;
		json_t *msg, *jid;
		int rc = read_line(h, deadline, 0, &line, &len);
		if (rc != JOBLOG_OK)
			return rc;
		msg = json_loadb(line, len, JSON_DECODE_ANY, &jerr);
		if (!msg) {
			h->stray++;
			continue;
		}
		if (queue_event(h, msg))
			continue;
		jid = json_object_get(msg, "id");
		if (json_is_integer(jid) && json_integer_value(jid) == id) {
			h->unacked = 0;
			*resp = msg;
			return JOBLOG_OK;
		}
		/* An error for the whole connection (too many connections,
		 * shutting down) comes with id null, then the daemon closes. */
		if (json_is_null(jid)) {
			json_t *e = json_object_get(msg, "error");
			json_int_t code = json_integer_value(json_object_get(e, "code"));
			if (code == JOBLOG_RPC_TOO_MANY_CONNECTIONS || code == JOBLOG_RPC_SHUTTING_DOWN) {
				const char *m = json_string_value(json_object_get(e, "message"));
				char what[160];
				snprintf(what, sizeof what, "joblogd: %s (%lld)", m ? m : "error", (long long)code);
				json_decref(msg);
				rc = lost(h, JOBLOG_ERPC, what);
				h->rpc_code = (int)code;
				return rc;
			}
		}
		h->stray++;
		json_decref(msg);
	}
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
	return connect_socket(h);
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
	drop_connection(h);
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
	reset_err(h);
	if (!jl_valid_run_id(run_id))
		return fail(h, JOBLOG_EINVAL, "not a run id: %s", run_id ? run_id : "(null)");
	snprintf(h->run_id, sizeof h->run_id, "%s", run_id);
	return JOBLOG_OK;
}

/* ---------------------------------------------------------------- messages */

/* A message under construction in h->out, from `mark` on. */
typedef struct {
	size_t mark;
	int urgent; /* write at once (a stage change, a milestone or worse) */
} msg_t;

static int begin(joblog_t *h, msg_t *m, const char *method, int with_run)
{
	reset_err(h);
	if (with_run && !h->run_id[0])
		return fail(h, JOBLOG_ENORUN, "no run: call joblog_start_run() or joblog_attach(), or set JOBLOG_RUN_ID");
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

static int abort_msg(joblog_t *h, msg_t *m, int rc)
{
	h->out.len = m->mark;
	h->out.oom = 0;
	return rc;
}

/* ,"name": */
static void key(joblog_t *h, const char *name)
{
	if (h->out.len > 0 && h->out.p[h->out.len - 1] != '{')
		jl_buf_add(&h->out, ",", 1);
	jl_buf_add(&h->out, "\"", 1);
	jl_buf_adds(&h->out, name);
	jl_buf_add(&h->out, "\":", 2);
}

/* A string member; checks min/max decoded length. */
static int str_member(joblog_t *h, msg_t *m, const char *name, const char *value, size_t min, size_t max)
{
	size_t n;
	if (!value)
		return abort_msg(h, m, fail(h, JOBLOG_EINVAL, "%s: required", name));
	key(h, name);
	n = jl_buf_add_jstr(&h->out, value, strlen(value));
	if (h->out.oom)
		return abort_msg(h, m, fail(h, JOBLOG_ENOMEM, "out of memory"));
	if (n < min || n > max)
		return abort_msg(h, m, fail(h, JOBLOG_EINVAL, "%s: %s (%zu bytes; %zu ... %zu allowed)", name,
		                            n < min ? "empty" : "too long", n, min, max));
	return JOBLOG_OK;
}

static int int_member(joblog_t *h, msg_t *m, const char *name, int64_t v, int nonneg)
{
	if (nonneg && v < 0)
		return abort_msg(h, m, fail(h, JOBLOG_EINVAL, "%s: must be >= 0 (got %lld)", name, (long long)v));
	key(h, name);
	jl_buf_add_i64(&h->out, v);
	return JOBLOG_OK;
}

static int obj_member(joblog_t *h, msg_t *m, const char *name, json_t *obj, const char *text)
{
	char why[256];
	int rc;
	if (!obj && !text)
		return JOBLOG_OK;
	key(h, name);
	rc = obj ? jl_buf_add_object(&h->out, obj, why, sizeof why)
	         : jl_buf_add_object_text(&h->out, text, why, sizeof why);
	if (rc == JOBLOG_ENOMEM)
		return abort_msg(h, m, fail(h, rc, "out of memory"));
	if (rc != JOBLOG_OK)
		return abort_msg(h, m, fail(h, rc, "%s: %s", name, why));
	return JOBLOG_OK;
}

/* Ends a notification: buffers it, writes the buffer when due. */
static int end_notify(joblog_t *h, msg_t *m)
{
	jl_buf_add(&h->out, "}}\n", 3);
	if (h->out.oom)
		return abort_msg(h, m, fail(h, JOBLOG_ENOMEM, "out of memory"));
	if (h->pending++ == 0)
		clock_gettime(CLOCK_MONOTONIC, &h->first);
	if (m->urgent || h->out.len >= JL_FLUSH_BYTES || h->max_delay_ms == 0 ||
	    (h->max_delay_ms > 0 && elapsed_ms(&h->first) >= h->max_delay_ms))
		return write_out(h, deadline_from_now(h));
	return JOBLOG_OK;
}

/* Ends a request: writes the buffer with it, waits for its response, and
 * returns its result (new reference) in *result when result is not NULL. */
static int end_request(joblog_t *h, msg_t *m, const char *method, json_t **result)
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
		return abort_msg(h, m, fail(h, JOBLOG_ENOMEM, "out of memory"));
	deadline = deadline_from_now(h);
	rc = write_out(h, deadline);
	if (rc != JOBLOG_OK)
		return rc;
	rc = wait_response(h, id, deadline, &resp);
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
		fail(h, JOBLOG_ERPC, "%s: %s (%d)%s%s", method, msg ? msg : "error", h->rpc_code, d ? " " : "",
		     d ? d : "");
		free(d);
		json_decref(resp);
		return JOBLOG_ERPC;
	}
	json_decref(resp);
	return fail(h, JOBLOG_EPROTO, "%s: a response with neither result nor error", method);
}

/* ---------------------------------------------------------------- runs */

int joblog_start_run_opts(joblog_t *h, const char *job_name, const joblog_start_opts *o)
{
	static const joblog_start_opts none;
	msg_t m;
	json_t *res = NULL;
	const char *rid;
	int rc;

	if (!h)
		return JOBLOG_EINVAL;
	if (!o)
		o = &none;
	if ((rc = begin(h, &m, "startRun", 0)) != JOBLOG_OK)
		return rc;
	if ((rc = str_member(h, &m, "jobName", job_name, 1, JL_MAX_NAME)) != JOBLOG_OK)
		return rc;
	if (o->trigger && (rc = str_member(h, &m, "trigger", o->trigger, 0, JL_MAX_NAME)) != JOBLOG_OK)
		return rc;
	if (o->scope && (rc = str_member(h, &m, "scope", o->scope, 0, JL_MAX_NAME)) != JOBLOG_OK)
		return rc;
	if (o->algorithm_version &&
	    (rc = str_member(h, &m, "algorithmVersion", o->algorithm_version, 0, JL_MAX_NAME)) != JOBLOG_OK)
		return rc;
	if ((rc = obj_member(h, &m, "params", o->params, o->params ? NULL : o->params_json)) != JOBLOG_OK)
		return rc;
	if (o->pid >= 0)
		int_member(h, &m, "pid", o->pid ? o->pid : (long long)getpid(), 0);
	if (o->heartbeat_timeout_ms > 0)
		int_member(h, &m, "heartbeatTimeoutMs", o->heartbeat_timeout_ms, 1);
	rc = end_request(h, &m, "startRun", &res);
	if (rc != JOBLOG_OK)
		return rc;
	rid = json_string_value(json_object_get(res, "jobRunId"));
	if (!jl_valid_run_id(rid)) {
		json_decref(res);
		return fail(h, JOBLOG_EPROTO, "startRun: no valid jobRunId in the result");
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
	msg_t m;
	int rc;
	if (!h)
		return JOBLOG_EINVAL;
	if ((rc = begin(h, &m, "setStage", 1)) != JOBLOG_OK)
		return rc;
	if ((rc = str_member(h, &m, "stage", stage, 0, JL_MAX_NAME)) != JOBLOG_OK)
		return rc;
	if (message && (rc = str_member(h, &m, "message", message, 0, JL_MAX_MESSAGE)) != JOBLOG_OK)
		return rc;
	m.urgent = 1;
	return end_notify(h, &m);
}

int joblog_total(joblog_t *h, int64_t total, const char *unit)
{
	msg_t m;
	int rc;
	if (!h)
		return JOBLOG_EINVAL;
	if ((rc = begin(h, &m, "setTotal", 1)) != JOBLOG_OK)
		return rc;
	if ((rc = int_member(h, &m, "total", total, 1)) != JOBLOG_OK)
		return rc;
	if (unit && (rc = str_member(h, &m, "unit", unit, 0, JL_MAX_NAME)) != JOBLOG_OK)
		return rc;
	return end_notify(h, &m);
}

int joblog_inc(joblog_t *h, int64_t by)
{
	msg_t m;
	int rc;
	if (!h)
		return JOBLOG_EINVAL;
	if ((rc = begin(h, &m, "incrementProgress", 1)) != JOBLOG_OK)
		return rc;
	if (by != 1 && (rc = int_member(h, &m, "by", by, 1)) != JOBLOG_OK)
		return rc;
	return end_notify(h, &m);
}

int joblog_progress(joblog_t *h, int64_t current)
{
	msg_t m;
	int rc;
	if (!h)
		return JOBLOG_EINVAL;
	if ((rc = begin(h, &m, "setProgress", 1)) != JOBLOG_OK)
		return rc;
	if ((rc = int_member(h, &m, "current", current, 1)) != JOBLOG_OK)
		return rc;
	return end_notify(h, &m);
}

static int log_any(joblog_t *h, joblog_level level, const char *message, json_t *ctx, const char *ctx_text)
{
	msg_t m;
	int rc;
	if (!h)
		return JOBLOG_EINVAL;
	if ((unsigned)level > JOBLOG_ERROR) {
		reset_err(h);
		return fail(h, JOBLOG_EINVAL, "unknown level %d", (int)level);
	}
	if ((rc = begin(h, &m, level_names[level], 1)) != JOBLOG_OK)
		return rc;
	if ((rc = str_member(h, &m, "message", message, 0, JL_MAX_MESSAGE)) != JOBLOG_OK)
		return rc;
	if ((rc = obj_member(h, &m, "context", ctx, ctx_text)) != JOBLOG_OK)
		return rc;
	m.urgent = level >= JOBLOG_MILESTONE;
	return end_notify(h, &m);
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
		reset_err(h);
		return fail(h, JOBLOG_EINVAL, "bad format");
	}
	if ((size_t)n >= sizeof small) {
		msg = malloc((size_t)n + 1);
		if (!msg) {
			reset_err(h);
			return fail(h, JOBLOG_ENOMEM, "out of memory");
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
	msg_t m;
	int rc;
	if (!h)
		return JOBLOG_EINVAL;
	if ((rc = begin(h, &m, "addOutcome", 1)) != JOBLOG_OK)
		return rc;
	if ((rc = str_member(h, &m, "key", k, 1, JL_MAX_NAME)) != JOBLOG_OK)
		return rc;
	if (count != 1)
		int_member(h, &m, "count", count, 0);
	return end_notify(h, &m);
}

/* A request for the current run whose result holds "outcome". */
static int outcome_request(joblog_t *h, const char *method, json_t **outcome)
{
	msg_t m;
	json_t *res = NULL;
	int rc;
	if (outcome)
		*outcome = NULL;
	if (!h)
		return JOBLOG_EINVAL;
	if ((rc = begin(h, &m, method, 1)) != JOBLOG_OK)
		return rc;
	rc = end_request(h, &m, method, outcome ? &res : NULL);
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
	msg_t m;
	int rc;
	if (!h)
		return JOBLOG_EINVAL;
	if ((unsigned)status > JOBLOG_CANCELLED) {
		reset_err(h);
		return fail(h, JOBLOG_EINVAL, "unknown status %d", (int)status);
	}
	if ((rc = begin(h, &m, "finishRun", 1)) != JOBLOG_OK)
		return rc;
	key(h, "status");
	jl_buf_add(&h->out, "\"", 1);
	jl_buf_adds(&h->out, status_names[status]);
	jl_buf_add(&h->out, "\"", 1);
	if (error_message && !error_stack) {
		if ((rc = str_member(h, &m, "error", error_message, 0, JL_MAX_MESSAGE)) != JOBLOG_OK)
			return rc;
	} else if (error_message) {
		key(h, "error");
		jl_buf_add(&h->out, "{", 1);
		if ((rc = str_member(h, &m, "message", error_message, 0, JL_MAX_MESSAGE)) != JOBLOG_OK)
			return rc;
		if ((rc = str_member(h, &m, "stack", error_stack, 0, JL_MAX_MESSAGE)) != JOBLOG_OK)
			return rc;
		jl_buf_add(&h->out, "}", 1);
	}
	return end_request(h, &m, "finishRun", NULL);
}

int joblog_flush(joblog_t *h)
{
	msg_t m;
	int rc;
	if (!h)
		return JOBLOG_EINVAL;
	if ((rc = begin(h, &m, "ping", 0)) != JOBLOG_OK)
		return rc;
	return end_request(h, &m, "ping", NULL);
}

int joblog_send_pending(joblog_t *h)
{
	if (!h)
		return JOBLOG_EINVAL;
	reset_err(h);
	return write_out(h, deadline_from_now(h));
}

int joblog_call(joblog_t *h, const char *method, json_t *params, json_t **result)
{
	msg_t m;
	const char *k;
	json_t *v;

	if (result)
		*result = NULL;
	if (!h)
		return JOBLOG_EINVAL;
	reset_err(h);
	if (!method || !*method)
		return fail(h, JOBLOG_EINVAL, "method: required");
	if (params && !json_is_object(params))
		return fail(h, JOBLOG_EINVAL, "params: not a JSON object");
	m.mark = h->out.len;
	m.urgent = 0;
	jl_buf_adds(&h->out, "{\"jsonrpc\":\"2.0\",\"method\":");
	jl_buf_add_jstr(&h->out, method, strlen(method));
	jl_buf_adds(&h->out, ",\"params\":{");
	/* Members one by one, so the closing brace is end_request's. */
	json_object_foreach(params, k, v) {
		char *d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!d)
			return abort_msg(h, &m, fail(h, JOBLOG_EINVAL, "params: %s cannot be encoded", k));
		if (h->out.p[h->out.len - 1] != '{')
			jl_buf_add(&h->out, ",", 1);
		jl_buf_add_jstr(&h->out, k, strlen(k));
		jl_buf_add(&h->out, ":", 1);
		jl_buf_adds(&h->out, d);
		free(d);
	}
	return end_request(h, &m, method, result);
}

/* ---------------------------------------------------------------- raw lines */

int joblog_send_raw(joblog_t *h, const char *line, size_t len)
{
	if (!h || (!line && len))
		return JOBLOG_EINVAL;
	reset_err(h);
	jl_buf_add(&h->out, line, len);
	jl_buf_add(&h->out, "\n", 1);
	return write_out(h, deadline_from_now(h));
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
	reset_err(h);
	rc = read_line(h, deadline_from_now(h), 0, &l, &n);
	if (rc != JOBLOG_OK)
		return rc;
	*line = malloc(n + 1);
	if (!*line)
		return fail(h, JOBLOG_ENOMEM, "out of memory");
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

/* ---------------------------------------------------------------- watch */

int joblog_watch(joblog_t *h, const char *run_id, const char *job_name, const char *level, char *subscription,
                 size_t size)
{
	msg_t m;
	json_t *res = NULL;
	const char *sub;
	int rc;

	if (!h)
		return JOBLOG_EINVAL;
	if ((rc = begin(h, &m, "watch", 0)) != JOBLOG_OK)
		return rc;
	if (run_id) {
		if (!jl_valid_run_id(run_id))
			return abort_msg(h, &m, fail(h, JOBLOG_EINVAL, "not a run id: %s", run_id));
		key(h, "jobRunId");
		jl_buf_add_jstr(&h->out, run_id, strlen(run_id));
	}
	if (job_name && (rc = str_member(h, &m, "jobName", job_name, 1, JL_MAX_NAME)) != JOBLOG_OK)
		return rc;
	if (level && (rc = str_member(h, &m, "level", level, 1, JL_MAX_NAME)) != JOBLOG_OK)
		return rc;
	rc = end_request(h, &m, "watch", &res);
	if (rc != JOBLOG_OK)
		return rc;
	sub = json_string_value(json_object_get(res, "subscription"));
	if (!sub) {
		json_decref(res);
		return fail(h, JOBLOG_EPROTO, "watch: no subscription in the result");
	}
	if (subscription && size)
		snprintf(subscription, size, "%s", sub);
	json_decref(res);
	return JOBLOG_OK;
}

int joblog_unwatch(joblog_t *h, const char *subscription)
{
	msg_t m;
	int rc;
	if (!h)
		return JOBLOG_EINVAL;
	if ((rc = begin(h, &m, "unwatch", 0)) != JOBLOG_OK)
		return rc;
	if ((rc = str_member(h, &m, "subscription", subscription, 1, JL_MAX_NAME)) != JOBLOG_OK)
		return rc;
	return end_request(h, &m, "unwatch", NULL);
}

int joblog_next_event(joblog_t *h, int timeout_ms, json_t **event)
{
	long long deadline;
	int rc;

	if (!h || !event)
		return JOBLOG_EINVAL;
	*event = NULL;
	reset_err(h);
	deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : -1;
	rc = write_out(h, deadline);
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
			return fail(h, JOBLOG_EIO, "not connected (subscriptions end with the connection)");
		rc = read_line(h, deadline, 1, &line, &len);
		if (rc != JOBLOG_OK)
			return rc;
		msg = json_loadb(line, len, JSON_DECODE_ANY, NULL);
		if (!msg || !queue_event(h, msg)) {
			h->stray++;
			json_decref(msg);
		}
	}
}

unsigned long joblog_events_dropped(const joblog_t *h)
{
	return h ? h->events_dropped : 0;
}
