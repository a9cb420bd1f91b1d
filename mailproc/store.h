/*
 * Ticket database.  Owns the SQLite connection, the schema and its
 * migrations (PRAGMA user_version), and every SQL statement; callers see
 * tickets, messages and history rows, never sqlite3 handles.  One
 * connection per process, WAL mode, a busy timeout on every lock wait,
 * and no checkpoint on close (checkpoints are the runner's job).
 */
#ifndef MP_STORE_H
#define MP_STORE_H

#include <stddef.h>
#include <time.h>

#include "err.h"

struct store;

/* The schema version this mailproc migrates databases to (--version). */
int store_schema_version(void);

/* Copies the whole database, as one consistent snapshot taken while other
 * processes go on writing, into path (store_backup.c): a self-contained
 * file (not WAL), checked, replacing path atomically.  Returns 0, or -1
 * with err (MP_PERM: path cannot be created). */
int store_backup(struct store *s, const char *path, struct mp_err *err);

/* Retention (store_backup.c): the SHA-256 names of the stored
 * attachments that a live ticket still needs, sorted: those of every
 * message of a ticket that is not closed or rejected, or was changed at
 * or after since (a ticket closed lately may be reopened), or that was
 * merged into such a ticket.  *v_r holds *n_r new strings (free each and
 * the array).  0, or -1 with err. */
int store_attachments_needed(struct store *s, long long since, char ***v_r,
			     size_t *n_r, struct mp_err *err);

struct store_ticket {
	long long id;
	char *state;	/* new triage held open done closed rejected */
	char *class;		/* task id or fault-report/out-of-scope/... */
	char *rule;
	double confidence;
	char *contract;
	char *requester;
	char *recipient;	/* support or form address it came to */
	char *subject;
	char *lang;
	long long created, updated, first_response_due;
	long long linked;	/* ticket this one was split from, or 0 */
	long long first_response_at;	/* first staff reply relayed, or 0 */
	char *owner;		/* staff address handling it, or NULL */
	long long escalated_at;	/* the one overdue escalation, or 0 */
	long long merged_into;	/* the ticket it was merged into, or 0 */
};

struct store_message {
	long long ticket;
	const char *direction;	/* "in" (customer) or "staff" */
	const char *message_id;	/* may be NULL */
	const char *content_hash;
	const char *spool_name;
	const char *env_sender, *env_recipient, *sasl_user;
	const char *parsed_json;	/* the `parse --json` object */
	long long received;
};

/* Opens (creating and migrating as needed) state_dir/mailproc.db.
 * busy_ms bounds every lock wait.  Returns 0, or -1 with err (MP_TEMP for
 * locks and I/O, MP_PERM for a database from a newer mailproc). */
int store_open(struct store **s_r, const char *state_dir, long busy_ms,
	       struct mp_err *err);

/* Closes the connection; *s becomes NULL; NULL is ignored. */
void store_free(struct store **s);

/* Transactions: store_begin() takes the write lock at once (BEGIN
 * IMMEDIATE) so that a busy database shows up here, not halfway through. */
int store_begin(struct store *s, struct mp_err *err);
int store_commit(struct store *s, struct mp_err *err);
void store_rollback(struct store *s);
/* A batch: one transaction around many; inside it store_begin() and
 * store_commit() are a savepoint, and nothing is durable until
 * store_batch_commit() (which rolls the whole batch back if it fails). */
int store_batch_begin(struct store *s, struct mp_err *err);
int store_batch_commit(struct store *s, struct mp_err *err);

/* Checkpoints and truncates the WAL if no one is writing, else does what
 * it can without waiting (for `run`). */
void store_checkpoint(struct store *s);

/* Finds the ticket of a message with this Message-ID ("" when none) and
 * content hash.  Returns 1 (found, *ticket_r set), 0 or -1. */
int store_message_find(struct store *s, const char *message_id,
		       const char *content_hash, long long *ticket_r,
		       struct mp_err *err);

/* Finds the ticket of a message we stored or sent whose Message-ID is
 * one of ids (the last id, the closest ancestor, first).  Returns 1, 0
 * or -1. */
int store_ticket_by_message_ids(struct store *s, const char *const *ids,
				size_t n, long long *ticket_r,
				struct mp_err *err);

/* Reads ticket id into t (release with store_ticket_release()).
 * Returns 1, 0 (no such ticket) or -1. */
