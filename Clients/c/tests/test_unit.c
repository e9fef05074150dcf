/* Offline tests of libjoblog: encoding, validation, the exact bytes on the
 * wire (over a socketpair), batching, response matching against a scripted
 * peer (a forked child), timeouts, and a daemon that is not there. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "joblog.h"
#include "joblog_internal.h"

/* ---------------------------------------------------------------- escaping */

static char *esc(const char *s, size_t n, size_t *decoded)
{
	static char out[4096];
	jl_buf b = {0};
	size_t d = jl_buf_add_jstr(&b, s, n);
	if (decoded)
		*decoded = d;
	snprintf(out, sizeof out, "%.*s", (int)b.len, b.p);
	jl_buf_free(&b);
	return out;
}

static void esc_case(const char *name, const char *in, size_t n, const char *expected)
{
	char full[256];
	snprintf(full, sizeof full, "escape: %s", name);
	T_STR(full, expected, esc(in, n, NULL));
}

#define ESC(name, lit, expected) esc_case(name, lit, sizeof(lit) - 1, expected)

/* jansson must parse our output back to `want` (want_len bytes). */
static int roundtrip_ok(const char *in, size_t n, const char *want, size_t want_len)
{
	jl_buf b = {0};
	json_error_t err;
	json_t *v;
	int ok;
	jl_buf_add_jstr(&b, in, n);
	v = json_loadb(b.p, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
	jl_buf_free(&b);
	if (!v)
		return 0;
	ok = json_is_string(v) && json_string_length(v) == want_len && memcmp(json_string_value(v), want, want_len) == 0;
	json_decref(v);
	return ok;
}

/* Is s (n bytes) valid UTF-8? (independent of the library's checker: via jansson) */
static int valid_utf8(const char *s, size_t n)
{
	json_t *v = json_stringn(s, n);
	int ok = v != NULL;
	json_decref(v);
	return ok;
}

static void test_escaping(void)
{
	size_t d;
	char all[32];
	int i;

	ESC("plain", "hello world", "\"hello world\"");
	ESC("empty", "", "\"\"");
	ESC("quotes", "say \"hi\"", "\"say \\\"hi\\\"\"");
	ESC("backslashes", "C:\\new\\table", "\"C:\\\\new\\\\table\"");
	ESC("short escapes", "\b\t\n\f\r", "\"\\b\\t\\n\\f\\r\"");
	ESC("other control chars", "\x01\x1f\x0b\x1b", "\"\\u0001\\u001f\\u000b\\u001b\"");
	ESC("DEL passes", "a\x7f" "b", "\"a\x7f" "b\"");
	ESC("slash passes", "a/b", "\"a/b\"");
	ESC("2-byte UTF-8", "\xc3\xbc", "\"\xc3\xbc\"");
	ESC("3-byte UTF-8", "\xe2\x9c\x93 \xe2\x80\xa8", "\"\xe2\x9c\x93 \xe2\x80\xa8\"");
	ESC("4-byte UTF-8", "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"");
	ESC("lone continuation byte", "a\x80z", "\"a\xef\xbf\xbdz\"");
	ESC("0xFF", "\xff", "\"\xef\xbf\xbd\"");
	ESC("overlong C0 80", "\xc0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\"");
	ESC("overlong E0 80 80", "\xe0\x80\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	ESC("surrogate ED A0 80", "\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	ESC("above U+10FFFF", "\xf4\x90\x80\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	ESC("truncated at the end", "a\xe2\x82", "\"a\xef\xbf\xbd\"");
	ESC("truncated then ASCII", "\xe2\x82" "A", "\"\xef\xbf\xbd" "A\"");
	ESC("truncated 4-byte then quote", "\xf0\x9f\x98\"", "\"\xef\xbf\xbd\\\"\"");

	esc("a\xff", 2, &d);
	T_INT("escape: decoded length counts U+FFFD as 3 bytes", 4, d);
	esc("\"\n", 2, &d);
	T_INT("escape: decoded length of escapes", 2, d);

	for (i = 0; i < 31; i++)
		all[i] = (char)(i + 1);
	T_TRUE("roundtrip: bytes 0x01-0x1f", roundtrip_ok(all, 31, all, 31));
	T_TRUE("roundtrip: quotes and backslashes", roundtrip_ok("\\\"\\\\\"", 5, "\\\"\\\\\"", 5));
	T_TRUE("roundtrip: NUL inside a length-given string", roundtrip_ok("a\0b", 3, "a\0b", 3));

	/* Every single byte: the output is valid JSON holding valid UTF-8. */
	{
		int bad = 0;
		for (i = 1; i < 256; i++) {
			char c = (char)i;
			jl_buf b = {0};
			json_t *v;
			jl_buf_add_jstr(&b, &c, 1);
			v = json_loadb(b.p, b.len, JSON_DECODE_ANY, NULL);
			if (!v || !json_is_string(v))
				bad++;
			else if (i < 0x80 && (json_string_length(v) != 1 || json_string_value(v)[0] != c))
				bad++;
			json_decref(v);
			jl_buf_free(&b);
		}
		T_INT("escape: each byte 0x01-0xff gives valid JSON", 0, bad);
	}

	/* Random byte strings (a fixed LCG): the output always parses; valid
	 * UTF-8 input comes back unchanged. */
	{
		uint32_t x = 12345;
		int bad = 0, valid_seen = 0;
		char s[64];
		for (i = 0; i < 20000; i++) {
			size_t n = (size_t)(i % 40), k;
			jl_buf b = {0};
			json_t *v;
			for (k = 0; k < n; k++) {
				x = x * 1103515245u + 12345u;
				/* Mostly ASCII and UTF-8 lead/continuation bytes. */
				unsigned r = (x >> 16) & 0xff;
				s[k] = (char)((i & 1) ? r : (r < 128 ? (r % 3 == 0 ? 0xe2 : (r % 3 == 1 ? 0x80 : r)) : r));
				if (s[k] == 0)
					s[k] = 'z';
			}
			jl_buf_add_jstr(&b, s, n);
			v = json_loadb(b.p, b.len, JSON_DECODE_ANY, NULL);
			if (!v)
				bad++;
			else if (valid_utf8(s, n)) {
				valid_seen++;
				if (json_string_length(v) != n || memcmp(json_string_value(v), s, n) != 0)
					bad++;
			}
			json_decref(v);
			jl_buf_free(&b);
		}
		T_INT("escape: 20000 random strings parse back (valid UTF-8 unchanged)", 0, bad);
		T_TRUE("escape: the random strings include valid UTF-8 ones", valid_seen > 100);
	}
}

/* ---------------------------------------------------------------- validation */

static void test_validation(void)
{
	char why[256];
	jl_buf b = {0};
	char *deep;
	int i;

	T_TRUE("run id: 1", jl_valid_run_id("1"));
	T_TRUE("run id: 2^63-1", jl_valid_run_id("9223372036854775807"));
	T_TRUE("run id: 2^63 refused", !jl_valid_run_id("9223372036854775808"));
	T_TRUE("run id: 0 refused", !jl_valid_run_id("0"));
	T_TRUE("run id: leading zero refused", !jl_valid_run_id("07"));
	T_TRUE("run id: letters refused", !jl_valid_run_id("12a"));
	T_TRUE("run id: empty refused", !jl_valid_run_id(""));
	T_TRUE("run id: NULL refused", !jl_valid_run_id(NULL));

	T_INT("object text: valid", JOBLOG_OK, jl_buf_add_object_text(&b, "  {\"a\":1,\n \"b\":\r\n[true]}\n ", why, sizeof why));
	T_STR("object text: trimmed, newlines become spaces", "{\"a\":1,  \"b\":  [true]}", (jl_buf_add(&b, "", 1), b.p));
	b.len = 0;
	T_INT("object text: invalid JSON", JOBLOG_EINVAL, jl_buf_add_object_text(&b, "{\"a\":", why, sizeof why));
	T_INT("object text: an array is not an object", JOBLOG_EINVAL, jl_buf_add_object_text(&b, "[1]", why, sizeof why));
	T_INT("object text: a string is not an object", JOBLOG_EINVAL, jl_buf_add_object_text(&b, "\"x\"", why, sizeof why));
	T_INT("object text: trailing garbage", JOBLOG_EINVAL, jl_buf_add_object_text(&b, "{} x", why, sizeof why));
	T_INT("object text: invalid UTF-8", JOBLOG_EINVAL, jl_buf_add_object_text(&b, "{\"a\":\"\xff\"}", why, sizeof why));
	T_INT("object text: nothing appended on errors", 0, b.len);

	/* depth: {"a":{"a":...{}}} with `n` objects has depth n */
	deep = malloc(400);
	for (int n = 32; n <= 33; n++) {
		size_t p = 0;
		for (i = 0; i < n - 1; i++)
			p += (size_t)sprintf(deep + p, "{\"a\":");
		p += (size_t)sprintf(deep + p, "{}");
		for (i = 0; i < n - 1; i++)
			deep[p++] = '}';
		deep[p] = '\0';
		b.len = 0;
		T_INT(n == 32 ? "object text: depth 32 accepted" : "object text: depth 33 refused",
		      n == 32 ? JOBLOG_OK : JOBLOG_EINVAL, jl_buf_add_object_text(&b, deep, why, sizeof why));
	}
	free(deep);

	/* size: exactly 65536 bytes accepted, one more refused */
	{
		size_t n = JL_MAX_OBJECT;
		char *big = malloc(n + 2);
		memcpy(big, "{\"k\":\"", 6);
		memset(big + 6, 'x', n - 8);
		memcpy(big + n - 2, "\"}", 3);
		b.len = 0;
		T_INT("object text: 65536 bytes accepted", JOBLOG_OK, jl_buf_add_object_text(&b, big, why, sizeof why));
		memcpy(big + n - 2, "x\"}", 4);
		b.len = 0;
		T_INT("object text: 65537 bytes refused", JOBLOG_EINVAL, jl_buf_add_object_text(&b, big, why, sizeof why));
		free(big);
	}

	{
		json_t *o = json_pack("{s:i,s:s,s:[i,b],s:n}", "z", 1, "a", "x\"y", "m", 2, 1, "n");
		b.len = 0;
		T_INT("object: json_t accepted", JOBLOG_OK, jl_buf_add_object(&b, o, why, sizeof why));
		jl_buf_add(&b, "", 1);
		T_STR("object: compact, key order kept", "{\"z\":1,\"a\":\"x\\\"y\",\"m\":[2,true],\"n\":null}", b.p);
		json_decref(o);
		o = json_array();
		b.len = 0;
		T_INT("object: json_t array refused", JOBLOG_EINVAL, jl_buf_add_object(&b, o, why, sizeof why));
		json_decref(o);
		o = json_real(0.5);
		json_t *c = json_pack("{s:o}", "r", o);
		b.len = 0;
		T_INT("object: reals fine", JOBLOG_OK, jl_buf_add_object(&b, c, why, sizeof why));
		json_decref(c);
	}
	jl_buf_free(&b);
}

/* ---------------------------------------------------------------- wire */

/* Reads everything available on fd (non-blocking after a short wait). */
static char *drain(int fd)
{
	static char buf[1 << 20];
	size_t n = 0;
	struct timeval tv = {0, 200000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	for (;;) {
		ssize_t r = recv(fd, buf + n, sizeof buf - 1 - n, n ? MSG_DONTWAIT : 0);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	return buf;
}

static void test_wire(void)
{
	int sv[2];
	joblog_t *h;
	const char *got;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
		t_result(0, "socketpair", strerror(errno));
		return;
	}
	jl_open_fd(sv[0], &h);
	joblog_set_max_delay(h, -1);
	jl_set_clock(h, 1700000000123LL); /* the "at" of every log and progress call */
	T_STR("wire: joblog_run_id is \"0\" without a run", "0", joblog_run_id(h));
	T_RC("wire: no run yet", joblog_info(h, "x", NULL), JOBLOG_ENORUN, h);
	T_RC("wire: attach", joblog_attach(h, "7"), JOBLOG_OK, h);
	T_RC("wire: attach refuses a bad id", joblog_attach(h, "x7"), JOBLOG_EINVAL, h);
	T_STR("wire: run id kept", "7", joblog_run_id(h));

	joblog_total(h, 10, "users");
	joblog_total(h, 0, NULL);
	joblog_inc(h, 1);
	joblog_inc(h, 5);
	joblog_progress(h, 3);
	joblog_outcome_add(h, "synced", 1);
	joblog_outcome_add(h, "errors", -2);
	joblog_debug_json(h, "d", " {\"userId\":\"4\"} ");
	{
		json_t *c = json_pack("{s:i,s:i}", "synced", 4, "failed", 1);
		joblog_info(h, "Progress: 5/10", c);
		json_decref(c);
	}
	joblog_logf(h, JOBLOG_INFO, "n=%d s=%s", 5, "q\"");
	T_INT("wire: notifications stay buffered", 0, jl_write_calls(h));
	T_RC("wire: send_pending", joblog_send_pending(h), JOBLOG_OK, h);
	got = drain(sv[1]);
	T_STR("wire: exact lines",
	      "{\"jsonrpc\":\"2.0\",\"method\":\"setTotal\",\"params\":{\"jobRunId\":\"7\",\"at\":1700000000123,\"total\":10,\"unit\":\"users\"}}\n"
	      "{\"jsonrpc\":\"2.0\",\"method\":\"setTotal\",\"params\":{\"jobRunId\":\"7\",\"at\":1700000000123,\"total\":0}}\n"
	      "{\"jsonrpc\":\"2.0\",\"method\":\"incrementProgress\",\"params\":{\"jobRunId\":\"7\",\"at\":1700000000123}}\n"
	      "{\"jsonrpc\":\"2.0\",\"method\":\"incrementProgress\",\"params\":{\"jobRunId\":\"7\",\"at\":1700000000123,\"by\":5}}\n"
	      "{\"jsonrpc\":\"2.0\",\"method\":\"setProgress\",\"params\":{\"jobRunId\":\"7\",\"at\":1700000000123,\"current\":3}}\n"
	      "{\"jsonrpc\":\"2.0\",\"method\":\"addOutcome\",\"params\":{\"jobRunId\":\"7\",\"key\":\"synced\"}}\n"
	      "{\"jsonrpc\":\"2.0\",\"method\":\"addOutcome\",\"params\":{\"jobRunId\":\"7\",\"key\":\"errors\",\"count\":-2}}\n"
	      "{\"jsonrpc\":\"2.0\",\"method\":\"debug\",\"params\":{\"jobRunId\":\"7\",\"at\":1700000000123,\"message\":\"d\",\"context\":{\"userId\":\"4\"}}}\n"
	      "{\"jsonrpc\":\"2.0\",\"method\":\"info\",\"params\":{\"jobRunId\":\"7\",\"at\":1700000000123,\"message\":\"Progress: 5/10\",\"context\":{\"synced\":4,\"failed\":1}}}\n"
	      "{\"jsonrpc\":\"2.0\",\"method\":\"info\",\"params\":{\"jobRunId\":\"7\",\"at\":1700000000123,\"message\":\"n=5 s=q\\\"\"}}\n",
	      got);
	T_INT("wire: one write for the whole batch", 1, jl_write_calls(h));

	/* Stages and milestone-or-worse go out at once. */
	joblog_stage(h, "Loading users", "Loading from database");
	T_INT("wire: a stage is written at once", 2, jl_write_calls(h));
	joblog_warning_json(h, "w", NULL);
	T_INT("wire: a warning is written at once", 3, jl_write_calls(h));
	got = drain(sv[1]);
	T_STR("wire: stage and warning lines",
	      "{\"jsonrpc\":\"2.0\",\"method\":\"setStage\",\"params\":{\"jobRunId\":\"7\",\"at\":1700000000123,\"stage\":\"Loading users\",\"message\":\"Loading from database\"}}\n"
	      "{\"jsonrpc\":\"2.0\",\"method\":\"warning\",\"params\":{\"jobRunId\":\"7\",\"at\":1700000000123,\"message\":\"w\"}}\n",
	      got);

	/* Refused arguments leave nothing behind. */
	{
		char *big = malloc(JL_MAX_MESSAGE + 2);
		memset(big, 'm', JL_MAX_MESSAGE + 1);
		big[JL_MAX_MESSAGE + 1] = '\0';
		T_RC("wire: message over 64 KiB refused", joblog_info(h, big, NULL), JOBLOG_EINVAL, h);
		big[JL_MAX_MESSAGE] = '\0';
		T_RC("wire: message of 64 KiB accepted", joblog_info(h, big, NULL), JOBLOG_OK, h);
		free(big);
		joblog_send_pending(h);
		drain(sv[1]);
	}
	T_RC("wire: negative total refused", joblog_total(h, -1, NULL), JOBLOG_EINVAL, h);
	T_RC("wire: negative inc refused", joblog_inc(h, -1), JOBLOG_EINVAL, h);
	T_RC("wire: negative progress refused", joblog_progress(h, -3), JOBLOG_EINVAL, h);
	T_RC("wire: empty key refused", joblog_outcome_add(h, "", 1), JOBLOG_EINVAL, h);
	T_RC("wire: NULL message refused", joblog_info(h, NULL, NULL), JOBLOG_EINVAL, h);
	T_RC("wire: context text not an object", joblog_info_json(h, "m", "[1]"), JOBLOG_EINVAL, h);
	T_RC("wire: context text not JSON", joblog_info_json(h, "m", "{oops}"), JOBLOG_EINVAL, h);
	T_RC("wire: bad level", joblog_log(h, (joblog_level)9, "m", NULL), JOBLOG_EINVAL, h);
	T_RC("wire: bad status", joblog_finish(h, (joblog_status)9, NULL, NULL), JOBLOG_EINVAL, h);
	{
		char name[202];
		memset(name, 'n', 201);
		name[201] = '\0';
		T_RC("wire: stage over 200 bytes refused", joblog_stage(h, name, NULL), JOBLOG_EINVAL, h);
	}
	T_INT("wire: nothing buffered by refused calls", 0, jl_pending_bytes(h));
	T_TRUE("wire: errmsg names the field", strstr(joblog_errmsg(h), "stage") != NULL);

	/* Batching: nothing is written until 64 KiB. */
	{
		unsigned long w0 = jl_write_calls(h);
		int i, before_threshold = 1;
		for (i = 0; i < 3000; i++) {
			size_t before = jl_pending_bytes(h);
			unsigned long w = jl_write_calls(h);
			joblog_inc(h, 1);
			/* a write happens only on the call that crosses 64 KiB */
			if (jl_write_calls(h) != w && before + 100 < JL_FLUSH_BYTES)
				before_threshold = 0;
			if (i % 500 == 499)
				drain(sv[1]);
		}
		T_TRUE("wire: no write below 64 KiB", before_threshold);
		T_TRUE("wire: 3000 notifications in a few writes", jl_write_calls(h) - w0 <= 6);
		joblog_send_pending(h);
		drain(sv[1]);
	}

	/* max delay 0: each notification is written at once. */
	{
		unsigned long w0 = jl_write_calls(h);
		joblog_set_max_delay(h, 0);
		joblog_inc(h, 1);
		joblog_inc(h, 1);
		T_INT("wire: max delay 0 writes each", 2, jl_write_calls(h) - w0);
		drain(sv[1]);
	}
	close(sv[1]);
	joblog_close(h);
}

/* ---------------------------------------------------------------- a scripted peer */

/* Runs `script` in a forked child on the peer end: for each request line
 * read, writes the next scripted reply chunk ("" = say nothing and wait;
 * NULL = close). Returns the child's pid. */
static pid_t peer(int fd, const char *const *script)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	{
		char buf[65536];
		int i;
		for (i = 0; script[i]; i++) {
			/* wait for one line */
			size_t n = 0;
			while (n < sizeof buf) {
				ssize_t r = read(fd, buf + n, 1);
				if (r <= 0)
					_exit(0);
				n++;
				if (buf[n - 1] == '\n')
					break;
			}
			if (!*script[i]) {
				sleep(5);
				_exit(0);
			}
			if (write(fd, script[i], strlen(script[i])) < 0)
				_exit(1);
		}
		_exit(0);
	}
}

static void test_responses(void)
{
	int sv[2];
	joblog_t *h;
	pid_t pid;
	json_t *res = NULL;

	static const char *const script[] = {
		/* 1: a stray id-null line and a foreign id, then the answer */
		"{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32004,\"message\":\"line too long\",\"data\":{\"maxLineBytes\":1}},\"id\":null}\n"
		"{\"jsonrpc\":\"2.0\",\"result\":{},\"id\":\"other\"}\n"
		"not json at all\n"
		"{\"jsonrpc\":\"2.0\",\"result\":{\"version\":\"x\",\"protocolVersion\":1},\"id\":1}\r\n",
		/* 2: an error with data */
		"{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32001,\"message\":\"unknown run\",\"data\":{\"jobRunId\":\"9\"}},\"id\":2}\n",
		/* 3: the answer in two pieces is fine too; then startRun's result */
		"{\"jsonrpc\":\"2.0\",\"result\":{\"jobRunId\":\"12\",\"jobName\":\"j\",\"status\":\"RUNNING\",\"startedAt\":\"x\"},\"id\":3}\n",
		/* 4: logSummary's result */
		"{\"jsonrpc\":\"2.0\",\"result\":{\"outcome\":{\"outcomeSummary\":{\"a\":1}}},\"id\":4}\n",
		/* 5: nothing: the client times out */
		"",
		NULL};

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return;
	pid = peer(sv[1], script);
	close(sv[1]);
	jl_open_fd(sv[0], &h);
	joblog_attach(h, "9");

	T_RC("responses: stray lines are skipped", joblog_flush(h), JOBLOG_OK, h);
	T_INT("responses: 3 stray lines counted", 3, joblog_stray_lines(h));
	T_RC("responses: an error response", joblog_outcome_save(h, NULL), JOBLOG_ERPC, h);
	T_INT("responses: its code", -32001, joblog_rpc_code(h));
	T_STR("responses: its data", "9", json_string_value(json_object_get(joblog_rpc_data(h), "jobRunId")));
	T_TRUE("responses: errmsg says it", strstr(joblog_errmsg(h), "unknown run (-32001)") != NULL);
	T_RC("responses: startRun", joblog_start_run_json(h, "j", NULL, NULL, NULL, NULL), JOBLOG_OK, h);
	T_STR("responses: startRun attaches", "12", joblog_run_id(h));
	T_RC("responses: summary", joblog_summary(h, &res), JOBLOG_OK, h);
	T_INT("responses: summary's outcome", 1, json_integer_value(json_object_get(json_object_get(res, "outcomeSummary"), "a")));
	json_decref(res);
	joblog_set_timeout(h, 300);
	T_RC("responses: no answer -> timeout", joblog_flush(h), JOBLOG_ETIMEOUT, h);
	T_RC("responses: after a timeout the handle reconnects (no path: fails cleanly)", joblog_flush(h), JOBLOG_ECONNECT, h);
	joblog_close(h);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);

	/* Events (watch) interleaved with responses are queued, not stray. */
	{
		static const char *const ev[] = {
			"{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":{\"subscription\":\"3\",\"jobRunId\":\"7\",\"type\":\"stage\",\"stage\":\"S\"}}\n"
			"{\"jsonrpc\":\"2.0\",\"result\":{\"subscription\":\"3\"},\"id\":1}\n"
			"{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":{\"subscription\":\"3\",\"jobRunId\":\"7\",\"type\":\"run.finished\",\"status\":\"SUCCESS\"}}\n",
			"",
			NULL};
		char sub[16] = "";
		json_t *e = NULL;
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
			return;
		pid = peer(sv[1], ev);
		close(sv[1]);
		jl_open_fd(sv[0], &h);
		T_RC("events: watch", joblog_watch(h, "7", NULL, "info", sub, sizeof sub), JOBLOG_OK, h);
		T_STR("events: subscription id", "3", sub);
		T_RC("events: first event (queued while waiting)", joblog_next_event(h, 1000, &e), JOBLOG_OK, h);
		T_STR("events: its type", "stage", json_string_value(json_object_get(e, "type")));
		json_decref(e);
		T_RC("events: second event", joblog_next_event(h, 1000, &e), JOBLOG_OK, h);
		T_STR("events: run.finished", "run.finished", json_string_value(json_object_get(e, "type")));
		json_decref(e);
		T_INT("events: not counted as stray", 0, joblog_stray_lines(h));
		T_RC("events: none left -> timeout", joblog_next_event(h, 100, &e), JOBLOG_ETIMEOUT, h);
		T_TRUE("events: the connection survives an event timeout", e == NULL);
		joblog_set_timeout(h, 200);
		joblog_close(h);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}

	/* The daemon closes: EIO, not a crash (no SIGPIPE either). */
	{
		static const char *const closing[] = {NULL};
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
			return;
		pid = peer(sv[1], closing);
		close(sv[1]);
		waitpid(pid, NULL, 0);
		jl_open_fd(sv[0], &h);
		joblog_attach(h, "9");
		joblog_set_max_delay(h, 0);
		int rc = joblog_info(h, "to a closed peer", NULL);
		T_TRUE("responses: writing to a closed peer: EIO", rc == JOBLOG_EIO);
		T_RC("responses: then ECONNECT (no path to reconnect to)", joblog_flush(h), JOBLOG_ECONNECT, h);
		joblog_close(h);
	}

	/* Too many connections: an id-null -32006, then close. */
	{
		static const char *const full[] = {
			"{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32006,\"message\":\"too many connections\",\"data\":{\"maxConnections\":1}},\"id\":null}\n",
			NULL};
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
			return;
		pid = peer(sv[1], full);
		close(sv[1]);
		jl_open_fd(sv[0], &h);
		T_RC("responses: -32006 surfaces", joblog_flush(h), JOBLOG_ERPC, h);
		T_INT("responses: -32006 code", -32006, joblog_rpc_code(h));
		joblog_close(h);
		waitpid(pid, NULL, 0);
	}
}

/* ---------------------------------------------------------------- no daemon */

static void test_no_daemon(void)
{
	joblog_t *h = NULL;
	char *old_sock = getenv("JOBLOG_SOCKET") ? strdup(getenv("JOBLOG_SOCKET")) : NULL;
	char *old_xdg = getenv("XDG_RUNTIME_DIR") ? strdup(getenv("XDG_RUNTIME_DIR")) : NULL;
	char want[160];

	T_RC("no daemon: open", joblog_open("/nonexistent/dir/joblogd.sock", &h), JOBLOG_ECONNECT, h);
	T_TRUE("no daemon: a handle anyway", h != NULL);
	T_STR("no daemon: errmsg names the path and why (one wording in every client)",
	      "daemon unreachable at /nonexistent/dir/joblogd.sock (no such file)", joblog_errmsg(h));
	T_RC("no daemon: start_run", joblog_start_run(h, "j", NULL, NULL, NULL, NULL), JOBLOG_ECONNECT, h);
	T_RC("no daemon: no run", joblog_info(h, "m", NULL), JOBLOG_ENORUN, h);
	joblog_attach(h, "5");
	T_RC("no daemon: a buffered notification is fine", joblog_info(h, "m", NULL), JOBLOG_OK, h);
	T_RC("no daemon: a stage (written at once)", joblog_stage(h, "s", NULL), JOBLOG_ECONNECT, h);
	T_RC("no daemon: flush", joblog_flush(h), JOBLOG_ECONNECT, h);
	T_RC("no daemon: finish", joblog_finish(h, JOBLOG_FAILED, "x", "y"), JOBLOG_ECONNECT, h);
	T_INT("no daemon: the dropped notifications are counted", 2, joblog_dropped_count(h));
	joblog_close(h);

	/* Issue 19 #14: connecting when no daemon answers costs at most 0.2 s;
	 * the reason says what is at the path. */
	{
		char dir[] = "/tmp/jl-unit-XXXXXX", path[64];
		long long t0;
		int fd;
		struct sockaddr_un a;
		if (mkdtemp(dir)) {
			snprintf(path, sizeof path, "%s/file", dir);
			fd = open(path, O_CREAT | O_WRONLY, 0600);
			if (fd >= 0)
				close(fd);
			t0 = jl_now_ms();
			joblog_open(path, &h);
			T_TRUE("no daemon: a failed connect takes <= 200 ms", jl_now_ms() - t0 <= 200);
			snprintf(want, sizeof want, "daemon unreachable at %s (not a socket)", path);
			T_STR("no daemon: a plain file is not a socket", want, joblog_errmsg(h));
			joblog_close(h);
			unlink(path);
			snprintf(path, sizeof path, "%s/sock", dir);
			memset(&a, 0, sizeof a);
			a.sun_family = AF_UNIX;
			snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
			fd = socket(AF_UNIX, SOCK_STREAM, 0);
			if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0) {
				close(fd);
				joblog_open(path, &h);
				snprintf(want, sizeof want, "daemon unreachable at %s (nobody listening)", path);
				T_STR("no daemon: a socket nobody listens on", want, joblog_errmsg(h));
				joblog_close(h);
			}
			unlink(path);
			rmdir(dir);
		}
	}

	setenv("JOBLOG_SOCKET", "/run/x/custom.sock", 1);
	joblog_open(NULL, &h);
	T_STR("socket: JOBLOG_SOCKET", "/run/x/custom.sock", joblog_socket_path(h));
	joblog_close(h);
	unsetenv("JOBLOG_SOCKET");
	setenv("XDG_RUNTIME_DIR", "/run/user/42", 1);
	joblog_open(NULL, &h);
	T_STR("socket: XDG_RUNTIME_DIR", "/run/user/42/joblogd.sock", joblog_socket_path(h));
	joblog_close(h);
	unsetenv("XDG_RUNTIME_DIR");
	joblog_open(NULL, &h);
	snprintf(want, sizeof want, "/tmp/joblogd-%lu.sock", (unsigned long)getuid());
	T_STR("socket: /tmp/joblogd-<uid>.sock", want, joblog_socket_path(h));
	joblog_close(h);

	setenv("JOBLOG_RUN_ID", "42", 1);
	joblog_open("/nonexistent.sock", &h);
	T_STR("env: JOBLOG_RUN_ID attaches", "42", joblog_run_id(h));
	joblog_close(h);
	setenv("JOBLOG_RUN_ID", "4x2", 1);
	joblog_open("/nonexistent.sock", &h);
	T_STR("env: an invalid JOBLOG_RUN_ID is ignored", "0", joblog_run_id(h));
	joblog_close(h);
	unsetenv("JOBLOG_RUN_ID");

	if (old_sock)
		setenv("JOBLOG_SOCKET", old_sock, 1);
	if (old_xdg)
		setenv("XDG_RUNTIME_DIR", old_xdg, 1);
	free(old_sock);
	free(old_xdg);

	T_RC("NULL handle", joblog_info(NULL, "m", NULL), JOBLOG_EINVAL, (joblog_t *)NULL);
	joblog_close(NULL);
	T_TRUE("errmsg of NULL", joblog_errmsg(NULL) != NULL);
	T_RC("open without out", joblog_open(NULL, NULL), JOBLOG_EINVAL, (joblog_t *)NULL);
}

int main(void)
{
	signal(SIGPIPE, SIG_DFL); /* the library must not need SIGPIPE ignored */
	test_escaping();
	test_validation();
	test_wire();
	test_responses();
	test_no_daemon();
	return t_summary();
}
