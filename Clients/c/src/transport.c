/* libjoblog transport: errors, the clock, the socket, reading lines and
 * matching responses. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "joblog_internal.h"

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

/* ---------------------------------------------------------------- errors */

int jl_fail(joblog_t *h, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(h->err, sizeof h->err, fmt, ap);
	va_end(ap);
	return rc;
}

void jl_reset_err(joblog_t *h)
{
	h->err[0] = '\0';
	h->rpc_code = 0;
	if (h->rpc_data) {
		json_decref(h->rpc_data);
		h->rpc_data = NULL;
	}
}

/* ---------------------------------------------------------------- time */

long long jl_now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

long long jl_epoch_ms(const joblog_t *h)
{
	struct timespec t;
	if (h->fixed_at)
		return h->fixed_at;
	clock_gettime(CLOCK_REALTIME, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

long long jl_elapsed_ms(const struct timespec *since)
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
	left = deadline - jl_now_ms();
	if (left < 0)
		return 0;
	return left > 0x7fffffff ? 0x7fffffff : (int)left;
}

/* ---------------------------------------------------------------- connection */

void jl_drop_connection(joblog_t *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	h->in_off = h->in_len = 0;
}

/* ---------------------------------------------------------------- the session */

void jl_session_init(joblog_t *h)
{
	unsigned char r[16];
	size_t i;
	ssize_t n = -1;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, r, sizeof r);
		close(fd);
	}
	if (n != (ssize_t)sizeof r) {
		struct timespec t;
		unsigned long long x;
		clock_gettime(CLOCK_REALTIME, &t);
		x = ((unsigned long long)t.tv_nsec << 20) ^ (unsigned long long)t.tv_sec ^
		    ((unsigned long long)getpid() << 40) ^ (unsigned long long)(uintptr_t)h;
		for (i = 0; i < sizeof r; i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			r[i] = (unsigned char)(x >> 56);
		}
	}
	memcpy(h->session, "c-", 2);
	for (i = 0; i < sizeof r; i++)
		snprintf(h->session + 2 + 2 * i, 3, "%02x", r[i]);
	h->oldest = 1;
	h->retry_ms = 50;
}

