/*
 * Monitoring alerts that arrive by mail at alerts_address (SPEC §15, the
 * policy's サーバー故障時のご連絡方法について): the alert format read from
 * rules/alerts.conf, the routing the policy's table gives each kind, and
 * what an alert ticket sends.  Which ticket an alert joins and the
 * transaction are ingest.c's.
 */
#ifndef MP_ALERT_H
#define MP_ALERT_H

#include <stddef.h>

#include "compose.h"
#include "err.h"
#include "store.h"

#define ALERT_FILE "alerts.conf"

enum alert_kind {
	ALERT_PING,		/* ping monitoring (standard) */
	ALERT_SERVICE,		/* service monitoring (option) */
	ALERT_RESOURCE,		/* process and resource monitoring (option) */
	ALERT_HARDWARE,		/* the data-centre round's visual check */
	ALERT_NETWORK,		/* network or equipment fault */
	ALERT_KIND_COUNT
};

/* One alert as read from a mail: new strings, NULL when absent. */
struct alert {
	char *host, *kind_text, *service, *state, *time;
	enum alert_kind kind;
	int recovery;		/* the state says it is over */
};

struct alert_format;

typedef void alert_report_fn(void *ctx, const char *file, int line,
			     const char *msg);

/* Reads alerts.conf (site_dir's when it has one, else rules_dir's:
 * rules_file_path()); a missing file gives the default format
 * (Host:, Kind:, Service:, State:, Time: lines in the body).  Every
 * problem goes to report (may be NULL) as file:line; any problem fails
 * with MP_PERM naming the first. */
int alert_format_load(struct alert_format **f_r, const char *site_dir,
		      const char *rules_dir, alert_report_fn *report,
		      void *ctx, struct mp_err *err);
void alert_format_free(struct alert_format **fp);

/* Reads an alert out of subject and text.  Returns 0, or -1 with why
 * filled (no host, an unknown kind, no state) when it is not one. */
int alert_parse(const struct alert_format *f, const char *subject,
		const char *text, struct alert *a, char *why, size_t size);
void alert_release(struct alert *a);

/* Whether the policy's table has staff call the emergency number for a:
 * ping and process/resource alerts, service alerts other than telnet or
 * SSH; hardware and network findings go by mail only. */
int alert_wants_phone(const struct alert *a);

/* The fold key of an alert: its host, kind and service, into buf. */
const char *alert_key(const struct alert *a, char *buf, size_t size);

const char *alert_kind_name(enum alert_kind kind);

/* What a new alert ticket t for contract k (NULL: the host is nobody's,
 * or the sender is not an allowed alert sender: why says which) sends:
 * the alert to the contract's monitoring-notification address, and to
 * staff a notice with the callback to the registered emergency number
 * when the table says so; without a contract, staff alone. */
int alert_raised(struct compose *c, const struct store_ticket *t,
		 const struct store_contract *k, const struct alert *a,
		 const char *why, struct mp_err *err);

/* The recovery of the alert ticket t: the customer and staff told, the
 * ticket closed. */
int alert_recovered(struct compose *c, const struct store_ticket *t,
		    const struct store_contract *k, const struct alert *a,
		    struct mp_err *err);

#endif