int store_ticket_get(struct store *s, long long id, struct store_ticket *t,
		     struct mp_err *err);
void store_ticket_release(struct store_ticket *t);

/* Inserts a ticket from t (id ignored); *id_r gets the new id. */
int store_ticket_insert(struct store *s, const struct store_ticket *t,
			long long *id_r, struct mp_err *err);

/* Changes a ticket's state and records it in its history. */
int store_ticket_set_state(struct store *s, long long id, const char *state,
			   long long at, const char *actor,
			   const char *reason, struct mp_err *err);

/* Sets the classification fields of a ticket. */
int store_ticket_set_class(struct store *s, long long id, const char *class,
			   const char *rule, double confidence,
			   struct mp_err *err);

int store_history_add(struct store *s, long long ticket, long long at,
		      const char *actor, const char *event,
		      const char *detail, struct mp_err *err);

int store_message_insert(struct store *s, const struct store_message *m,
			 long long *id_r, struct mp_err *err);

/* The contract an address is registered to: 1 with a new string in
 * *contract_r (caller frees), 0, or -1. */
int store_contract_of(struct store *s, const char *address,
		      char **contract_r, struct mp_err *err);

/* Calls fn for each ticket (state filter NULL = all), in id order. */
int store_ticket_each(struct store *s, const char *state,
		      int (*fn)(void *ctx, const struct store_ticket *t),
		      void *ctx, struct mp_err *err);

/* Calls fn with each message of a ticket, oldest first. */
int store_message_each(struct store *s, long long ticket,
		       int (*fn)(void *ctx, const char *direction,
				 long long received, const char *parsed_json),
		       void *ctx, struct mp_err *err);

/* Calls fn with each history row of a ticket, oldest first. */
int store_history_each(struct store *s, long long ticket,
		       int (*fn)(void *ctx, long long at, const char *actor,
				 const char *event, const char *detail),
		       void *ctx, struct mp_err *err);

struct store_outbox {
	long long id, ticket;		/* ticket 0: not tied to one */
	char *template;
	char *to_addr;
	char *env_from;			/* "" for the null sender */
	char *subject;
	char *message_id;
	int automatic;			/* counts for the auto-reply limit */
	char *state;	/* queued held sending sent failed suppressed */
	long long attempts, next_attempt, release_at, created, sent_at;
	char *last_error;		/* or the suppression reason */
	char *raw;			/* the message, CRLF; may be NULL */
	size_t raw_len;
};

/* Releases the strings of o (not o itself). */
void store_outbox_release(struct store_outbox *o);

/* Inserts o (id, attempts, sent_at ignored). */
int store_outbox_insert(struct store *s, const struct store_outbox *o,
			long long *id_r, struct mp_err *err);

/* The queued mails due at now (raw loaded), oldest first, at most limit
 * of them: a new array of *n_r rows in *rows_r, which the caller frees
 * with store_outbox_release() on each row and free(). */
int store_outbox_due(struct store *s, long long now, int limit,
		     struct store_outbox **rows_r, size_t *n_r,
		     struct mp_err *err);

/* Sets a mail's state and retry bookkeeping (sent_at 0 = none). */
int store_outbox_update(struct store *s, long long id, const char *state,
			long long attempts, long long next_attempt,
			const char *last_error, long long sent_at,
			struct mp_err *err);

/* Moves a queued mail to 'sending' unless someone else already did:
 * returns 1 (ours to send), 0 (not queued any more) or -1. */
int store_outbox_claim(struct store *s, long long id, long long now,
		       struct mp_err *err);

/* Puts mails left in 'sending' by a crashed runner back in the queue. */
int store_outbox_requeue_sending(struct store *s, struct mp_err *err);

/* Puts mails claimed before `before` and still 'sending' back in the
 * queue; *n_r says how many.  0 or -1. */
int store_outbox_requeue_stale(struct store *s, long long before, int *n_r,
			       struct mp_err *err);

/* Puts failed mail back in the queue, due at now: row id, or with id 0
 * every failed row; *n_r says how many.  0 or -1. */
int store_outbox_retry(struct store *s, long long id, long long now,
		       int *n_r, struct mp_err *err);

/* Marks a 'sending' mail sent at now (one more attempt): 1, 0 when it
 * was not 'sending', or -1. */
int store_outbox_mark_sent(struct store *s, long long id, long long now,
			   struct mp_err *err);