static size_t count_lines(const char *p, size_t n)
{
	size_t c = 0;
	const char *e = p + n;
	while (p < e && (p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
		c++;
		p++;
	}
	return c;
}

/* Bytes of the first k lines of p[0, n). */
static size_t lines_len(const char *p, size_t n, size_t k)
{
	const char *q = p, *e = p + n;
	while (k > 0 && q < e && (q = memchr(q, '\n', (size_t)(e - q))) != NULL) {
		q++;
		k--;
	}
	return q ? (size_t)(q - p) : n;
}

/* A response acknowledged everything written. */
static void journal_acked(joblog_t *h)
{
	h->oldest += (long long)h->journal_msgs;
	h->journal.len = 0;
	h->journal_msgs = 0;
}

/* -32005: wait before the next connection (50 ms doubling to 1 s). */
static void store_unavailable(joblog_t *h)
{
	jl_drop_connection(h);
	h->retry_at = jl_now_ms() + h->retry_ms;
	h->retry_ms = h->retry_ms >= 500 ? 1000 : h->retry_ms * 2;
}

/* Sends hello on a new connection; forgets what the daemon applied and puts the rest (the
 * journal, then what was never written) in front of h->out, to be resent in order. */
static int hello(joblog_t *h)
{
	jl_buf line = {0}, all = {0};
	long long deadline = jl_now_ms() + (h->timeout_ms > 0 ? h->timeout_ms : 30000);
	size_t off = 0, k, skip, n;
	char *l;
	json_t *msg, *res;
	json_int_t applied, code;
	int rc;

	jl_buf_adds(&line, "{\"jsonrpc\":\"2.0\",\"method\":\"hello\",\"params\":{\"session\":\"");
	jl_buf_adds(&line, h->session);
	jl_buf_adds(&line, "\",\"firstSeq\":");
	jl_buf_add_i64(&line, h->oldest);
	/* After joblog_start this handle takes its run's cancel notices (startRun said
	   acceptsCancel): on a reconnect it says so again, so a request still reaches it. */
	if (h->run_id[0])
		jl_buf_adds(&line, ",\"acceptsCancel\":true");
	jl_buf_adds(&line, "},\"id\":\"hello\"}\n");
	if (line.oom) {
		jl_buf_free(&line);
		jl_drop_connection(h);
		return jl_fail(h, JOBLOG_ENOMEM, "out of memory");
	}
	while (off < line.len) {
		ssize_t w = send(h->fd, line.p + off, line.len - off, MSG_NOSIGNAL);
		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd p = {h->fd, POLLOUT, 0};
			if (poll(&p, 1, 100) >= 0 && jl_now_ms() < deadline)
				continue;
		}
		jl_buf_free(&line);
		jl_drop_connection(h);
		return jl_fail(h, JOBLOG_ECONNECT, "daemon unreachable at %s (hello not sent)", h->path);
	}
	jl_buf_free(&line);
	rc = jl_read_line(h, deadline, 0, &l, &n);
	if (rc != JOBLOG_OK) {
		jl_drop_connection(h);
		return jl_fail(h, JOBLOG_ECONNECT, "daemon unreachable at %s (no answer to hello)", h->path);
	}
	msg = json_loadb(l, n, JSON_DECODE_ANY, NULL);
	res = json_object_get(msg, "result");
	applied = json_integer_value(json_object_get(res, "applied"));
	if (!json_is_integer(json_object_get(res, "applied"))) {
		code = json_integer_value(json_object_get(json_object_get(msg, "error"), "code"));
		json_decref(msg);
		if (code == JOBLOG_RPC_METHOD_NOT_FOUND) {
			/* A version 1 daemon: no session; nothing is kept for resending. */
			h->session_state = -1;
			journal_acked(h);
			return JOBLOG_OK;
		}
		if (code == JOBLOG_RPC_STORE_UNAVAILABLE)
			store_unavailable(h);
		else
			jl_drop_connection(h);
		return jl_fail(h, JOBLOG_ECONNECT, "joblogd at %s did not take the session (%lld)", h->path,
		              (long long)code);
	}
	json_decref(msg);
	h->session_state = 1;
	/* Kept: the journal (written), then h->out (not written): one numbered sequence. */
	jl_buf_add(&all, h->journal.p, h->journal.len);
	jl_buf_add(&all, h->out.p, h->out.len);
	if (all.oom) {
		jl_buf_free(&all);
		jl_drop_connection(h);
		return jl_fail(h, JOBLOG_ENOMEM, "out of memory");
	}
	k = applied >= h->oldest ? (size_t)(applied - h->oldest + 1) : 0;
	skip = lines_len(all.p, all.len, k);
	h->oldest = applied + 1 > h->oldest + (long long)k ? applied + 1 : h->oldest + (long long)k;
	h->out.len = 0;
	jl_buf_add(&h->out, all.p + skip, all.len - skip);
	h->pending = count_lines(h->out.p, h->out.len);
	h->journal.len = 0;
	h->journal_msgs = 0;
	jl_buf_free(&all);
	return JOBLOG_OK;
}

/* Closes the connection after a failure; says what may be lost. */
int jl_lost(joblog_t *h, int rc, const char *what)
{
	unsigned long n = h->unacked + h->pending;
	jl_drop_connection(h);
	if (h->session_state == 1) {
		/* A session: everything is kept and resent after hello on the next connection. */
		h->unacked = 0;
		return jl_fail(h, rc, "%s; %lu message(s) kept for resending", what,
		              (unsigned long)(h->journal_msgs + count_lines(h->out.p, h->out.len)));
	}
	h->dropped += h->pending;
	h->dropped_unnoted += h->pending;
	h->out.len = 0;
	h->pending = 0;
	h->unacked = 0;
	if (n)
		return jl_fail(h, rc, "%s; up to %lu notification(s) sent since the last answered request may be lost",
		            what, n);
	return jl_fail(h, rc, "%s", what);
}

/* Why a connect failed, in the words of every joblog client. */
static const char *unreachable_reason(const char *path, int e)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return errno == ENOENT ? "no such file" : strerror(errno);
	if (!S_ISSOCK(st.st_mode))
		return "not a socket";
	if (e == EACCES || e == EPERM)
		return "permission denied";
	if (e == ECONNREFUSED || e == ENOENT)
		return "nobody listening";
	return strerror(e);
}

