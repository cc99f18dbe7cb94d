// SPDX-License-Identifier: GPL-2.0
/*
 * `tcptriage top` (and `tcptriage` alone on a terminal): the live view. Each
 * interval: host TCP memory against tcp_mem, the findings over the window,
 * and the socket owners behind retransmits, drops, resets and memory limit
 * hits, sorted and filtered with keys (user/top_view.c). Without a terminal
 * the same is printed as a plain text block each interval.
 */
#include <curses.h>
#include <getopt.h>
#include <locale.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "cli.h"
#include "commands.h"
#include "container.h"
#include "json.h"
#include "loop.h"
#include "procfs.h"
#include "nsstate.h"
#include "session.h"
#include "top_view.h"
#include "watch_opts.h"

#define MAX_FINDINGS 32   /* at least the number of rules */
#define LINE_MAX_BYTES 2048
#define PLAIN_WIDTH 132   /* plain text is for logs: the container column gets room */
#define PLAIN_ROWS 20

static const char top_usage[] =
	"Usage: tcptriage top [--interval S] [--window S] [--duration S] [--plain]\n"
	"                     [--attach MODE] [--btf FILE] [--horizon S] [-v]\n"
	"\n"
	"A live view refreshed like top(1): host TCP memory against tcp_mem, the\n"
	"findings, and the processes and containers behind retransmits, drops,\n"
	"resets and socket memory limit hits over the last S seconds.\n"
	"When stdin or stdout is not a terminal, or with --plain, the same is printed\n"
	"as a block of plain text every interval.\n"
	"\n"
	"  -i, --interval S   seconds between refreshes, 1-3600 (default 1)\n"
	"  -w, --window S     rows and findings cover the last S seconds, 1-3600\n"
	"                     (default 30)\n"
	"  -d, --duration S   quit after S seconds, 1-86400 (default: at q or Ctrl-C)\n"
	"      --plain        plain text even on a terminal\n"
	WATCH_USAGE
	"  -h, --help         this help\n"
	"\n"
	"Keys: q quits. r d x X m b sort by retransmits, drops, resets sent, resets\n"
	"received, memory limit hits, receive queue full; < > move the sort column.\n"
	"p c n / filter by pid, container (id, runtime, unit, pod or cgroup path),\n"
	"netns (inode or name) or any text: Enter applies, an empty answer clears,\n"
	"Esc cancels the prompt or clears the filter.\n";

struct top_args {
	uint64_t interval;
	uint64_t window;
	uint64_t duration; /* 0: until q or a signal */
	bool plain;
	struct session_opts sopts;
};

/* Everything the view owns while it runs. */
struct top {
	struct top_args a;
	struct session *s;
	struct top_state st;
	struct top_table table;
	const struct top_row **sel; /* rows shown: filtered, sorted */
	size_t n_sel;
	struct top_host host;
	struct finding findings[MAX_FINDINGS];
	bool active[MAX_FINDINGS];
	size_t n_findings;
	struct cgroup_cache *cg;
	char hostname[80];
	bool dirty; /* the screen needs drawing */
	bool interactive; /* a terminal: curses and keys; else plain text each tick */
};

/* ---------------------------------------------------------------- model */

static void read_host(struct top_host *h)
{
	struct sockstat ss;

	memset(h, 0, sizeof(*h));
	h->mem_pages = -1;
	h->page_size = sysconf(_SC_PAGESIZE);
	if (sysctl_read_longs("/proc/sys/net/ipv4/tcp_mem", h->tcp_mem, 3) != 3)
		memset(h->tcp_mem, 0, sizeof(h->tcp_mem));
	if (sockstat_read("/proc/net/sockstat", &ss))
		return;
	h->mem_pages = ss.tcp_mem_pages;
	h->inuse = ss.tcp_inuse;
	h->orphans = ss.tcp_orphan;
	h->tw = ss.tcp_tw;
	h->alloc = ss.tcp_alloc;
}

static void keep_finding(void *ctx, const struct finding *f, bool active)
{
	struct top *t = ctx;

	if (t->n_findings == MAX_FINDINGS)
		return;
	t->active[t->n_findings] = active;
	t->findings[t->n_findings++] = *f;
}

