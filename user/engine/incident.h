/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One incident, not a list of symptoms: after the rules, link each symptom
 * finding to the root cause that explains it, through evidence (refused
 * memory, drops by reason, the namespaces' own counters), and list as the
 * root's victims the processes whose connections the symptom hurt.  No BPF,
 * no I/O: the inputs are the rules' findings and their diag_input.
 */
#ifndef __TT_INCIDENT_H
#define __TT_INCIDENT_H

#include <stdbool.h>
#include <stddef.h>

struct diag_input;
struct finding;

/* Set f's id from its cause and episode number (1 for the first time it fires). */
void incident_set_id(struct finding *f, unsigned int episode);

/*
 * Link the findings that fired (fired[i]) this evaluation: symptoms get
 * caused_by/because, and their summary and advice defer to the root; roots
 * get consequences and victims.  Returns how many links were made.
 */
size_t incidents_link(const struct diag_input *in, struct finding *f, const bool *fired, size_t n);

/*
 * A root keeps the consequences and victims of its whole episode: a symptom
 * that stopped firing before its root still names it as caused_by, so the
 * root still lists it.  Adds earlier's links that f lacks.
 */
void incident_keep_links(struct finding *f, const struct finding *earlier);

#endif /* __TT_INCIDENT_H */
