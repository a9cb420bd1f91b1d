/*
 * identity.c: confirmation tokens.
 *
 * A token is 160 random bits from getrandom(2), shown once in the mail to
 * the registered address and stored only as its SHA-256, so a copy of the
 * database confirms nothing.  The address carries the ticket id too, so a
 * token is only ever tried against the ticket it was made for.  Tokens are
 * compared exactly: a token whose case or spacing was changed is not the
 * token that was sent.
 *
 * A token address is a deliberate yes only when the text does not say
 * no: someone who writes 「作業しないでください」 to the confirm address has
 * not agreed to the work, whichever address they used.  The phrases are
 * a list, not a model: a false "no" costs a request the customer can
 * make again, a false "yes" hands work to someone who may not be the
 * customer.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include <glib.h>

#include "identity.h"

int
identity_token_new(char *token, struct mp_err *err)
{
	unsigned char r[IDENTITY_TOKEN_BYTES];
	size_t i;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return mp_err_set(err, MP_TEMP, "no random bytes: %s",
				  strerror(errno));
	for (i = 0; i < sizeof(r); i++)
		snprintf(token + 2 * i, 3, "%02x", r[i]);
	return 0;
}

void
identity_token_hash(const char *token, char *hash)
{
	gchar *hex = g_compute_checksum_for_string(G_CHECKSUM_SHA256, token,
						   -1);

	snprintf(hash, IDENTITY_HASH_LEN + 1, "%s", hex ? hex : "");
	g_free(hex);
}

const char *
identity_address(char *buf, size_t size, const char *support,
		 enum identity_kind kind, long long ticket, const char *token)
{
	const char *at = strrchr(support, '@');
	int local = at ? (int)(at - support) : (int)strlen(support);

	snprintf(buf, size, "%.*s+%s-%lld-%s%s", local, support,
		 kind == IDENTITY_DENY ? "deny" : "confirm", ticket, token,
		 at ? at : "");
	return buf;
}

enum identity_kind
identity_parse_address(const char *addr, const char *support,
		       long long *ticket_r, char *token)
{
	const char *at, *sat, *p, *dash;
	enum identity_kind kind;
	size_t slocal, n;
	char *end;

	*ticket_r = 0;
	token[0] = '\0';
	if (addr == NULL || support == NULL)
		return IDENTITY_NONE;
	at = strrchr(addr, '@');
	sat = strrchr(support, '@');
	if (at == NULL || sat == NULL || strcasecmp(at, sat) != 0)
		return IDENTITY_NONE;
	slocal = (size_t)(sat - support);
	if ((size_t)(at - addr) <= slocal || addr[slocal] != '+' ||
	    strncasecmp(addr, support, slocal) != 0)
		return IDENTITY_NONE;
	p = addr + slocal + 1;
	if (strncasecmp(p, "confirm-", 8) == 0) {
		kind = IDENTITY_CONFIRM;
		p += 8;
	} else if (strncasecmp(p, "deny-", 5) == 0) {
		kind = IDENTITY_DENY;
		p += 5;
	} else {
		return IDENTITY_NONE;
	}
	if (!isdigit((unsigned char)*p))
		return kind;
	*ticket_r = strtoll(p, &end, 10);
	if (*end != '-') {
		*ticket_r = 0;
		return kind;
	}
	dash = end + 1;
	n = (size_t)(at - dash);
	if (n != IDENTITY_TOKEN_LEN)
		return kind;	/* wrong length: refused as malformed */
	memcpy(token, dash, n);
	token[n] = '\0';
	return kind;
}

/* Phrases that say no, after NFKC and lower-casing.  ASCII phrases match
 * at word boundaries; Japanese ones anywhere. */
