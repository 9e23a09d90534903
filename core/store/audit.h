#ifndef LEVY_STORE_AUDIT_H
#define LEVY_STORE_AUDIT_H
/* The audit log's rows written by the host's own routes (issue 20; core migration 0007,
 * table audit_log). Plugins write theirs through levy.audit (core/lua/runtime/audit.lua),
 * which writes the same columns. Call it inside the transaction that makes the change. */
#include "levy.h"
#include "store/store.h"
#include "store/writer.h"

/** The message of the 503 "unavailable" answered when a change's audit row is refused (the
 * change is rolled back with it); levy.audit.record raises the same. */
#define LEVY_AUDIT_REFUSED "the change was not saved: its audit log row could not be written"

/** The person of a row (core migration 0009; GET /v1/audit?person=): the named token's name
 * read from the actor label levy_auth_who_actor made — actor_kind "named_token" with
 * "<name>'s token", or "ui_session" with "UI session of <name> <8 hex>" — into out; 1 when
 * there is one, else 0 and out "" (the shared API token, its sessions, cli, system).
 * cap: LEVY_AUDIT_PERSON_MAX. */
#define LEVY_AUDIT_PERSON_MAX 112
int levy_audit_person(const char *actor_kind, const char *actor, char *out, size_t cap);

/** Appends one row (its person from levy_audit_person), stamped now (UTC). changes_json: a JSON object {"field":{"before","after"}}
 * (never a secret); object_id, label and request_id may be NULL.
 * @return LEVY_OK or the store's error. */
int levy_audit_insert(levy_store *st, const char *actor_kind, const char *actor, const char *action,
                      const char *object_kind, const char *object_id, const char *label,
                      const char *changes_json, const char *request_id, levy_err *err);

/** The row levy_audit_insert appends (stamped now), as a unit for the store's writer thread
 * (writer.h): a row that is a change of its own, not part of a transaction of the caller's,
 * is written off the loop and is durable when the unit's done runs (issue 21: the audit row
 * of a reload, whose COMMIT's fdatasync stalled the event loop; bench/README.md h-reload23).
 * NULL when out of memory. */
levy_wunit *levy_audit_unit(const char *actor_kind, const char *actor, const char *action,
                            const char *object_kind, const char *object_id, const char *label,
                            const char *changes_json, const char *request_id);

#endif
