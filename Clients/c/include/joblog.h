/*
 * libjoblog: the C client of joblogd (JSON-RPC 2.0, one message per line,
 * over a Unix socket; see Spec/PROTOCOL.md).
 *
 *     joblog_t *jl;
 *     if (joblog_open(NULL, &jl) != JOBLOG_OK)          // NULL: $JOBLOG_SOCKET or the default
 *         fprintf(stderr, "joblog: %s\n", joblog_errmsg(jl));   // jl is still valid
 *     joblog_start_run_json(jl, "nightly", "CRON", NULL, "v1", "{\"batch\":10}");
 *     joblog_stage(jl, "Loading", NULL);
 *     joblog_total(jl, 5000, "users");
 *     for (...) { ...; joblog_inc(jl, 1); }
 *     joblog_info_json(jl, "done", "{\"n\":5000}");
 *     joblog_finish(jl, JOBLOG_SUCCESS, NULL, NULL);
 *     joblog_close(jl);
 *
 * Conventions
 * - Every function returns a joblog_rc (JOBLOG_OK is 0). On an error,
 *   joblog_errmsg() says what happened; for JOBLOG_ERPC (the daemon answered
 *   with a JSON-RPC error) joblog_rpc_code() gives the code, e.g. -32001
 *   (unknown run) or -32002 (run already finished). Nothing aborts or exits.
 * - No global state: everything lives in the handle. A handle is not
 *   thread-safe: use one per thread, or lock around it. After fork(), open a
 *   new handle in the child (JOBLOG_RUN_ID lets it write to the same run).
 * - json_t arguments are borrowed (never stolen); json_t results are new
 *   references the caller must json_decref(). JSON text arguments are
 *   validated with jansson and sent as given (without surrounding
 *   whitespace; a newline between tokens becomes a space).
 * - Strings are UTF-8. Invalid UTF-8 in a message, stage, key, ... is
 *   replaced by U+FFFD rather than losing the message. Values over the
 *   daemon's limits (PROTOCOL.md section 4) are refused with JOBLOG_EINVAL
 *   and nothing is sent, instead of being dropped silently by the daemon.
 *
 * Notifications and requests
 * - stage, total, inc, progress, the log levels and outcome_add are
 *   notifications: they are appended to a buffer in the handle and written
 *   in batches: when the buffer passes 64 KiB, before any request, when the
 *   oldest buffered one is older than the max delay (default 100 ms; checked
 *   on each call, there is no thread), and by joblog_send_pending(),
 *   joblog_flush() and joblog_close(). The daemon never answers a
 *   notification; one it rejects (a finished run, a bad value) is counted
 *   and joblog_flush() then returns JOBLOG_EREJECTED. The limits above are
 *   checked here, so that a bad argument fails at the call.
 * - Log and progress notifications carry "at", the time of the call (ms
 *   since the epoch): the daemon keeps it as the entry's createdAt.
 * - With no daemon, connecting fails at once with JOBLOG_ECONNECT and the
 *   message "daemon unreachable at <socket> (<reason>)".
 * - start_run, outcome_save, summary, finish, flush and call are requests:
 *   they write the buffer plus the request, then wait (up to the timeout,
 *   default 30 s) for the response with their id. A request is a barrier:
 *   when it returns JOBLOG_OK, everything sent before it is stored.
 * - A lost connection is reported once (JOBLOG_EIO, with the number of
 *   notifications that may not have been delivered); the next call connects
 *   again, so a restarted daemon is picked up.
 */
#ifndef JOBLOG_H
#define JOBLOG_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define JOBLOG_API __attribute__((visibility("default")))
#else
#define JOBLOG_API
#endif

typedef struct joblog joblog_t;

/* Return codes. */
typedef enum {
	JOBLOG_OK = 0,
	JOBLOG_EINVAL = 1,   /* a bad argument (NULL, out of range, too long, invalid JSON text): nothing sent */
	JOBLOG_ENOMEM = 2,   /* out of memory */
	JOBLOG_ECONNECT = 3, /* cannot connect to the socket (daemon not running?) */
	JOBLOG_EIO = 4,      /* the connection broke while writing or reading */
	JOBLOG_ETIMEOUT = 5, /* no response within the timeout (the connection is then closed) */
	JOBLOG_EPROTO = 6,   /* the daemon sent something that is not a JSON-RPC response */
	JOBLOG_ERPC = 7,     /* the daemon answered with an error: see joblog_rpc_code() */
	JOBLOG_ENORUN = 8,   /* no run: call joblog_start_run() or joblog_attach(), or set JOBLOG_RUN_ID */
	JOBLOG_EREJECTED = 9 /* joblog_flush: everything is stored or judged, but the daemon refused
	                        notifications sent since the last flush (a finished run, a bad value):
	                        joblog_rejected_count(), joblog_last_rejection() */
} joblog_rc;

