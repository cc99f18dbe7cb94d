/* SPDX-License-Identifier: GPL-2.0 */
/* Classify kernel log lines that announce TCP resource exhaustion. */
#ifndef __TT_CONSOLE_H
#define __TT_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum console_verdict {
	CV_NONE = 0,
	CV_TCP_OOM,		/* "TCP: out of memory -- consider tuning tcp_mem" */
	CV_TCP_ORPHANS,		/* "TCP: too many orphaned sockets" */
	CV_CONNTRACK_FULL,	/* "nf_conntrack: table full in netns N, ..." */
	CV_SYN_FLOOD,		/* "TCP: ...: Possible SYN flooding on port ..." */
	CV_TW_OVERFLOW,		/* "TCP: time wait bucket table overflow" (old kernels) */
	CV_COUNT,
};

struct console_match {
	enum console_verdict verdict;
	uint32_t netns;		/* "in netns N" inode; 0 = initial netns or unknown */
	uint16_t port;		/* SYN flooding: listening port; 0 if unparsable */
	bool syn_cookies;	/* SYN flooding: cookies sent, not requests dropped */
};

/*
 * line need not be NUL-terminated and may end in '\n'. It may start with
 * a "<6>" level, "[ 123.456] " timestamp/caller brackets or a /dev/kmsg
 * "6,123,456,-;" header. The message must begin with the kernel's own
 * subsystem tag ("TCP: ", "nf_conntrack: "), so text quoted inside other
 * messages does not match. m may be NULL; it is always fully written.
 */
enum console_verdict console_classify(const char *line, size_t len,
				      struct console_match *m);

/* Stable snake_case id ("tcp_out_of_memory"); "none" / "unknown" otherwise. */
const char *console_verdict_name(enum console_verdict v);

/* Cause id of the contract (README.md "Findings"), or NULL for CV_NONE/unknown. */
const char *console_verdict_cause(enum console_verdict v);

/*
 * For a BPF pre-filter on printk:console. Every line console_classify()
 * accepts contains one of console_needles[] and (as the tracepoint gives
 * it, without timestamp) starts with one of console_prefixes[].
 * Both are NULL-terminated.
 */
extern const char *const console_needles[];
extern const char *const console_prefixes[];

#endif /* __TT_CONSOLE_H */