/* Queues held mails whose release time has come; *n_r how many. */
int store_outbox_release_held(struct store *s, long long now, int *n_r,
			      struct mp_err *err);

/* Rate-limited notices: how many of kind for key (any case) were
 * recorded since then, into *n_r; and recording one at `at` (entries a
 * day older are pruned).  0 or -1. */
int store_rate_count(struct store *s, const char *kind, const char *key,
			long long since, int *n_r, struct mp_err *err);
int store_rate_mark(struct store *s, const char *kind, const char *key,
			long long at, struct mp_err *err);

/* Whether one of ids (n of them, without <>) is the Message-ID of a mail
 * we queued on ticket (0: any) to the address to (any case): the sender then
 * answers mail that address received from us.  1, 0 or -1. */
int store_outbox_answered(struct store *s, long long ticket,
			  const char *const *ids, size_t n, const char *to,
			  struct mp_err *err);

/* How many automatic mails went (or are going) to `to` since then. */
int store_outbox_auto_count(struct store *s, const char *to,
			    long long since, int *n_r, struct mp_err *err);

/* Calls fn with each outbox row (raw not loaded) of a ticket, or of all
 * tickets when ticket is 0. */
int store_outbox_each(struct store *s, long long ticket,
		      int (*fn)(void *ctx, const struct store_outbox *o),
		      void *ctx, struct mp_err *err);

/* The same with raw loaded, for the rows of one ticket. */
int store_outbox_each_raw(struct store *s, long long ticket,
			  int (*fn)(void *ctx, const struct store_outbox *o),
			  void *ctx, struct mp_err *err);

struct store_contract {
	char *id;
	char *holder_name;
	char *monitoring_email;		/* may be NULL */
	char *emergency_phone;		/* may be NULL */
	char *options;			/* space separated option ids */
	char **addresses;		/* registered requester addresses */
	size_t n_addresses;
	char *holder_email;		/* the holder's (契約者), or NULL */
	char **servers;			/* host names and IP addresses */
	size_t n_servers;
};

void store_contract_release(struct store_contract *c);

/* Inserts or replaces a contract, its registered addresses and its
 * servers.  An address or server registered to another contract fails
 * with MP_PERM. */
int store_contract_put(struct store *s, const struct store_contract *c,
		       struct mp_err *err);

/* Removes contract id with its addresses and servers (its tickets keep
 * the id they were filed under).  Returns 1, 0 (no such contract) or
 * -1. */
int store_contract_remove(struct store *s, const char *id,
			  struct mp_err *err);

/* Removes every contract (for an import that replaces the registry;
 * inside the caller's transaction). */
int store_contract_clear(struct store *s, struct mp_err *err);

/* Reads contract id (addresses included).  Returns 1, 0 or -1. */
int store_contract_get(struct store *s, const char *id,
		       struct store_contract *c, struct mp_err *err);

/* Calls fn with each contract in id order. */
int store_contract_each(struct store *s,
			int (*fn)(void *ctx, const struct store_contract *c),
			void *ctx, struct mp_err *err);

/* Calls fn with each registered server (name as registered) and its
 * contract, in name order; the strings are valid during the call.  A
 * non-zero return from fn stops the walk and is returned. */
int store_server_each(struct store *s,
		      int (*fn)(void *ctx, const char *name,
				const char *contract),
		      void *ctx, struct mp_err *err);

struct store_identity {
	long long id, ticket;
	char *channel;		/* "email" or "phone" */
	char *token_hash;	/* email only */
	char *sent_to;		/* the address or number used */
	char *state;		/* pending confirmed denied expired */
	long long created, expires, remind_at, resolved_at;
	int reminded;		/* email: the one reminder went */
	long long escalate_at;	/* phone: escalate then (0: never) */
	int escalated;
	char *resolved_by, *resolved_via;
};

void store_identity_release(struct store_identity *r);

/* Records a pending confirmation (id, state, resolved_* ignored). */
int store_identity_insert(struct store *s, const struct store_identity *r,
			  struct mp_err *err);

/* The ticket's latest pending confirmation on channel ("email",
 * "phone"; NULL: either): 1 (filled), 0 or -1. */
int store_identity_pending(struct store *s, long long ticket,
			   const char *channel, struct store_identity *r,
			   struct mp_err *err);