/* Log levels, least to most severe. */
typedef enum {
	JOBLOG_DEBUG = 0,
	JOBLOG_INFO,
	JOBLOG_MILESTONE,
	JOBLOG_WARNING,
	JOBLOG_ERROR
} joblog_level;

/* Final statuses of a run. */
typedef enum {
	JOBLOG_SUCCESS = 0,
	JOBLOG_FAILED,
	JOBLOG_CANCELLED
} joblog_status;

/* JSON-RPC error codes of PROTOCOL.md section 3 (what joblog_rpc_code returns). */
#define JOBLOG_RPC_PARSE_ERROR (-32700)
#define JOBLOG_RPC_INVALID_REQUEST (-32600)
#define JOBLOG_RPC_METHOD_NOT_FOUND (-32601)
#define JOBLOG_RPC_INVALID_PARAMS (-32602)
#define JOBLOG_RPC_INTERNAL_ERROR (-32603)
#define JOBLOG_RPC_UNKNOWN_RUN (-32001)
#define JOBLOG_RPC_RUN_FINISHED (-32002)
#define JOBLOG_RPC_NOT_PERMITTED (-32003)
#define JOBLOG_RPC_LINE_TOO_LONG (-32004)
#define JOBLOG_RPC_STORE_UNAVAILABLE (-32005)
#define JOBLOG_RPC_TOO_MANY_CONNECTIONS (-32006)
#define JOBLOG_RPC_SHUTTING_DOWN (-32007)
#define JOBLOG_RPC_UNKNOWN_SUBSCRIPTION (-32008)

/* ---------------------------------------------------------------- handle */

/*
 * Creates a handle and connects. socket_path NULL: $JOBLOG_SOCKET, else
 * $XDG_RUNTIME_DIR/joblogd.sock, else /tmp/joblogd-<uid>.sock. When
 * $JOBLOG_RUN_ID holds a valid run id, the handle is attached to that run.
 * *out is set even when the connection fails (JOBLOG_ECONNECT): the handle
 * then tells why (joblog_errmsg) and retries on the next call; it must be
 * closed in every case. *out is NULL only on JOBLOG_ENOMEM / JOBLOG_EINVAL.
 */
JOBLOG_API int joblog_open(const char *socket_path, joblog_t **out);

/* Sends what is buffered, waits until it is stored (a ping, bounded by the
 * timeout) when anything was sent since the last response, then closes and
 * frees. NULL is fine. */
JOBLOG_API void joblog_close(joblog_t *h);

/* What the last failing call did wrong ("" after success). Never NULL. */
JOBLOG_API const char *joblog_errmsg(const joblog_t *h);

/* The JSON-RPC error code of the last JOBLOG_ERPC, else 0. */
JOBLOG_API int joblog_rpc_code(const joblog_t *h);

/* The "data" member of the last JOBLOG_ERPC (borrowed; NULL if none). */
JOBLOG_API const json_t *joblog_rpc_data(const joblog_t *h);

/* The socket path in use. */
JOBLOG_API const char *joblog_socket_path(const joblog_t *h);

/* The run the handle writes to (a decimal string), or "0" without a run
 * (never NULL, so it prints as the other clients print it). */
JOBLOG_API const char *joblog_run_id(const joblog_t *h);

/* Notifications of this handle the daemon refused, as reported by the
 * flushes so far (issue 19 #2), and the last one's "<method>: <reason>"
 * ("" when none). */
JOBLOG_API unsigned long joblog_rejected_count(const joblog_t *h);
JOBLOG_API const char *joblog_last_rejection(const joblog_t *h);

/* Notifications this handle dropped because the daemon was unreachable
 * (buffered ones it could not write). At the next connection it writes one
 * warning entry into the run: "client dropped N messages while the daemon
 * was unreachable" (issue 10 #16). */
JOBLOG_API unsigned long joblog_dropped_count(const joblog_t *h);