static const char *const decline_phrases[] = {
	/* the request was not made */
	"依頼はしていません", "依頼していません", "依頼はしておりません",
	"依頼しておりません", "依頼していない", "依頼してない",
	"依頼はしていない", "依頼した覚え", "依頼の覚え",
	"お願いしていません", "お願いはしていません", "お願いしておりません",
	"頼んでいません", "頼んでない", "頼んでおりません",
	"申し込んでいません", "申し込みしていません", "申請していません",
	"覚えがない", "覚えはない", "覚えがありません", "覚えはありません",
	"覚えのない", "心当たりがない", "心当たりはない",
	"心当たりがありません", "心当たりはありません", "心当たりのない",
	"身に覚え", "なりすまし", "いいえ", "違います", "ちがいます",
	/* the work must not be done */
	"作業しないで", "作業はしないで", "実施しないで", "実施はしないで",
	"対応しないで", "実行しないで", "行わないで", "進めないで",
	"やらないで", "作業不要", "作業は不要", "対応不要", "対応は不要",
	"実施不要", "実施は不要", "中止", "取り消", "取消", "キャンセル",
	"お断り", "拒否", "承認しません", "承認できません", "許可しません",
	"許可できません", "同意しません", "同意できません",
	/* English */
	"not requested", "did not request", "didn't request",
	"never requested", "not request", "didn't ask", "did not ask",
	"never asked", "not make this request", "didn't make this request",
	"not make that request", "didn't make that request",
	"not authorised", "not authorized", "unauthorised", "unauthorized",
	"not authorise", "not authorize", "don't do", "do not do",
	"don't proceed", "do not proceed", "don't perform", "do not perform",
	"don't go ahead", "do not go ahead", "don't carry out",
	"do not carry out", "don't carry it out", "do not carry it out",
	"don't recognise", "don't recognize", "do not recognise",
	"do not recognize", "not recognised", "not recognized", "cancel",
	"decline", "refuse", "reject", "not me", "wasn't me", "was not me",
	"not mine", "stop", "fraud", "phishing", "deny", "denied",
};

static int
is_word_char(unsigned char c)
{
	return isalnum(c) || c == '\'' || c >= 0x80;
}

/* Whether phrase occurs in s; an ASCII phrase only as whole words (it may
 * be followed by more letters: "cancel" matches "cancelled"). */
static int
has_phrase(const char *s, const char *phrase)
{
	size_t n = strlen(phrase);
	const char *p = s;
	int ascii = !((unsigned char)phrase[0] & 0x80);

	while ((p = strstr(p, phrase)) != NULL) {
		if (!ascii || p == s || !is_word_char((unsigned char)p[-1]) ||
		    ((unsigned char)p[-1] & 0x80))
			return 1;
		p += n;
	}
	return 0;
}

/* A first word "no" that is not "no problem" and the like. */
static int
starts_with_no(const char *s)
{
	static const char *const fine[] = {
		"problem", "worries", "issue", "objection", "concern",
	};
	const char *p = s;
	size_t i;

	while (*p != '\0' && !isalnum((unsigned char)*p) &&
	       !((unsigned char)*p & 0x80))
		p++;
	if (strncmp(p, "no", 2) != 0 || is_word_char((unsigned char)p[2]))
		return 0;
	for (p += 2; *p == ' ' || *p == '\t'; p++)
		;
	for (i = 0; i < sizeof(fine) / sizeof(*fine); i++)
		if (strncmp(p, fine[i], strlen(fine[i])) == 0)
			return 0;
	return 1;
}

int
identity_reply_declines(const char *text)
{
	gchar *norm, *low;
	char *p;
	size_t i;
	int no = 0;

	if (text == NULL || *text == '\0')
		return 0;
	norm = g_utf8_normalize(text, -1, G_NORMALIZE_NFKC);
	if (norm == NULL)	/* not UTF-8: judge the bytes as they are */
		norm = g_strdup(text);
	low = g_ascii_strdown(norm, -1);
	g_free(norm);
	/* Typographic apostrophes (U+2019) as ASCII ones: "don’t". */
	for (p = low; (p = strstr(p, "\xe2\x80\x99")) != NULL; ) {
		*p = '\'';
		memmove(p + 1, p + 3, strlen(p + 3) + 1);
	}
	for (i = 0; !no && i < sizeof(decline_phrases) /
	     sizeof(*decline_phrases); i++)
		no = has_phrase(low, decline_phrases[i]);
	if (!no)
		no = starts_with_no(low);
	g_free(low);
	return no;
}
