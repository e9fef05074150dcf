/* JSON encoding helpers of libjoblog: the byte buffer, string escaping with
 * UTF-8 repair, and validation of JSON objects given as json_t or text. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "joblog_internal.h"

int jl_buf_reserve(jl_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (b->oom)
		return -1;
	need = b->len + extra;
	if (need < b->len) {
		b->oom = 1;
		return -1;
	}
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need) {
		if (cap > ((size_t)-1) / 2) {
			cap = need;
			break;
		}
		cap *= 2;
	}
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void jl_buf_add(jl_buf *b, const void *data, size_t n)
{
	if (n == 0 || jl_buf_reserve(b, n) != 0)
		return;
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

void jl_buf_adds(jl_buf *b, const char *s)
{
	jl_buf_add(b, s, strlen(s));
}

void jl_buf_add_i64(jl_buf *b, int64_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof tmp, "%lld", (long long)v);
	jl_buf_add(b, tmp, (size_t)n);
}

void jl_buf_free(jl_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}

/* Length of the valid UTF-8 sequence at s (n bytes available), or, when it
 * is invalid, minus the length of its maximal invalid subpart (>= 1). */
static long utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t need, i;
	unsigned char lo = 0x80, hi = 0xBF;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		need = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		need = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else
		return -1;
	for (i = 1; i < need; i++) {
		unsigned char l = (i == 1) ? lo : 0x80, h = (i == 1) ? hi : 0xBF;
		if (i >= n || s[i] < l || s[i] > h)
			return -(long)i;
	}
	return (long)need;
}

size_t jl_buf_add_jstr(jl_buf *b, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run, decoded = 0;

	/* Worst case: every byte becomes \u00XX (6) or U+FFFD (3). */
	if (jl_buf_reserve(b, n * 6 + 2) != 0)
		return 0;
	b->p[b->len++] = '"';
	while (i < n) {
		/* Copy a run of bytes that need nothing. */
		run = i;
		while (run < n && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' && s[run] != '\\')
			run++;
		if (run > i) {
			memcpy(b->p + b->len, s + i, run - i);
			b->len += run - i;
			decoded += run - i;
			i = run;
			if (i >= n)
				break;
		}
		unsigned char c = s[i];
		if (c < 0x80) {
			char *o = b->p + b->len;
			decoded++;
			switch (c) {
			case '"': o[0] = '\\'; o[1] = '"'; b->len += 2; break;
			case '\\': o[0] = '\\'; o[1] = '\\'; b->len += 2; break;
			case '\b': o[0] = '\\'; o[1] = 'b'; b->len += 2; break;
			case '\t': o[0] = '\\'; o[1] = 't'; b->len += 2; break;
			case '\n': o[0] = '\\'; o[1] = 'n'; b->len += 2; break;
			case '\f': o[0] = '\\'; o[1] = 'f'; b->len += 2; break;
			case '\r': o[0] = '\\'; o[1] = 'r'; b->len += 2; break;
			default:
				o[0] = '\\'; o[1] = 'u'; o[2] = '0'; o[3] = '0';
				o[4] = hex[c >> 4]; o[5] = hex[c & 15];
				b->len += 6;
			}
			i++;
			continue;
		}
		long k = utf8_seq(s + i, n - i);
		if (k > 0) {
			memcpy(b->p + b->len, s + i, (size_t)k);
			b->len += (size_t)k;
			decoded += (size_t)k;
			i += (size_t)k;
		} else {
			memcpy(b->p + b->len, "\xEF\xBF\xBD", 3); /* U+FFFD */
			b->len += 3;
			decoded += 3;
			i += (size_t)(-k);
		}
	}
	b->p[b->len++] = '"';
	return decoded;
}

int jl_json_depth(const json_t *v)
{
	int d = 0, c;
	size_t i;
	const char *k;
	json_t *x;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, x) {
			c = jl_json_depth(x);
			if (c > d)
				d = c;
			if (d > JL_MAX_DEPTH)
				break;
		}
		return d + 1;
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			c = jl_json_depth(x);
			if (c > d)
				d = c;
			if (d > JL_MAX_DEPTH)
				break;
		}
		return d + 1;
	}
	return 0;
}

int jl_valid_run_id(const char *s)
{
	size_t n, i;

	if (!s)
		return 0;
	n = strlen(s);
	if (n == 0 || n > 19 || s[0] == '0')
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	if (n == 19 && strcmp(s, "9223372036854775807") > 0)
		return 0;
	return 1;
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int jl_buf_add_object_text(jl_buf *b, const char *text, char *why, size_t why_size)
{
	json_error_t err;
	json_t *v;
	size_t start = 0, end, i;
	int depth;

	end = strlen(text);
	while (start < end && is_ws(text[start]))
		start++;
	while (end > start && is_ws(text[end - 1]))
		end--;
	if (end - start > JL_MAX_OBJECT) {
		snprintf(why, why_size, "longer than %d bytes", JL_MAX_OBJECT);
		return JOBLOG_EINVAL;
	}
	v = json_loadb(text + start, end - start, 0, &err);
	if (!v) {
		snprintf(why, why_size, "not valid JSON: %s (column %d)", err.text, err.column);
		return JOBLOG_EINVAL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		snprintf(why, why_size, "not a JSON object");
		return JOBLOG_EINVAL;
	}
	depth = jl_json_depth(v);
	json_decref(v);
	if (depth > JL_MAX_DEPTH) {
		snprintf(why, why_size, "nested deeper than %d", JL_MAX_DEPTH);
		return JOBLOG_EINVAL;
	}
	if (jl_buf_reserve(b, end - start) != 0)
		return JOBLOG_ENOMEM;
	for (i = start; i < end; i++) {
		char c = text[i];
		/* Valid JSON has no raw CR/LF inside strings: these are
		 * whitespace between tokens, which must not end the line. */
		b->p[b->len++] = (c == '\n' || c == '\r') ? ' ' : c;
	}
	return JOBLOG_OK;
}

static int dump_cb(const char *buffer, size_t size, void *data)
{
	jl_buf *b = data;
	jl_buf_add(b, buffer, size);
	return b->oom ? -1 : 0;
}

int jl_buf_add_object(jl_buf *b, const json_t *obj, char *why, size_t why_size)
{
	size_t mark = b->len;

	if (!json_is_object(obj)) {
		snprintf(why, why_size, "not a JSON object");
		return JOBLOG_EINVAL;
	}
	if (jl_json_depth(obj) > JL_MAX_DEPTH) {
		snprintf(why, why_size, "nested deeper than %d", JL_MAX_DEPTH);
		return JOBLOG_EINVAL;
	}
	if (json_dump_callback(obj, dump_cb, b, JSON_COMPACT) != 0) {
		if (b->oom)
			return JOBLOG_ENOMEM;
		b->len = mark;
		snprintf(why, why_size, "cannot be encoded (a cycle, or NaN/Infinity)");
		return JOBLOG_EINVAL;
	}
	if (b->len - mark > JL_MAX_OBJECT) {
		b->len = mark;
		snprintf(why, why_size, "longer than %d bytes", JL_MAX_OBJECT);
		return JOBLOG_EINVAL;
	}
	return JOBLOG_OK;
}