/* The confirmation of ticket with this token hash, in any state: 1, 0 or
 * -1. */
int store_identity_by_token(struct store *s, long long ticket,
			    const char *token_hash, struct store_identity *r,
			    struct mp_err *err);

/* Closes a confirmation: state confirmed, denied or expired. */
int store_identity_resolve(struct store *s, long long id, const char *state,
			   long long at, const char *by, const char *via,
			   struct mp_err *err);

int store_identity_set_reminded(struct store *s, long long id,
				struct mp_err *err);

/* Moves the next reminder of a confirmation (phone callbacks are
 * reminded at each opening). */
int store_identity_set_remind_at(struct store *s, long long id,
				 long long at, struct mp_err *err);

/* Records that a pending callback was escalated (once). */
int store_identity_set_escalated(struct store *s, long long id,
				 struct mp_err *err);

/* Calls fn with each pending confirmation that has expired, whose
 * reminder is due, or whose escalation is due at now. */
int store_identity_due(struct store *s, long long now,
		       int (*fn)(void *ctx, const struct store_identity *r),
		       void *ctx, struct mp_err *err);

/* Records a confirmation attempt that was refused (ticket 0: none). */
int store_identity_log(struct store *s, long long at, long long ticket,
		       const char *address, const char *outcome,
		       const char *detail, struct mp_err *err);

/* Where `fetch` left off in a mailbox (named without its password):
 * 1 with both values, 0 (never fetched) or -1. */
int store_imap_get(struct store *s, const char *mailbox,
		   long long *uidvalidity_r, long long *last_uid_r,
		   struct mp_err *err);
int store_imap_set(struct store *s, const char *mailbox,
		   long long uidvalidity, long long last_uid,
		   struct mp_err *err);

/* A savepoint inside the current transaction: undo part of it. */
int store_savepoint(struct store *s, struct mp_err *err);
void store_savepoint_rollback(struct store *s);
int store_savepoint_release(struct store *s, struct mp_err *err);

/* The Message-IDs of the customer's mail on a ticket, oldest first
 * (*ids_r: new vector of new strings, caller frees each and it). */
int store_customer_message_ids(struct store *s, long long ticket,
			       char ***ids_r, size_t *n_r,
			       struct mp_err *err);

/* The same, of the mail on ticket whose From is from (any case). */
int store_message_ids_from(struct store *s, long long ticket,
			   const char *from, char ***ids_r, size_t *n_r,
			   struct mp_err *err);

/* ---- classification (store_class.c) ---- */

/* A staff class decision (`#category`, `category`): what the classifier
 * had said and what staff chose, with the customer's text it was about
 * (the ticket's first customer message) as a training example. */
struct store_decision {
	long long ticket, at;
	const char *by, *class;		/* staff address, chosen class */
	const char *was, *was_by;	/* the classifier's class and "model",
					 * "rule" or "form" */
	int was_triage;			/* the ticket was in triage */
	const char *subject, *text;	/* filled by store_decision_each() */
	int from_form;
};

/* Records d (subject and text are taken from the ticket's first customer
 * message; d's own are ignored; from_form is the caller's).  Returns 0 or -1 with err. */
int store_decision_add(struct store *s, const struct store_decision *d,
		       struct mp_err *err);

/* Calls fn for each decision at or after since (0: all), oldest first;
 * with latest only the last decision of each ticket (what staff settled
 * on).  Strings are valid during the call.  fn returning -1 stops with
 * -1. */
typedef int store_decision_fn(void *ctx, const struct store_decision *d,
			      struct mp_err *err);
int store_decision_each(struct store *s, long long since, int latest,
			store_decision_fn *fn, void *ctx, struct mp_err *err);

/* How many tickets were created at or after since, and how many of them
 * entered triage. */
int store_triage_rate(struct store *s, long long since, long long *tickets_r,
		      long long *triaged_r, struct mp_err *err);

/* One identity task of a ticket: state "held" (waiting for its
 * confirmation), "open" (confirmed: work may start), "done", "denied",
 * "rejected" (expired or refused), "dropped" (staff changed the class). */
struct store_task {
	char *task;
	char *channel;		/* "email" or "phone" */
	char *state;
};

/* Sets (inserting or replacing) the state of ticket's task. */
int store_task_set(struct store *s, long long ticket, const char *task,
		   const char *channel, const char *state, long long at,
		   struct mp_err *err);