/* Who each row is: process name, cgroup path and container, netns name. */
static void attribute_rows(struct top *t)
{
	const struct ns_table *nst = session_namespaces(t->s); /* read this tick already */
	const struct ns_state *ne;

	for (size_t i = 0; i < t->table.n; i++) {
		struct top_row *r = &t->table.rows[i];

		if (r->pid)
			session_comm(t->s, r->pid, r->comm);
		if (!cgroup_cache_path(t->cg, r->cgroup, r->cgroup_path, sizeof(r->cgroup_path)))
			container_parse(r->cgroup_path, &r->ci);
		ne = ns_table_find(nst, r->netns);
		if (ne)
			snprintf(r->netns_name, sizeof(r->netns_name), "%s", ne->name);
	}
}

static void select_rows(struct top *t)
{
	t->n_sel = t->sel ? top_table_select(&t->table, &t->st.filter, t->st.sort, t->sel,
					      t->table.n) : 0;
}

static void refresh_model(struct top *t)
{
	read_host(&t->host);
	t->n_findings = 0;
	session_each_finding(t->s, keep_finding, t);
	top_table_free(&t->table);
	free(t->sel);
	t->sel = NULL;
	if (!top_table_build(&t->table, session_window(t->s))) {
		/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of row pointers */
		t->sel = calloc(t->table.n ? t->table.n : 1, sizeof(*t->sel));
		attribute_rows(t);
	}
	select_rows(t);
}

/* The hostname last: a long one (a guest's, a cloud's FQDN) is what 80 columns cut, not the counts. */
static void title_line(const struct top *t, char *buf, size_t len, int width)
{
	snprintf(buf, len, "tcptriage top - %zu of %zu owners - sort: %s - window %llu s - %.0f s - %s",
		 t->n_sel, t->table.n, top_cols[t->st.sort].name, (unsigned long long)t->a.window,
		 session_elapsed(t->s), t->hostname);
	if (width >= 0 && (size_t)width < len)
		buf[width] = 0;
}

/* "Kernel: unavailable: ...; not visible: ..." when this kernel hides something, else 0. */
static size_t kernel_line(const struct top *t, char *buf, size_t len, int width)
{
	char gaps[LINE_MAX_BYTES - 16];

	if (!session_gaps(t->s, gaps, sizeof(gaps)))
		return 0;
	snprintf(buf, len, "Kernel: %s", gaps);
	if (width >= 0 && (size_t)width < len)
		buf[width] = 0;
	return 1;
}

static void findings_title(const struct top *t, char *buf, size_t len)
{
	size_t firing = 0;

	for (size_t i = 0; i < t->n_findings; i++)
		firing += t->active[i];
	if (!t->n_findings)
		snprintf(buf, len, "Findings: none");
	else
		snprintf(buf, len, "Findings: %zu firing, %zu cleared", firing, t->n_findings - firing);
}

static void empty_table_line(const struct top *t, char *buf, size_t len)
{
	if (t->table.n)
		snprintf(buf, len, "  (no row matches the filter)");
	else
		snprintf(buf, len, "  (no retransmits, drops, resets or memory limit hits in the window)");
}

/* --------------------------------------------------------------- plain */

static void plain_print(struct top *t)
{
	char line[LINE_MAX_BYTES];

	title_line(t, line, sizeof(line), PLAIN_WIDTH);
	printf("%s\n", line);
	top_format_memory(line, sizeof(line), PLAIN_WIDTH, &t->host);
	printf("%s\n", line);
	top_format_sockets(line, sizeof(line), PLAIN_WIDTH, &t->host);
	printf("%s\n", line);
	if (kernel_line(t, line, sizeof(line), PLAIN_WIDTH))
		printf("%s\n", line);
	findings_title(t, line, sizeof(line));
	printf("%s\n", line);
	for (size_t i = 0; i < t->n_findings; i++) {
		top_format_finding(line, sizeof(line), PLAIN_WIDTH, &t->findings[i], t->active[i]);
		printf("  %s\n", line);
	}
	top_format_table_header(line, sizeof(line), PLAIN_WIDTH, t->st.sort);
	printf("%s\n", line);
	for (size_t i = 0; i < t->n_sel && i < PLAIN_ROWS; i++) {
		top_format_row(line, sizeof(line), PLAIN_WIDTH, t->sel[i]);
		printf("%s\n", line);
	}
	if (t->n_sel > PLAIN_ROWS)
		printf("  ... %zu more\n", t->n_sel - PLAIN_ROWS);
	if (!t->n_sel) {
		empty_table_line(t, line, sizeof(line));
		printf("%s\n", line);
	}
	printf("\n");
	fflush(stdout);
}