/* Writes to an existing run from now on (run_id: decimal, 1 ... 2^63-1). */
JOBLOG_API int joblog_attach(joblog_t *h, const char *run_id);

/* Response timeout in milliseconds (default 30000; <= 0: wait forever). */
JOBLOG_API void joblog_set_timeout(joblog_t *h, int ms);

/* Longest time a notification may sit in the buffer, checked on each call
 * (default 100; 0: write every notification at once; < 0: no limit). */
JOBLOG_API void joblog_set_max_delay(joblog_t *h, int ms);

/* Number of lines from the daemon that answered none of our requests (for
 * example the id-null -32004 a line over the daemon's limit gets). */
JOBLOG_API unsigned long joblog_stray_lines(const joblog_t *h);

/* ---------------------------------------------------------------- runs */

/* Starts a run and attaches the handle to it (startRun, a request).
 * trigger, scope, algorithm_version: NULL for the daemon's defaults
 * (MANUAL, system, none). params: a JSON object (borrowed) or NULL ({}).
 * pid = getpid() is sent as the owning process. */
JOBLOG_API int joblog_start_run(joblog_t *h, const char *job_name, const char *trigger,
                                const char *scope, const char *algorithm_version, json_t *params);

/* The same with params as JSON object text (NULL for {}). */
JOBLOG_API int joblog_start_run_json(joblog_t *h, const char *job_name, const char *trigger,
                                     const char *scope, const char *algorithm_version,
                                     const char *params_json);

/* All the options of startRun. Zero-initialise, then set what you need. */
typedef struct {
	const char *trigger;           /* NULL: MANUAL */
	const char *scope;             /* NULL: system */
	const char *algorithm_version; /* NULL: none */
	json_t *params;                /* borrowed; NULL: params_json or {} */
	const char *params_json;       /* used when params is NULL */
	long long pid;                 /* 0: getpid(); < 0: not sent */
	long long heartbeat_timeout_ms;/* 0: not sent */
} joblog_start_opts;

JOBLOG_API int joblog_start_run_opts(joblog_t *h, const char *job_name, const joblog_start_opts *opts);

/* ---- Cancellation (cancelRun, `joblog cancel`)
 * A run started by this handle takes the daemon's "cancel" notification. The
 * library reads it while it waits for any answer, and in
 * joblog_cancel_requested() (which only reads what has arrived: it never
 * waits). The callback runs then, once per run, in the caller's thread, with
 * the reason; a job stops at its next item and finishes the run
 * JOBLOG_CANCELLED. A job that keeps running is sent SIGTERM after the grace
 * the canceller gave, then SIGKILL. */
typedef void (*joblog_cancel_fn)(joblog_t *h, const char *reason, void *user);

/* Sets (or, with NULL, removes) the callback. */
JOBLOG_API void joblog_on_cancel(joblog_t *h, joblog_cancel_fn callback, void *user);

/* 1 once the run was asked to stop (reading what the daemon sent so far), else 0. */
JOBLOG_API int joblog_cancel_requested(joblog_t *h);

/* The reason of the request ("" before one, or without a reason). */
JOBLOG_API const char *joblog_cancel_reason(const joblog_t *h);

/* setStage (message NULL: the daemon logs "Stage: <stage>"). */
JOBLOG_API int joblog_stage(joblog_t *h, const char *stage, const char *message);
/* setTotal, total >= 0 (unit may be NULL). */
JOBLOG_API int joblog_total(joblog_t *h, int64_t total, const char *unit);
/* incrementProgress, by >= 0. */
JOBLOG_API int joblog_inc(joblog_t *h, int64_t by);
/* setProgress, current >= 0. */
JOBLOG_API int joblog_progress(joblog_t *h, int64_t current);

