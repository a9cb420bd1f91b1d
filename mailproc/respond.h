/*
 * What mailproc answers, and to whom, when a message has been filed: the
 * support policy's "who is told what".  Owns those decisions; rendering,
 * building and queueing are compose.c's, loop protection autoreply.c's.
 */
#ifndef MP_RESPOND_H
#define MP_RESPOND_H

#include "compose.h"
#include "msg.h"

struct respond_event {
	const struct msg *m;
	const char *env_sender;
	long long ticket;
	int is_new;		/* a new ticket, or a follow-up */
	int from_staff;		/* trusted staff */
	const char *requester;	/* the address answers go to */
	const char *lang;
	const char *class;	/* classification, may be NULL */
	long long first_response_due;
};

/* Queues every mail the event causes, in the caller's transaction. */
int respond_filed(struct compose *c, const struct respond_event *ev,
		  struct mp_err *err);

#endif