/* -------------------------------------------------------------- screen */

static int screen_open(SCREEN **scr)
{
	const char *term = getenv("TERM");

	setlocale(LC_CTYPE, "");
	*scr = newterm(NULL, stdout, stdin);
	if (!*scr)
		return cli_fail(EXIT_ENV, "cannot drive this terminal (TERM=%s): try --plain",
				term ? term : "");
	set_escdelay(25); /* Esc is a key here, not the start of a sequence */
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	return 0;
}

static void screen_close(SCREEN *scr)
{
	endwin();
	delscreen(scr);
}

static void put(int y, int width, const char *text, int attr)
{
	attron(attr);
	mvaddnstr(y, 0, text, width);
	if (attr) /* a bar across the whole width */
		for (int x = getcurx(stdscr); x < width && x > 0; x++)
			addch(' ');
	attroff(attr);
}

/* Findings get at most a fifth of the screen; the table the rest. */
static int draw_findings(const struct top *t, int y, int h, int w)
{
	char line[LINE_MAX_BYTES];
	size_t max = h >= 20 ? (size_t)h / 5 : 1;
	size_t shown = t->n_findings <= max ? t->n_findings : max - 1;

	findings_title(t, line, sizeof(line));
	put(y++, w, line, A_BOLD);
	for (size_t i = 0; i < shown && y < h - 3; i++) {
		top_format_finding(line, sizeof(line), w, &t->findings[i], t->active[i]);
		put(y++, w, line, t->active[i] && t->findings[i].severity == SEV_CRITICAL ? A_BOLD : 0);
	}
	if (shown < t->n_findings) {
		snprintf(line, sizeof(line), "  ... %zu more", t->n_findings - shown);
		put(y++, w, line, 0);
	}
	return y;
}

static void draw_table(const struct top *t, int y, int h, int w)
{
	char line[LINE_MAX_BYTES];

	top_format_table_header(line, sizeof(line), w, t->st.sort);
	put(y++, w, line, A_REVERSE);
	for (size_t i = 0; i < t->n_sel && y < h - 1; i++) {
		top_format_row(line, sizeof(line), w, t->sel[i]);
		put(y++, w, line, 0);
	}
	if (!t->n_sel && y < h - 1) {
		empty_table_line(t, line, sizeof(line));
		put(y, w, line, 0);
	}
}

static void screen_draw(struct top *t)
{
	char line[LINE_MAX_BYTES];
	int h, w, y = 0;

	getmaxyx(stdscr, h, w);
	erase();
	title_line(t, line, sizeof(line), w);
	put(y++, w, line, A_BOLD);
	top_format_memory(line, sizeof(line), w, &t->host);
	put(y++, w, line, 0);
	top_format_sockets(line, sizeof(line), w, &t->host);
	put(y++, w, line, 0);
	if (kernel_line(t, line, sizeof(line), w))
		put(y++, w, line, 0);
	y = draw_findings(t, y, h, w);
	draw_table(t, y + 1, h, w);
	top_format_status(line, sizeof(line), w, &t->st);
	put(h - 1, w, line, t->st.prompt != TOP_FILTER_NONE ? A_REVERSE : 0);
	refresh();
}

/* Curses key codes into the ASCII top_state_key() speaks. */
static int key_ascii(int ch)
{
	switch (ch) {
	case KEY_BACKSPACE:
	case KEY_DC:
		return TOP_KEY_BACKSPACE;
	case KEY_ENTER:
		return '\n';
	case KEY_LEFT:
		return '<';
	case KEY_RIGHT:
		return '>';
	}
	return ch;
}

static void read_keys(struct top *t)
{
	bool changed = false;
	int ch;

	while ((ch = getch()) != ERR) {
		if (ch == KEY_RESIZE) /* curses resized stdscr itself on SIGWINCH */
			t->dirty = true;
		else if (top_state_key(&t->st, key_ascii(ch)))
			changed = true;
	}
	if (changed) {
		select_rows(t); /* the sort or filter may be another */
		t->dirty = true;
	}
}

