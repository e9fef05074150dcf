/* Replays the Spec/conformance vectors (*.jsonl) through libjoblog's raw-line API and
 * checks each response with jansson against the vector's `expect`, with the
 * matching rules of PROTOCOL.md section 10 ("Conformance vectors").
 *
 *     conformance SOCKET FILE.jsonl      (a fresh daemon per file)
 *     conformance --selftest             (the matcher on known cases)
 *
 * - `send` is sent byte for byte (joblog_send_raw); `${name}` in it is
 *   replaced by a captured value; with "sendEncoding": "escaped-bytes" each
 *   \xHH stands for the byte HH.
 * - `expect` null: no response. Checked by sending a ping with a unique id
 *   right after and requiring that the next line answers that ping.
 * - Otherwise the next line is parsed and matched: "$any" anything,
 *   "$timestamp" an ISO-8601 UTC timestamp with milliseconds, "$id" a
 *   decimal-string id, "$capture:NAME" a decimal-string id stored as NAME,
 *   "${name}" inside strings replaced, members beyond expect's only where
 *   expect has "$extra": true, numbers compared by value, a top-level array
 *   (a batch response) as a multiset, nested arrays in order.
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "joblog.h"

/* ---------------------------------------------------------------- substitution */

/* Replaces each ${name} by captures[name] (left as is when unknown). */
static char *substitute(const char *s, json_t *captures)
{
	size_t cap = strlen(s) + 64, n = 0;
	char *out = malloc(cap);
	while (*s) {
		const char *end;
		if (s[0] == '$' && s[1] == '{' && (end = strchr(s + 2, '}')) != NULL) {
			char name[128];
			size_t l = (size_t)(end - s - 2);
			const char *v = NULL;
			if (l < sizeof name) {
				memcpy(name, s + 2, l);
				name[l] = '\0';
				v = json_string_value(json_object_get(captures, name));
			}
			if (v) {
				size_t vl = strlen(v);
				if (n + vl + 1 > cap) {
					cap = (n + vl + 1) * 2;
					out = realloc(out, cap);
				}
				memcpy(out + n, v, vl);
				n += vl;
				s = end + 1;
				continue;
			}
		}
		if (n + 2 > cap) {
			cap *= 2;
			out = realloc(out, cap);
		}
		out[n++] = *s++;
	}
	out[n] = '\0';
	return out;
}

/* \xHH -> byte HH, in place; returns the new length. */
static size_t unescape_bytes(char *s)
{
	size_t i = 0, o = 0, n = strlen(s);
	while (i < n) {
		if (s[i] == '\\' && i + 3 < n + 0 && s[i + 1] == 'x' && isxdigit((unsigned char)s[i + 2]) &&
		    isxdigit((unsigned char)s[i + 3])) {
			char hx[3] = {s[i + 2], s[i + 3], 0};
			s[o++] = (char)strtol(hx, NULL, 16);
			i += 4;
		} else
			s[o++] = s[i++];
	}
	s[o] = '\0';
	return o;
}

/* ---------------------------------------------------------------- matching */