/* "2,345" */
static void thousands(char *out, size_t size, unsigned long n)
{
	char digits[32];
	size_t len, i, o = 0;
	snprintf(digits, sizeof digits, "%lu", n);
	len = strlen(digits);
	for (i = 0; i < len && o + 2 < size; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
}

/* After a (re)connect: puts one warning entry for the run in front of the
 * buffer when notifications were dropped while the daemon was unreachable. */
static void note_dropped(joblog_t *h)
{
	jl_buf note = {0};
	char n[40];
	if (!h->dropped_unnoted || !h->run_id[0])
		return;
	thousands(n, sizeof n, h->dropped_unnoted);
	jl_buf_adds(&note, "{\"jsonrpc\":\"2.0\",\"method\":\"warning\",\"params\":{\"jobRunId\":\"");
	jl_buf_adds(&note, h->run_id);
	jl_buf_adds(&note, "\",\"message\":\"client dropped ");
	jl_buf_adds(&note, n);
	jl_buf_adds(&note, " messages while the daemon was unreachable\",\"context\":{\"droppedMessages\":");
	jl_buf_add_i64(&note, (int64_t)h->dropped_unnoted);
	jl_buf_adds(&note, ",\"client\":\"c\"}}}\n");
	if (!note.oom && jl_buf_reserve(&h->out, note.len) == 0 && !h->out.oom) {
		memmove(h->out.p + note.len, h->out.p, h->out.len);
		memcpy(h->out.p, note.p, note.len);
		h->out.len += note.len;
		h->pending++;
		h->dropped_unnoted = 0;
	}
	jl_buf_free(&note);
}

int jl_connect_socket(joblog_t *h)
{
	struct sockaddr_un addr;
	int fd, flags;

	if (h->fd >= 0)
		return JOBLOG_OK;
	if (!h->path)
		return jl_fail(h, JOBLOG_ECONNECT, "not connected");
	if (h->retry_at && jl_now_ms() < h->retry_at)
		return jl_fail(h, JOBLOG_ECONNECT, "joblogd at %s cannot store now (store unavailable); retrying", h->path);
	if (strlen(h->path) >= sizeof addr.sun_path)
		return jl_fail(h, JOBLOG_ECONNECT, "socket path too long: %s", h->path);
	memset(&addr, 0, sizeof addr);
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, h->path, strlen(h->path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return jl_fail(h, JOBLOG_ECONNECT, "socket: %s", strerror(errno));
	while (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
		if (errno == EINTR)
			continue;
		if (errno == EISCONN) /* an interrupted connect() completed */
			break;
		int e = errno;
		close(fd);
		return jl_fail(h, JOBLOG_ECONNECT, "daemon unreachable at %s (%s)", h->path, unreachable_reason(h->path, e));
	}
	flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	h->fd = fd;
	h->in_off = h->in_len = 0;
	if (h->session_state >= 0) {
		int rc = hello(h);
		if (rc != JOBLOG_OK)
			return rc;
	}
	note_dropped(h);
	return JOBLOG_OK;
}

/* Asks for an acknowledgement (a ping) so that the journal stays small. */
static int ack_ping(joblog_t *h, long long deadline)
{
	long long id = h->next_id++;
	json_t *resp = NULL;
	int rc;
	h->in_ack_ping = 1;
	jl_buf_adds(&h->out, "{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":");
	jl_buf_add_i64(&h->out, id);
	jl_buf_adds(&h->out, "}\n");
	rc = jl_write_out(h, deadline);
	if (rc == JOBLOG_OK)
		rc = jl_wait_response(h, id, deadline, &resp);
	if (resp)
		json_decref(resp);
	h->in_ack_ping = 0;
	return rc;
}

/* Writes everything in h->out. */
int jl_write_out(joblog_t *h, long long deadline)
{
	size_t off = 0;
	int rc;

	if (h->out.oom) {
		h->out.oom = 0;
		h->out.len = 0;
		h->pending = 0;
		return jl_fail(h, JOBLOG_ENOMEM, "out of memory while encoding");
	}
	if (h->out.len == 0)
		return JOBLOG_OK;
	rc = jl_connect_socket(h);
	if (rc != JOBLOG_OK && h->session_state == 1) {
		/* A session keeps what it could not send (bounded), for the next connection. */
		size_t lines;
		if (h->journal.len + h->out.len <= JL_MAX_KEPT)
			return rc;
		lines = h->journal_msgs + count_lines(h->out.p, h->out.len);
		h->oldest += (long long)lines;
		h->journal.len = 0;
		h->journal_msgs = 0;
		h->pending = lines;
	}
	if (rc != JOBLOG_OK) {
		unsigned long n = h->pending;
		h->out.len = 0;
		h->pending = 0;
		h->dropped += n;
		h->dropped_unnoted += n;
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
				return jl_lost(h, JOBLOG_ETIMEOUT, "timed out writing to joblogd");
			if (r < 0 && errno != EINTR)
				return jl_lost(h, JOBLOG_EIO, "poll failed");
			continue;
		}
		{
			char msg[160];
			snprintf(msg, sizeof msg, "connection to joblogd lost while writing: %s",
			         w < 0 ? strerror(errno) : "closed");
			return jl_lost(h, JOBLOG_EIO, msg);
		}
	}
	if (h->session_state == 1) {
		jl_buf_add(&h->journal, h->out.p, h->out.len);
		h->journal_msgs += count_lines(h->out.p, h->out.len);
		if (h->journal.oom) { /* cannot keep it: resending is no longer possible */
			h->journal.oom = 0;
			journal_acked(h);
		}
	}
	h->unacked += h->pending;
	h->pending = 0;
	h->out.len = 0;
	if (h->session_state == 1 && h->journal.len > JL_JOURNAL_ACK && !h->in_ack_ping)
		return ack_ping(h, deadline);
	return JOBLOG_OK;
}

/* Next line from the daemon into *line (pointing into h->in, valid until the
 * next read), without '\n' (and a '\r' before it). */
int jl_read_line(joblog_t *h, long long deadline, int keep_on_timeout, char **line, size_t *len)
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
			return jl_fail(h, JOBLOG_EIO, "not connected");
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
				return jl_fail(h, JOBLOG_ENOMEM, "out of memory reading a response");
			h->in = p;
			h->in_cap = cap;
		}
		ssize_t r = recv(h->fd, h->in + h->in_len, h->in_cap - h->in_len - 1, 0);
		if (r > 0) {
			h->in_len += (size_t)r;
			continue;
		}
		if (r == 0)
			return jl_lost(h, JOBLOG_EIO, "joblogd closed the connection");
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			struct pollfd p = {h->fd, POLLIN, 0};
			int pr = poll(&p, 1, remaining(deadline));
			if (pr == 0 && keep_on_timeout)
				return jl_fail(h, JOBLOG_ETIMEOUT, "nothing from joblogd within the timeout");
			if (pr == 0)
				return jl_lost(h, JOBLOG_ETIMEOUT, "no response from joblogd within the timeout");
			if (pr < 0 && errno != EINTR)
				return jl_lost(h, JOBLOG_EIO, "poll failed");
			continue;
		}
		{
			char msg[160];
			snprintf(msg, sizeof msg, "connection to joblogd lost while reading: %s", strerror(errno));
			return jl_lost(h, JOBLOG_EIO, msg);
		}
	}
}

