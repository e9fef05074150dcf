/* Internals of libjoblog shared by its sources and its unit tests.
 * Not installed; every symbol here is hidden in the shared library. */
#ifndef JOBLOG_INTERNAL_H
#define JOBLOG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "joblog.h"

#if defined(__GNUC__) && __GNUC__ >= 4
#define JL_HIDDEN __attribute__((visibility("hidden")))
#else
#define JL_HIDDEN
#endif

/* Limits of PROTOCOL.md section 4, checked before sending. */
#define JL_MAX_NAME 200           /* jobName, stage, unit, key, trigger, scope, algorithmVersion */
#define JL_MAX_MESSAGE 65536      /* message, error message/stack */
#define JL_MAX_OBJECT 65536       /* context, params: bytes as sent */
#define JL_MAX_DEPTH 32           /* context, params: nesting depth */
#define JL_FLUSH_BYTES 65536      /* write the notification buffer past this */

/* A growable byte buffer. After an allocation failure `oom` is set and
 * further appends are ignored (checked once, at the end of a message). */
typedef struct {
	char *p;
	size_t len;
	size_t cap;
	int oom;
} jl_buf;

JL_HIDDEN int jl_buf_reserve(jl_buf *b, size_t extra);
JL_HIDDEN void jl_buf_add(jl_buf *b, const void *data, size_t n);
JL_HIDDEN void jl_buf_adds(jl_buf *b, const char *s);
JL_HIDDEN void jl_buf_add_i64(jl_buf *b, int64_t v);
JL_HIDDEN void jl_buf_free(jl_buf *b);

/* Appends s (n bytes) as a JSON string literal, quotes included: escapes
 * " \ and the bytes < 0x20 (\b \t \n \f \r, else \u00XX), replaces each
 * maximal invalid UTF-8 subpart by U+FFFD, copies the rest. Returns the
 * length in bytes of the string as the daemon will decode it (for the
 * length limits). */
JL_HIDDEN size_t jl_buf_add_jstr(jl_buf *b, const char *s, size_t n);

/* Nesting depth of a JSON value: 0 for a scalar, 1 for {} or [], ... */
JL_HIDDEN int jl_json_depth(const json_t *v);

/* Is s a valid run id (decimal, no leading zero, 1 ... 2^63-1)? */
JL_HIDDEN int jl_valid_run_id(const char *s);

/* Appends JSON object text (validated: an object, depth <= 32) without its
 * surrounding whitespace, newlines between tokens turned into spaces.
 * Returns JOBLOG_OK or JOBLOG_EINVAL with a reason in why[256]. */
JL_HIDDEN int jl_buf_add_object_text(jl_buf *b, const char *text, char *why, size_t why_size);

/* Appends a json_t object compactly (validated as above). */
JL_HIDDEN int jl_buf_add_object(jl_buf *b, const json_t *obj, char *why, size_t why_size);

/* For tests: a handle on an already connected fd (e.g. one end of a
 * socketpair); the handle owns the fd. */
JL_HIDDEN int jl_open_fd(int fd, joblog_t **out);
/* For tests: bytes waiting in the buffer, and write calls made so far. */
JL_HIDDEN size_t jl_pending_bytes(const joblog_t *h);
/* For tests: a fixed "at" (ms since the epoch; 0: the real clock). */
JL_HIDDEN void jl_set_clock(joblog_t *h, long long epoch_ms);
JL_HIDDEN unsigned long jl_write_calls(const joblog_t *h);

/* ---------------------------------------------------------------- the handle */

#include <time.h>

#define JL_MAX_QUEUED_EVENTS 65536

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
	unsigned long rejected;        /* notifications the daemon refused (from flushes) */
	char last_rejection[256];
	unsigned long dropped;         /* notifications dropped while unreachable, in total */
	unsigned long dropped_unnoted; /* ... not yet reported into the run */
	long long fixed_at;            /* tests: the "at" to send (0: the clock) */
	joblog_cancel_fn on_cancel;    /* joblog_on_cancel() */
	void *on_cancel_user;
	int cancel_requested;          /* a "cancel" notification for this run arrived */
	char cancel_reason[1100];
	char err[512];
};

/* A message under construction in h->out, from `mark` on. */
typedef struct {
	size_t mark;
	int urgent; /* write at once (a stage change, a milestone or worse) */
} jl_msg;

/* transport.c: errors, clock, connection, lines, responses */
JL_HIDDEN int jl_fail(joblog_t *h, int rc, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;
JL_HIDDEN void jl_reset_err(joblog_t *h);
JL_HIDDEN long long jl_now_ms(void);
JL_HIDDEN long long jl_elapsed_ms(const struct timespec *since);
JL_HIDDEN long long jl_deadline_from_now(const joblog_t *h);
JL_HIDDEN long long jl_epoch_ms(const joblog_t *h);
JL_HIDDEN void jl_drop_connection(joblog_t *h);
JL_HIDDEN int jl_lost(joblog_t *h, int rc, const char *what);
JL_HIDDEN int jl_connect_socket(joblog_t *h);
JL_HIDDEN int jl_write_out(joblog_t *h, long long deadline);
JL_HIDDEN int jl_read_line(joblog_t *h, long long deadline, int keep_on_timeout, char **line, size_t *len);
JL_HIDDEN int jl_queue_event(joblog_t *h, json_t *msg);
JL_HIDDEN void jl_note_cancel(joblog_t *h, json_t *params);
JL_HIDDEN int jl_wait_response(joblog_t *h, long long id, long long deadline, json_t **resp);

/* message.c: building one message in the handle's buffer */
JL_HIDDEN int jl_begin(joblog_t *h, jl_msg *m, const char *method, int with_run);
JL_HIDDEN int jl_abort_msg(joblog_t *h, jl_msg *m, int rc);
JL_HIDDEN void jl_key(joblog_t *h, const char *name);
JL_HIDDEN int jl_str_member(joblog_t *h, jl_msg *m, const char *name, const char *value, size_t min, size_t max);
JL_HIDDEN int jl_int_member(joblog_t *h, jl_msg *m, const char *name, int64_t v, int nonneg);
JL_HIDDEN int jl_obj_member(joblog_t *h, jl_msg *m, const char *name, json_t *obj, const char *text);
JL_HIDDEN void jl_at_member(joblog_t *h);
JL_HIDDEN int jl_end_notify(joblog_t *h, jl_msg *m);
JL_HIDDEN int jl_end_request(joblog_t *h, jl_msg *m, const char *method, json_t **result);

#endif