static int is_timestamp(const char *s)
{
	/* YYYY-MM-DDTHH:MM:SS.mmmZ */
	static const char pat[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	size_t i;
	if (!s || strlen(s) != sizeof pat - 1)
		return 0;
	for (i = 0; i < sizeof pat - 1; i++) {
		if (pat[i] == 'd') {
			if (!isdigit((unsigned char)s[i]))
				return 0;
		} else if (s[i] != pat[i])
			return 0;
	}
	return 1;
}

static int is_id(const char *s)
{
	size_t i;
	if (!s || !*s || s[0] == '0' || strlen(s) > 19)
		return 0;
	for (i = 0; s[i]; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static char why[2048];

static void set_why(const char *path, const char *fmt, const json_t *e, const json_t *a)
{
	char *es = e ? json_dumps(e, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	char *as = a ? json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	snprintf(why, sizeof why, "at %s: %s: expected %.400s, got %.400s", *path ? path : "$", fmt,
	         es ? es : "(missing)", as ? as : "(missing)");
	free(es);
	free(as);
}

static int match(const json_t *e, const json_t *a, json_t *captures, const char *path, int top);

/* A batch: every expected member matches a distinct actual member. */
static int match_multiset(const json_t *e, const json_t *a, json_t *captures, const char *path, size_t i,
                          char *used)
{
	size_t n = json_array_size(e), j;
	if (i == n)
		return 1;
	for (j = 0; j < n; j++) {
		json_t *trial;
		if (used[j])
			continue;
		trial = json_deep_copy(captures);
		if (match(json_array_get(e, i), json_array_get(a, j), trial, path, 0)) {
			used[j] = 1;
			if (match_multiset(e, a, trial, path, i + 1, used)) {
				json_object_update(captures, trial);
				json_decref(trial);
				return 1;
			}
			used[j] = 0;
		}
		json_decref(trial);
	}
	return 0;
}

static int match(const json_t *e, const json_t *a, json_t *captures, const char *path, int top)
{
	char sub[512];

	if (json_is_string(e)) {
		const char *es = json_string_value(e);
		if (strcmp(es, "$any") == 0)
			return a != NULL;
		if (strcmp(es, "$timestamp") == 0) {
			if (is_timestamp(json_string_value(a)))
				return 1;
			set_why(path, "not a timestamp", e, a);
			return 0;
		}
		if (strcmp(es, "$id") == 0) {
			if (is_id(json_string_value(a)))
				return 1;
			set_why(path, "not a decimal-string id", e, a);
			return 0;
		}
		if (strncmp(es, "$capture:", 9) == 0) {
			if (!is_id(json_string_value(a))) {
				set_why(path, "not a decimal-string id to capture", e, a);
				return 0;
			}
			json_object_set_new(captures, es + 9, json_string(json_string_value(a)));
			return 1;
		}
		{
			char *want = substitute(es, captures);
			int ok = json_is_string(a) && strcmp(want, json_string_value(a)) == 0;
			free(want);
			if (!ok)
				set_why(path, "different string", e, a);
			return ok;
		}
	}
	if (json_is_number(e)) {
		int ok;
		if (json_is_integer(e) && json_is_integer(a))
			ok = json_integer_value(e) == json_integer_value(a);
		else
			ok = json_is_number(a) && json_number_value(e) == json_number_value(a);
		if (!ok)
			set_why(path, "different number", e, a);
		return ok;
	}
	if (json_is_boolean(e) || json_is_null(e)) {
		if (a && json_typeof(e) == json_typeof(a))
			return 1;
		set_why(path, "different value", e, a);
		return 0;
	}
	if (json_is_object(e)) {
		const char *k;
		json_t *ev;
		int extra = json_is_true(json_object_get(e, "$extra"));
		if (!json_is_object(a)) {
			set_why(path, "not an object", e, a);
			return 0;
		}
		json_object_foreach((json_t *)e, k, ev) {
			if (strcmp(k, "$extra") == 0)
				continue;
			snprintf(sub, sizeof sub, "%s.%s", path, k);
			if (!json_object_get(a, k)) {
				set_why(sub, "missing member", ev, NULL);
				return 0;
			}
			if (!match(ev, json_object_get(a, k), captures, sub, 0))
				return 0;
		}
		if (!extra) {
			json_t *av;
			json_object_foreach((json_t *)a, k, av) {
				if (!json_object_get(e, k)) {
					snprintf(sub, sizeof sub, "%s.%s", path, k);
					set_why(sub, "unexpected member (no \"$extra\": true)", NULL, av);
					return 0;
				}
			}
		}
		return 1;
	}
	if (json_is_array(e)) {
		size_t i, n = json_array_size(e);
		if (!json_is_array(a) || json_array_size(a) != n) {
			set_why(path, "not an array of that size", e, a);
			return 0;
		}
		if (top) {
			char *used = calloc(n + 1, 1);
			int ok = match_multiset(e, a, captures, path, 0, used);
			free(used);
			if (!ok)
				set_why(path, "batch responses do not match as a multiset", e, a);
			return ok;
		}
		for (i = 0; i < n; i++) {
			snprintf(sub, sizeof sub, "%s[%zu]", path, i);
			if (!match(json_array_get(e, i), json_array_get(a, i), captures, sub, 0))
				return 0;
		}
		return 1;
	}
	set_why(path, "unknown expectation", e, a);
	return 0;
}

/* ---------------------------------------------------------------- replay */

/* After a vector that expects no response: a ping, whose answer must be the
 * next line. */
static int check_silence(joblog_t *h, int seq)
{
	char ping[128], *resp = NULL;
	size_t n;
	json_t *r;
	int ok;
	snprintf(ping, sizeof ping, "{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":\"silence-%d\"}", seq);
	if (joblog_call_raw(h, ping, strlen(ping), &resp, &n) != JOBLOG_OK) {
		snprintf(why, sizeof why, "ping after it: %s", joblog_errmsg(h));
		return 0;
	}
	r = json_loadb(resp, n, JSON_DECODE_ANY, NULL);
	snprintf(ping, sizeof ping, "silence-%d", seq);
	ok = r && json_is_string(json_object_get(r, "id")) &&
	     strcmp(json_string_value(json_object_get(r, "id")), ping) == 0 && json_object_get(r, "result");
	if (!ok)
		snprintf(why, sizeof why, "expected no response, but the next line was: %.600s", resp);
	json_decref(r);
	free(resp);
	return ok;
}

/* ---------------------------------------------------------------- self test */

static void self_case(const char *name, const char *expect, const char *actual, int want)
{
	json_t *e = json_loads(expect, JSON_DECODE_ANY, NULL);
	json_t *a = json_loadb(actual, strlen(actual), JSON_DECODE_ANY, NULL);
	json_t *caps = json_pack("{s:s}", "run", "7");
	char label[256];
	int got;
	why[0] = '\0';
	got = e && a && match(e, a, caps, "", 1);
	snprintf(label, sizeof label, "matcher: %s", name);
	t_result(got == want, label, got ? "matched" : why);
	json_decref(e);
	json_decref(a);
	json_decref(caps);
}

static int selftest(void)
{
	char buf[64] = "a\\xffb\\x4";
	self_case("equal objects", "{\"a\":1,\"b\":\"x\"}", "{\"b\":\"x\",\"a\":1}", 1);
	self_case("extra member refused", "{\"a\":1}", "{\"a\":1,\"b\":2}", 0);
	self_case("extra member allowed by $extra", "{\"a\":1,\"$extra\":true}", "{\"a\":1,\"b\":2}", 1);
	self_case("$extra is per object", "{\"o\":{\"a\":1},\"$extra\":true}", "{\"o\":{\"a\":1,\"b\":2}}", 0);
	self_case("missing member", "{\"a\":1,\"b\":null}", "{\"a\":1}", 0);
	self_case("null is not missing", "{\"b\":null}", "{\"b\":null}", 1);
	self_case("null vs 0", "{\"b\":null}", "{\"b\":0}", 0);
	self_case("$any", "{\"v\":\"$any\"}", "{\"v\":[1,{}]}", 1);
	self_case("$timestamp ok", "\"$timestamp\"", "\"2024-01-08T10:30:00.123Z\"", 1);
	self_case("$timestamp without millis", "\"$timestamp\"", "\"2024-01-08T10:30:00Z\"", 0);
	self_case("$timestamp not UTC", "\"$timestamp\"", "\"2024-01-08T10:30:00.123+01:00\"", 0);
	self_case("$id ok", "\"$id\"", "\"12\"", 1);
	self_case("$id as a number", "\"$id\"", "12", 0);
	self_case("$id leading zero", "\"$id\"", "\"012\"", 0);
	self_case("$capture then ${name}", "[{\"id\":\"$capture:x\"},{\"id\":\"${x}\"}]", "[{\"id\":\"5\"},{\"id\":\"5\"}]", 1);
	self_case("${name} substituted", "{\"r\":\"run ${run}\"}", "{\"r\":\"run 7\"}", 1);
	self_case("${name} mismatch", "{\"r\":\"${run}\"}", "{\"r\":\"8\"}", 0);
	self_case("batch as a multiset", "[{\"id\":1},{\"id\":2}]", "[{\"id\":2},{\"id\":1}]", 1);
	self_case("batch: duplicates count", "[{\"id\":1},{\"id\":1}]", "[{\"id\":1},{\"id\":2}]", 0);
	self_case("batch: size", "[{\"id\":1}]", "[{\"id\":1},{\"id\":2}]", 0);
	self_case("nested arrays in order", "{\"x\":[1,2]}", "{\"x\":[2,1]}", 0);
	self_case("numbers by value", "{\"id\":1.5}", "{\"id\":1.50}", 1);
	self_case("integer vs real of the same value", "1", "1.0", 1);
	self_case("different numbers", "1", "2", 0);
	self_case("string vs number", "\"1\"", "1", 0);
	self_case("true vs false", "true", "false", 0);
	T_INT("unescape: \\xHH (an incomplete one is kept)", 6, unescape_bytes(buf));
	T_TRUE("unescape: the byte", (unsigned char)buf[1] == 0xff && buf[2] == 'b');
	return t_summary();
}

int main(int argc, char **argv)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	joblog_t *h = NULL;
	json_t *captures = json_object();
	int seq = 0;
	const char *file;

	if (argc == 2 && strcmp(argv[1], "--selftest") == 0) {
		json_decref(captures);
		return selftest();
	}
	if (argc != 3) {
		fprintf(stderr, "usage: %s SOCKET FILE.jsonl\n", argv[0]);
		return 2;
	}
	file = strrchr(argv[2], '/') ? strrchr(argv[2], '/') + 1 : argv[2];
	f = fopen(argv[2], "r");
	if (!f) {
		perror(argv[2]);
		return 2;
	}
	if (joblog_open(argv[1], &h) != JOBLOG_OK) {
		fprintf(stderr, "conformance: %s\n", joblog_errmsg(h));
		joblog_close(h);
		fclose(f);
		json_decref(captures);
		return 2;
	}
	joblog_set_timeout(h, 10000);

	while ((len = getline(&line, &cap, f)) > 0) {
		json_error_t jerr;
		json_t *vec, *expect, *resp = NULL;
		const char *name, *send, *enc;
		char *wire, label[512], *got = NULL;
		size_t wire_len, got_len;
		int ok;

		if (len <= 1)
			continue;
		vec = json_loadb(line, (size_t)len, 0, &jerr);
		if (!vec) {
			snprintf(label, sizeof label, "%s: vector line %d is not JSON: %s", file, seq + 1, jerr.text);
			t_result(0, label, "");
			seq++;
			continue;
		}
		seq++;
		name = json_string_value(json_object_get(vec, "name"));
		send = json_string_value(json_object_get(vec, "send"));
		enc = json_string_value(json_object_get(vec, "sendEncoding"));
		expect = json_object_get(vec, "expect");
		snprintf(label, sizeof label, "%s #%d: %s", file, seq, name ? name : "?");
		if (!send || !expect) {
			t_result(0, label, "vector without send/expect");
			json_decref(vec);
			continue;
		}
		wire = substitute(send, captures);
		wire_len = strlen(wire);
		if (enc && strcmp(enc, "escaped-bytes") == 0)
			wire_len = unescape_bytes(wire);
		why[0] = '\0';
		if (joblog_send_raw(h, wire, wire_len) != JOBLOG_OK) {
			snprintf(why, sizeof why, "send: %s", joblog_errmsg(h));
			ok = 0;
		} else if (json_is_null(expect)) {
			ok = check_silence(h, seq);
		} else if (joblog_read_raw(h, &got, &got_len) != JOBLOG_OK) {
			snprintf(why, sizeof why, "no response: %s", joblog_errmsg(h));
			ok = 0;
		} else {
			resp = json_loadb(got, got_len, JSON_DECODE_ANY, &jerr);
			if (!resp) {
				snprintf(why, sizeof why, "response is not JSON (%s): %.600s", jerr.text, got);
				ok = 0;
			} else {
				ok = match(expect, resp, captures, "", 1);
			}
		}
		t_result(ok, label, why);
		json_decref(resp);
		free(got);
		free(wire);
		json_decref(vec);
	}
	free(line);
	fclose(f);
	joblog_close(h);
	json_decref(captures);
	return t_summary();
}
