/* control_proto.c: the runtime <-> hyrun-vmm control protocol's codec (control_proto.h). */
#include "common/control_proto.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"

/* --- the request line ---------------------------------------------------------- */

/* `s` quoted for a message: at most 32 characters, anything unprintable as '?'. */
static const char *quote(char *out, size_t cap, const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n + 4 < cap && i < 32; i++) {
		unsigned char c = (unsigned char)s[i];

		out[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (len > 32 && n + 4 < cap) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
	return out;
}

static bool word_is(const char *w, size_t len, const char *s)
{
	return len == strlen(s) && memcmp(w, s, len) == 0;
}

static int parse_signal(const char *w, size_t len, int *sig, char *err, size_t errlen)
{
	char q[40];
	int v = 0;

	if (len == 0 || len > 3)
		goto bad;
	for (size_t i = 0; i < len; i++) {
		if (w[i] < '0' || w[i] > '9')
			goto bad;
		v = v * 10 + (w[i] - '0');
	}
	if (v < 1 || v > CONTROL_SIG_MAX)
		goto bad;
	*sig = v;
	return 0;
bad:
	return hy_err(err, errlen, -EINVAL, "kill: signal '%s' is not a number from 1 to 64",
		      quote(q, sizeof(q), w, len));
}

int control_request_parse(const char *line, size_t len, struct control_request *req, char *err,
			  size_t errlen)
{
	const char *word[4];
	size_t wlen[4], nw = 0, i = 0;
	char q[40];

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0) {
		return hy_err(err, errlen, -EINVAL,
			      "empty request (expected start, kill SIG or kill SIG all)");
	}
	while (i < len) {
		size_t start = i;

		while (i < len && line[i] != ' ')
			i++;
		if (i == start)
			return hy_err(err, errlen, -EINVAL,
				      "malformed request '%s': words are "
				      "separated by one space",
				      quote(q, sizeof(q), line, len));
		if (nw == 4)
			return hy_err(err, errlen, -EINVAL, "too many words in request '%s'",
				      quote(q, sizeof(q), line, len));
		word[nw] = line + start;
		wlen[nw++] = i - start;
		if (i < len && ++i == len) /* a space at the very end */
			return hy_err(err, errlen, -EINVAL,
				      "malformed request '%s': words are "
				      "separated by one space",
				      quote(q, sizeof(q), line, len));
	}
	*req = (struct control_request){0};
	if (word_is(word[0], wlen[0], "start")) {
		if (nw != 1)
			return hy_err(err, errlen, -EINVAL, "start takes no argument: '%s'",
				      quote(q, sizeof(q), line, len));
		req->op = CONTROL_START;
		return 0;
	}
	if (word_is(word[0], wlen[0], "kill")) {
		if (nw < 2)
			return hy_err(err, errlen, -EINVAL, "kill needs a signal number: '%s'",
				      quote(q, sizeof(q), line, len));
		if (nw > 3 || (nw == 3 && !word_is(word[2], wlen[2], "all")))
			return hy_err(err, errlen, -EINVAL,
				      "malformed request '%s' (expected kill SIG or kill SIG all)",
				      quote(q, sizeof(q), line, len));
		if (parse_signal(word[1], wlen[1], &req->sig, err, errlen))
			return -EINVAL;
		req->op = CONTROL_KILL;
		req->all = nw == 3;
		return 0;
	}
	return hy_err(err, errlen, -EINVAL,
		      "unknown request '%s' (expected start, kill SIG or kill SIG all)",
		      quote(q, sizeof(q), word[0], wlen[0]));
}

int control_request_format(const struct control_request *req, char *buf, size_t len)
{
	int n;

	switch (req->op) {
	case CONTROL_START:
		n = snprintf(buf, len, "start\n");
		break;
	case CONTROL_KILL:
		if (req->sig < 1 || req->sig > CONTROL_SIG_MAX)
			return -EINVAL;
		n = snprintf(buf, len, "kill %d%s\n", req->sig, req->all ? " all" : "");
		break;
	default:
		return -EINVAL;
	}
	return n < 0 || (size_t)n >= len ? -EINVAL : n;
}

int control_reply_format(const char *reason, char *buf, size_t len)
{
	size_t n;

	if (len < 4)
		return -EINVAL;
	if (!reason) {
		memcpy(buf, "ok\n", 4);
		return 3;
	}
	/* Room for the newline and the NUL: the reason is cut, not the line. */
	n = (size_t)snprintf(buf, len - 1, "error: %s", reason);
	if (n > len - 2)
		n = len - 2;
	for (size_t i = 0; i < n; i++)
		if (buf[i] == '\n' || buf[i] == '\r')
			buf[i] = ' ';
	buf[n++] = '\n';
	buf[n] = '\0';
	return (int)n;
}

int control_reply_parse(const char *reply, size_t len, char *err, size_t errlen)
{
	const char *nl = memchr(reply, '\n', len);
	char q[40];

	if (nl)
		len = (size_t)(nl - reply);
	if (len > 0 && reply[len - 1] == '\r')
		len--;
	if (len == 2 && memcmp(reply, "ok", 2) == 0)
		return 0;
	if (len >= 7 && memcmp(reply, "error: ", 7) == 0)
		return hy_err(err, errlen, -EIO, "%.*s", (int)(len - 7), reply + 7);
	if (len == 0)
		return hy_err(err, errlen, -EPROTO,
			      "the VMM closed the control socket without "
			      "answering");
	return hy_err(err, errlen, -EPROTO, "the VMM answered '%s'",
		      quote(q, sizeof(q), reply, len));
}