/* A log entry at a level; context: a JSON object (borrowed) or NULL. */
JOBLOG_API int joblog_log(joblog_t *h, joblog_level level, const char *message, json_t *context);
/* The same with context as JSON object text (NULL: none). */
JOBLOG_API int joblog_log_json(joblog_t *h, joblog_level level, const char *message, const char *context_json);
/* printf-style message, no context. */
JOBLOG_API int joblog_logf(joblog_t *h, joblog_level level, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

JOBLOG_API int joblog_debug(joblog_t *h, const char *message, json_t *context);
JOBLOG_API int joblog_info(joblog_t *h, const char *message, json_t *context);
JOBLOG_API int joblog_milestone(joblog_t *h, const char *message, json_t *context);
JOBLOG_API int joblog_warning(joblog_t *h, const char *message, json_t *context);
JOBLOG_API int joblog_error(joblog_t *h, const char *message, json_t *context);
JOBLOG_API int joblog_debug_json(joblog_t *h, const char *message, const char *context_json);
JOBLOG_API int joblog_info_json(joblog_t *h, const char *message, const char *context_json);
JOBLOG_API int joblog_milestone_json(joblog_t *h, const char *message, const char *context_json);
JOBLOG_API int joblog_warning_json(joblog_t *h, const char *message, const char *context_json);
JOBLOG_API int joblog_error_json(joblog_t *h, const char *message, const char *context_json);

/* addOutcome: adds count (may be negative) to the counter key. */
JOBLOG_API int joblog_outcome_add(joblog_t *h, const char *key, int64_t count);

/* saveOutcome (a request). outcome: NULL, or receives the result's
 * "outcome" object (a new reference). */
JOBLOG_API int joblog_outcome_save(joblog_t *h, json_t **outcome);

/* logSummary (a request): saves the outcome and logs the Summary milestone. */
JOBLOG_API int joblog_summary(joblog_t *h, json_t **outcome);

/* finishRun (a request). error_message NULL: no error; error_stack NULL:
 * the error is sent as a string, else as {"message":..,"stack":..}. */
JOBLOG_API int joblog_finish(joblog_t *h, joblog_status status, const char *error_message,
                             const char *error_stack);

/* A ping barrier: JOBLOG_OK once everything sent before it is stored.
 * JOBLOG_EREJECTED when it is, but the daemon refused some of the
 * notifications sent since the previous flush (the errmsg says how many and
 * the last reason; they were not stored). */
JOBLOG_API int joblog_flush(joblog_t *h);

/* Writes the buffered notifications now, without waiting for anything. */
JOBLOG_API int joblog_send_pending(joblog_t *h);

/* Any request: params a JSON object (borrowed) or NULL; result NULL or
 * receives the "result" member (new reference). E.g. getRun, getLogs. */
JOBLOG_API int joblog_call(joblog_t *h, const char *method, json_t *params, json_t **result);

/* ---------------------------------------------------------------- watch */

/* Follows runs (watch, PROTOCOL.md section 8): run_id and/or job_name
 * filters (both NULL: every run), level the minimum level of log events
 * (NULL: debug). The subscription id is copied into subscription[size].
 * The daemon then sends events on this handle's connection; they are
 * queued (also while other calls wait for their responses) and read with
 * joblog_next_event(). Subscriptions end with the connection: a handle
 * that reconnects must watch again. */
JOBLOG_API int joblog_watch(joblog_t *h, const char *run_id, const char *job_name, const char *level,
                            char *subscription, size_t size);

/* Ends a subscription of this handle (-32008 if it holds no such one). */
JOBLOG_API int joblog_unwatch(joblog_t *h, const char *subscription);

/* Waits up to timeout_ms (< 0: forever) for the next event; *event receives
 * its params ({"subscription","jobRunId","type","at",...}; a new
 * reference). JOBLOG_ETIMEOUT when none came (the connection stays open). */
JOBLOG_API int joblog_next_event(joblog_t *h, int timeout_ms, json_t **event);

/* Events discarded because more than 65536 were queued unread. */
JOBLOG_API unsigned long joblog_events_dropped(const joblog_t *h);

/* ---------------------------------------------------------------- raw lines */

/* Writes the buffered notifications, then `line` (len bytes, sent as is,
 * no validation) and a '\n'. Waits for nothing. */
JOBLOG_API int joblog_send_raw(joblog_t *h, const char *line, size_t len);

/* Reads the next line the daemon sends (up to the timeout), without its
 * '\n'. *line is malloc'd and NUL-terminated: free() it. */
JOBLOG_API int joblog_read_raw(joblog_t *h, char **line, size_t *len);

/* joblog_send_raw() then joblog_read_raw(): for a line that gets exactly one
 * response line (a request, or a batch holding one). */
JOBLOG_API int joblog_call_raw(joblog_t *h, const char *line, size_t len, char **response,
                               size_t *response_len);

/* The name of a return code ("JOBLOG_EIO"). */
JOBLOG_API const char *joblog_rc_name(int rc);

#ifdef __cplusplus
}
#endif

#endif /* JOBLOG_H */