/* The tasks of ticket in the order they were recorded, as a new array of
 * *n_r (free with store_tasks_free()).  Returns 0 or -1. */
int store_tasks_get(struct store *s, long long ticket, struct store_task **v_r,
		    size_t *n_r, struct mp_err *err);
void store_tasks_free(struct store_task *v, size_t n);

/* Sets every task of ticket in state from (NULL: any state but "done")
 * on channel (NULL: any) to state to; *n_r (if not NULL) says how many
 * changed. */
int store_tasks_move(struct store *s, long long ticket, const char *channel,
		     const char *from, const char *to, long long at, int *n_r,
		     struct mp_err *err);

/* The detail of ticket's latest history entry of event (a new string)
 * in *detail_r: 1, 0 (none) or -1. */
int store_history_last(struct store *s, long long ticket, const char *event,
		       char **detail_r, struct mp_err *err);

/* How many of ticket's tasks are in state. */
int store_tasks_count(struct store *s, long long ticket, const char *state,
		      long long *n_r, struct mp_err *err);

/* The display name in the From of ticket's first customer message when
 * that From is address (any case) and the ticket's requester: the name
 * the requester gave themselves (a new string, or NULL).  Returns 1, 0
 * (none) or -1. */
int store_requester_name(struct store *s, long long ticket,
			 const char *address, char **name_r,
			 struct mp_err *err);

/* The subject, text and Message-ID of ticket's first customer message
 * (new strings; NULL when absent).  Returns 1, 0 (none) or -1. */
int store_first_message(struct store *s, long long ticket, char **subject_r,
			char **text_r, char **message_id_r,
			struct mp_err *err);

/* ---- notices (store_notice.c) ---- */

/* A notice to contract holders: template (notice-maintenance, ...),
 * its values as "key=value" lines, state "draft" or "sent". */
struct store_notice {
	long long id, ticket;		/* ticket: the notice's own thread */
	char *template;
	char *vars;
	char *state;
	long long created, sent_at;
};

/* One recipient of a notice: an address, the contracts (space
 * separated) it stands for, their holder and language, the affected
 * servers (space separated) and, once sent, its outbox row and state. */
struct store_notice_rcpt {
	char *address;
	char *contracts;
	char *holder_name;
	char *lang;
	char *servers;
	long long outbox;		/* 0: not queued yet */
	char *outbox_state;		/* NULL when not queued */
};

void store_notice_release(struct store_notice *n);
int store_notice_insert(struct store *s, const struct store_notice *n,
			long long *id_r, struct mp_err *err);
/* Returns 1 (filled; release with store_notice_release()), 0 or -1. */
int store_notice_get(struct store *s, long long id, struct store_notice *n,
		     struct mp_err *err);
int store_notice_set_sent(struct store *s, long long id, long long at,
			  struct mp_err *err);
/* Adds a recipient (outbox and outbox_state ignored); an address given
 * twice for one notice fails with MP_PERM. */
int store_notice_rcpt_add(struct store *s, long long notice,
			  const struct store_notice_rcpt *r,
			  struct mp_err *err);
int store_notice_rcpt_set_outbox(struct store *s, long long notice,
				 const char *address, long long outbox,
				 struct mp_err *err);
/* The recipients of notice in the order added, as a new array of *n_r
 * (free with store_notice_rcpts_free()). */
int store_notice_rcpts(struct store *s, long long notice,
		       struct store_notice_rcpt **v_r, size_t *n_r,
		       struct mp_err *err);
void store_notice_rcpts_free(struct store_notice_rcpt *v, size_t n);

/* The contract that registered server name (host name or address, any
 * case): 1 with a new string in *contract_r, 0 (nobody's) or -1. */
int store_server_contract(struct store *s, const char *name,
			  char **contract_r, struct mp_err *err);

/* The newest alert ticket with fold key key (class "alert", the key in
 * its rule) that is not finished: 1 with *id_r, 0 (none) or -1. */
int store_alert_open(struct store *s, const char *key, long long *id_r,
		     struct mp_err *err);

/* The language of the contract's latest ticket: 1 with a new string in
 * *lang_r, 0 (the contract has no tickets) or -1. */
int store_contract_lang(struct store *s, const char *contract,
			char **lang_r, struct mp_err *err);

/* How many outbox mails whose template begins with template_prefix were
 * sent at or after since. */
