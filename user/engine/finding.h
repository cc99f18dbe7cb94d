/* SPDX-License-Identifier: GPL-2.0 */
/* A diagnosed root cause: what the rules produce and every output prints. */
#ifndef __TT_FINDING_H
#define __TT_FINDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FINDING_MAX_EVIDENCE 24
#define FINDING_MAX_CULPRITS 8
#define FINDING_MAX_ADVICE 6
#define FINDING_MAX_LINKS 8
#define FINDING_ID_LEN 48

enum severity { SEV_INFO, SEV_WARNING, SEV_CRITICAL };

enum evidence_kind { EV_INT, EV_REAL, EV_TEXT, EV_INTS };

#define EVIDENCE_MAX_INTS 3

struct evidence {
	const char *name;
	enum evidence_kind kind;
	int64_t value;
	double real;
	int64_t values[EVIDENCE_MAX_INTS]; /* EV_INTS: a sysctl of several numbers, in order */
	int n_values;
	char text[128];
};

struct culprit {
	uint32_t pid;      /* 0 when unknown */
	char comm[16];
	uint64_t cgroup;   /* cgroup v2 id, 0 when unknown */
	uint32_t netns;
	char laddr[64];    /* "" when not about one socket */
	char raddr[64];
	uint64_t count;    /* what unit names, charged to this culprit */
	const char *unit;  /* what count counts: "sockets", "segments", "resets", ... (NULL: "events") */
	uint64_t bytes;
	const char *why;
};

struct advice {
	const char *action;
	const char *sysctl;   /* NULL for application fixes */
	char current[64];
	char suggested[64];
	const char *why;
};

struct finding {
	const char *cause;    /* stable id: README.md, "Findings" (the contract) */
	char id[FINDING_ID_LEN]; /* "<cause>-<episode>": the same on every line of one episode */
	/* A symptom: the id of the root cause it follows from, and the evidence that links them. */
	char caused_by[FINDING_ID_LEN];
	char because[200];
	/* A root cause: the ids of its symptoms, and whose connections failed because of it. */
	char consequences[FINDING_MAX_LINKS][FINDING_ID_LEN];
	int n_consequences;
	struct culprit victims[FINDING_MAX_CULPRITS]; /* why: the impact */
	int n_victims;
	enum severity severity;
	char summary[384];
	struct evidence evidence[FINDING_MAX_EVIDENCE];
	int n_evidence;
	struct culprit culprits[FINDING_MAX_CULPRITS];
	int n_culprits;
	struct advice advice[FINDING_MAX_ADVICE];
	int n_advice;
	uint32_t holders_netns; /* not reported: where its holders are looked for (0: anywhere) */
};

const char *severity_name(enum severity s);
void finding_num(struct finding *f, const char *name, int64_t value);
/* A measured quantity (rate, ratio, seconds): a JSON number with a fraction. */
void finding_real(struct finding *f, const char *name, double value);
/* The number evidence `name` of f; false when f has none. */
bool finding_get_num(const struct finding *f, const char *name, int64_t *value);
/* The namespace a finding is about (evidence.netns); 0 when host-wide. */
uint32_t finding_netns(const struct finding *f);
/* Several numbers of one sysctl (tcp_mem, ip_local_port_range): a JSON array of numbers. */
void finding_nums(struct finding *f, const char *name, const long *values, int n);
/* An evidence value as text (a number in its own format), in buf; returns buf. */
const char *evidence_value(const struct evidence *e, char *buf, size_t len);
void finding_text(struct finding *f, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * Evidence this kernel cannot give (e.g. "drop_reasons (Linux 5.17+)"): one
 * "not_visible" text listing them all, so a missing signal never reads as 0.
 */
void finding_unseen(struct finding *f, const char *what);
struct culprit *finding_culprit(struct finding *f);
/* Add extra's evidence after f's and its culprits before f's (they came from a closer look). */
void finding_merge(struct finding *f, const struct finding *extra);
struct advice *finding_advice(struct finding *f, const char *action, const char *sysctl,
			      const char *why);

/* Told of each finding in turn (active: still firing now). */
typedef void (*finding_fn)(void *ctx, const struct finding *f, bool active);

#endif /* __TT_FINDING_H */