long long jl_deadline_from_now(const joblog_t *h)
{
	return h->timeout_ms > 0 ? jl_now_ms() + h->timeout_ms : -1;
}

/* A notification from the daemon ({"method":"event",...} without id):
 * queues its params and returns 1; else 0 (msg untouched). */
int jl_queue_event(joblog_t *h, json_t *msg)
{
	json_t *params;
	if (!json_is_object(msg) || json_object_get(msg, "id") || !json_is_string(json_object_get(msg, "method")))
		return 0;
	params = json_object_get(msg, "params");
	if (strcmp(json_string_value(json_object_get(msg, "method")), "cancel") == 0) {
		jl_note_cancel(h, params);
		json_decref(msg);
		return 1;
	}
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
int jl_wait_response(joblog_t *h, long long id, long long deadline, json_t **resp)
{
	for (;;) {
		char *line;
		size_t len;
		json_error_t jerr;
		json_t *msg, *jid;
		int rc = jl_read_line(h, deadline, 0, &line, &len);
		if (rc != JOBLOG_OK)
			return rc;
		msg = json_loadb(line, len, JSON_DECODE_ANY, &jerr);
		if (!msg) {
			h->stray++;
			continue;
		}
		if (jl_queue_event(h, msg))
			continue;
		jid = json_object_get(msg, "id");
		if (json_is_integer(jid) && json_integer_value(jid) == id) {
			json_int_t code = json_integer_value(json_object_get(json_object_get(msg, "error"), "code"));
			if (h->session_state == 1 && code == JOBLOG_RPC_STORE_UNAVAILABLE) {
				/* Not an acknowledgement: keep everything, reconnect after a backoff, resend. */
				store_unavailable(h);
			} else {
				journal_acked(h);
				h->retry_ms = 50;
			}
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
				rc = jl_lost(h, JOBLOG_ERPC, what);
				h->rpc_code = (int)code;
				return rc;
			}
		}
		h->stray++;
		json_decref(msg);
	}
}