/* ---------------------------------------------------------------- loop */

static int on_keys(void *ctx, short revents)
{
	struct top *t = ctx;

	if (revents & (POLLHUP | POLLERR))
		t->st.quit = true; /* the terminal went away */
	else
		read_keys(t);
	return 0;
}

static int after_tick(void *ctx)
{
	struct top *t = ctx;

	refresh_model(t);
	t->dirty = true;
	if (!t->interactive)
		plain_print(t);
	return 0;
}

/* Redraw what changed (a tick, a key, a resize); q ends the loop. */
static int after_wake(void *ctx)
{
	struct top *t = ctx;

	if (t->st.quit)
		return LOOP_STOP;
	if (t->interactive && t->dirty) {
		screen_draw(t);
		t->dirty = false;
	}
	return 0;
}

static int run_loop(struct top *t)
{
	struct loop l = { .s = t->s, .interval_s = t->a.interval, .duration_s = t->a.duration,
			  .after_tick = after_tick, .after_wake = after_wake, .ctx = t };

	if (t->interactive)
		l.fds[l.n_fds++] = (struct loop_fd){ STDIN_FILENO, on_keys };
	t->dirty = true;
	return loop_run(&l);
}

/* ---------------------------------------------------------------- command */

static int parse_option(int c, const char *arg, struct top_args *a)
{
	switch (c) {
	case 'w':
		return cli_parse_u64("--window", arg, 1, 3600, &a->window) ? EXIT_USAGE : 0;
	case 'd':
		return cli_parse_u64("--duration", arg, 1, 86400, &a->duration) ? EXIT_USAGE : 0;
	case 'P':
		a->plain = true;
		return 0;
	}
	return watch_opt_parse(c, arg, &a->interval, &a->sopts);
}

static int parse_args(int argc, char **argv, struct top_args *a)
{
	static const struct option longopts[] = {
		{ "window", required_argument, NULL, 'w' },
		{ "duration", required_argument, NULL, 'd' },
		{ "plain", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		WATCH_LONGOPTS,
		{}
	};
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":w:d:h" WATCH_SHORTOPTS, longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(top_usage, stdout);
			return -1;
		}
		ret = c == ':' || c == '?' ? -1 : parse_option(c, optarg, a);
		if (ret < 0)
			return cli_option_error(argv, c);
		if (ret)
			return ret;
	}
	if (optind < argc)
		return cli_fail(EXIT_USAGE, "top: unexpected argument '%s'", argv[optind]);
	return 0;
}

static void host_name(char *buf, size_t len)
{
	struct utsname u;

	uname(&u);
	text_sanitize(buf, len, u.nodename, strlen(u.nodename));
}

/* The view, from an open session until q, a signal or --duration. */
static int top_run(struct top *t)
{
	SCREEN *scr = NULL;
	int ret;

	t->cg = cgroup_cache_new(NULL);
	if (!t->cg)
		return cli_fail(EXIT_ENV, "out of memory");
	host_name(t->hostname, sizeof(t->hostname));
	refresh_model(t);
	if (t->interactive && (ret = screen_open(&scr)))
		return ret;
	if (!t->interactive)
		plain_print(t);
	ret = run_loop(t);
	if (t->interactive)
		screen_close(scr);
	return ret;
}

int cmd_top(int argc, char **argv)
{
	struct top *t = calloc(1, sizeof(*t));
	int ret;

	if (!t)
		return cli_fail(EXIT_ENV, "out of memory");
	t->a = (struct top_args){
		.interval = 1,
		.window = 30,
		.sopts = { .command = "top", .prefer = ATTACH_BTF, .out = NULL },
	};
	ret = parse_args(argc, argv, &t->a);
	if (ret || (ret = cli_require_bpf_privileges()))
		goto out;
	t->interactive = !t->a.plain && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	t->a.sopts.window_s = t->a.window;
	t->a.sopts.duration_s = t->a.duration;
	cli_install_signals();
	ret = watch_open(&t->a.sopts, &t->s);
	if (ret)
		goto out;
	ret = top_run(t);
	session_close(t->s);
out:
	top_table_free(&t->table);
	free(t->sel);
	cgroup_cache_free(t->cg);
	free(t);
	return ret < 0 ? 0 : ret;
}