int store_outbox_sent_since(struct store *s, const char *template_prefix,
			    long long since, long long *n_r,
			    struct mp_err *err);
/* ---- the staff's queue (store_queue.c) ---- */

/* Records at as ticket's first response, by the staff member by, when it
 * has none yet, and moves a `new` ticket to `open` (other states keep
 * theirs: triage and held wait for their own decision).  *first_r (may
 * be NULL) says whether this was the first.  Returns 0 or -1. */
#define STORE_ANSWERED_REASON "staff answered"
int store_ticket_first_response(struct store *s, long long ticket,
				long long at, const char *by, int *first_r,
				struct mp_err *err);

/* What `ticket list` asks for; NULL or 0 fields do not filter.  overdue
 * selects tickets whose first response is due at or before now and has
 * not been given, that are still being worked (not done, closed,
 * rejected or merged). */
struct store_ticket_filter {
	const char *state, *class, *contract, *requester, *owner;
	long long since;	/* created at or after */
	int overdue;
	long long now;
};

/* Whether t is overdue at now, as the filter's overdue means it. */
int store_ticket_overdue(const struct store_ticket *t, long long now);

/* Calls fn for each ticket that f selects (f NULL: all), in id order.
 * A non-zero return from fn stops the walk and is returned. */
int store_ticket_list(struct store *s, const struct store_ticket_filter *f,
		      int (*fn)(void *ctx, const struct store_ticket *t),
		      void *ctx, struct mp_err *err);

/* One message found by store_search(); strings valid during the call. */
struct store_hit {
	long long ticket, message;
	long long received;
	const char *direction, *subject, *snippet;
};

/* Full-text search of the subjects and texts of every message (FTS5,
 * trigram: any substring of three characters or more; shorter queries
 * are matched as plain substrings).  Each whitespace-separated word of
 * query must occur.  fn gets at most limit hits of messages received
 * at or after since (0: any), most recent first.  MP_PERM for an empty
 * query. */
int store_search(struct store *s, const char *query, int limit,
		 long long since,
		 int (*fn)(void *ctx, const struct store_hit *h),
		 void *ctx, struct mp_err *err);

/* Sets the owner of ticket (NULL: nobody) and records who did it. */
int store_ticket_set_owner(struct store *s, long long ticket,
			   const char *owner, long long at, const char *by,
			   struct mp_err *err);

/* Marks ticket escalated at at unless it already was: 1 (ours to send
 * the escalation), 0 (already escalated) or -1. */
int store_ticket_claim_escalation(struct store *s, long long ticket,
				  long long at, struct mp_err *err);

/* Clears a ticket's first response and escalation and sets a new due
 * time (a reopened ticket is answered afresh). */
int store_ticket_restart_clock(struct store *s, long long ticket,
			       long long due, struct mp_err *err);

/* Claims the digest of the opening that starts at opening: 1 (no one
 * sent it yet; now recorded as sent at now, inside the caller's
 * transaction), 0 (already sent) or -1. */
int store_digest_claim(struct store *s, long long opening, long long now,
		       struct mp_err *err);

/* The opening of the last digest sent, or 0 when none. */
int store_digest_last(struct store *s, long long *opening_r,
		      long long *sent_at_r, struct mp_err *err);

/* Moves the messages of ticket from into ticket into, copies from's
 * history into into's (each row's detail prefixed with "#<from>: "),
 * and marks from merged (state closed, merged_into set). */
int store_ticket_merge(struct store *s, long long from, long long into,
		       long long at, const char *by, struct mp_err *err);

/* Calls fn with each pending phone callback: its ticket and when it was
 * asked for, oldest first.  An alert's callback is pending while its
 * ticket is open and until staff act on it. */
int store_callbacks_pending(struct store *s,
			    int (*fn)(void *ctx, long long ticket,
				      long long created),
			    void *ctx, struct mp_err *err);

/* Calls fn with each outbox row (raw not loaded) in state failed or
 * suppressed created at or after since, oldest first. */
int store_outbox_trouble(struct store *s, long long since,
			 int (*fn)(void *ctx, const struct store_outbox *o),
			 void *ctx, struct mp_err *err);

/* When ticket was last closed (its latest "closed" state change), or 0
 * in *at_r when it never was. */
int store_ticket_closed_at(struct store *s, long long ticket,
			   long long *at_r, struct mp_err *err);

#endif
