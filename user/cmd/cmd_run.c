// SPDX-License-Identifier: GPL-2.0
/*
 * `tcptriage run`: the always-on probe. JSON Lines to stdout or a file,
 * stats every interval, findings as they fire and clear over a sliding
 * window; optionally a metrics endpoint and findings to syslog.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "commands.h"
#include "finding.h"
#include "http.h"
#include "loop.h"
#include "metrics.h"
#include "output.h"
#include "procfs.h"
#include "session.h"
#include "syslog_sink.h"
#include "watch_opts.h"

#define MAX_METRIC_FINDINGS 32 /* at least the number of rules */

static const char run_usage[] =
	"Usage: tcptriage run [--output FILE] [--interval S] [--window S] [--metrics ADDR:PORT]\n"
	"                     [--syslog] [--attach MODE] [--btf FILE] [--horizon S] [-v]\n"
	"\n"
	"The always-on probe: JSON Lines (contract v1) with a stats line every\n"
	"interval (counters and the agent's own health) and findings when they fire\n"
	"and when they clear, until SIGINT or SIGTERM (then an end line).\n"
	"\n"
	"  -o, --output FILE  append to FILE instead of stdout; SIGHUP reopens it\n"
	"                     (for logrotate)\n"
	"  -i, --interval S   seconds between stats lines, 1-3600 (default 10)\n"
	"  -w, --window S     findings look back S seconds and clear once their\n"
	"                     evidence leaves the window, interval-3600 (default 60,\n"
	"                     or the interval if longer)\n"
	"  -m, --metrics ADDR:PORT\n"
	"                     serve Prometheus / OpenMetrics text on\n"
	"                     http://ADDR:PORT/metrics (ADDR numeric: 127.0.0.1,\n"
	"                     0.0.0.0, [::1], [::])\n"
	"      --syslog       also log findings (firing, cleared) to syslog, LOG_DAEMON\n"
	WATCH_USAGE
	"  -h, --help         this help\n";

struct run_args {
	uint64_t interval;
	uint64_t window;
	const char *output;  /* NULL: stdout */
	const char *metrics; /* ADDR:PORT as given, NULL: no endpoint */
	struct http_addr metrics_addr;
	bool syslog;
	struct session_opts sopts;
};

/* Everything the command owns while it runs. */
struct run {
	struct run_args args;
	FILE *out;
	struct http_server *srv;
	struct session *s;
};

static int parse_option(int c, const char *arg, struct run_args *a)
{
	switch (c) {
	case 'o':
		a->output = arg;
		return 0;
	case 'w':
		return cli_parse_u64("--window", arg, 1, 3600, &a->window) ? EXIT_USAGE : 0;
	case 'm':
		a->metrics = arg;
		if (http_addr_parse(arg, &a->metrics_addr))
			return cli_fail(EXIT_USAGE, "--metrics needs ADDR:PORT with a numeric address "
					"(127.0.0.1:9100, [::1]:9100), got '%s'", arg);
		return 0;
	case 'S':
		a->syslog = true;
		return 0;
	default:
		return watch_opt_parse(c, arg, &a->interval, &a->sopts);
	}
}

/* 0, -1 after --help, or an exit code. */
static int parse_args(int argc, char **argv, struct run_args *a)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "window", required_argument, NULL, 'w' },
		{ "metrics", required_argument, NULL, 'm' },
		{ "syslog", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		WATCH_LONGOPTS,
		{}
	};
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:w:m:h" WATCH_SHORTOPTS, longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(run_usage, stdout);
			return -1;
		}
		ret = parse_option(c, optarg, a);
		if (ret < 0)
			return cli_option_error(argv, c);
		if (ret)
			return ret;
	}
	if (optind < argc)
		return cli_fail(EXIT_USAGE, "run: unexpected argument '%s'", argv[optind]);
	if (!a->window) /* the default, but never shorter than one interval */
		a->window = a->interval > 60 ? a->interval : 60;
	if (a->window < a->interval)
		return cli_fail(EXIT_USAGE, "--window (%llu s) must be at least --interval (%llu s)",
				(unsigned long long)a->window, (unsigned long long)a->interval);
	return 0;
}

static int open_append(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

/*
 * After logrotate moved the file away, write to a new one at the same path.
 * The new descriptor replaces the old under the same FILE, which the session
 * keeps writing through; lines are written whole, so none is split.
 */
static void reopen_output(struct run *r)
{
	int fd = open_append(r->args.output);
	int err = fd < 0 ? errno : 0;

	fflush(r->out);
	if (fd >= 0 && dup3(fd, fileno(r->out), O_CLOEXEC) < 0)
		err = errno;
	if (fd >= 0)
		close(fd);
	if (err)
		cli_warn("cannot reopen %s (%s): still writing to the old file", r->args.output,
			 strerror(err));
}

struct findings_acc {
	struct metrics_finding items[MAX_METRIC_FINDINGS];
	size_t n;
};

static void collect_finding(void *ctx, const struct finding *f, bool active)
{
	struct findings_acc *acc = ctx;

	if (acc->n < MAX_METRIC_FINDINGS)
		acc->items[acc->n++] = (struct metrics_finding){ f->cause, severity_name(f->severity),
								 active, !f->caused_by[0] };
}

static void read_tcp_memory(struct metrics_input *in)
{
	struct sockstat ss;

	in->tcp_mem_pages = sockstat_read("/proc/net/sockstat", &ss) ? -1 : ss.tcp_mem_pages;
	if (sysctl_read_longs("/proc/sys/net/ipv4/tcp_mem", in->tcp_mem, 3) != 3)
		memset(in->tcp_mem, 0, sizeof(in->tcp_mem));
}

/* GET /metrics: counters as of the last tick, so they match the JSON stats lines. */
static int render_metrics(void *ctx, const char *accept, FILE *body, const char **content_type)
{
	struct run *r = ctx;
	struct findings_acc acc = { .n = 0 };
	struct agent_health h;
	struct metrics_input in = {
		.totals = session_totals(r->s),
		.names = session_names(r->s),
		.health = &h,
		.findings = acc.items,
	};
	enum metrics_format fmt = metrics_negotiate(accept);

	session_health(r->s, &h);
	session_each_finding(r->s, collect_finding, &acc);
	in.n_findings = acc.n;
	read_tcp_memory(&in);
	*content_type = metrics_content_type(fmt);
	return metrics_render(body, &in, fmt);
}

/* Output file, metrics endpoint, syslog: 0 or an exit code after one line. */
static int open_sinks(struct run *r)
{
	struct http_opts hopts = { .path = "/metrics", .render = render_metrics, .ctx = r };
	int fd, err;

	if (r->args.output) {
		fd = open_append(r->args.output);
		r->out = fd < 0 ? NULL : fdopen(fd, "a");
		if (!r->out) {
			if (fd >= 0)
				close(fd);
			return cli_fail(EXIT_ENV, "cannot open %s for appending: %s", r->args.output,
					strerror(errno));
		}
		r->args.sopts.out = r->out;
	}
	if (r->args.metrics) {
		err = http_server_new(&r->args.metrics_addr, &hopts, &r->srv);
		if (err)
			return cli_fail(EXIT_ENV, "cannot serve metrics on %s: %s", r->args.metrics,
					strerror(-err));
	}
	if (r->args.syslog) {
		syslog_sink_open();
		r->args.sopts.on_change = syslog_sink_finding;
	}
	return 0;
}

static void close_sinks(struct run *r)
{
	http_server_free(r->srv);
	if (r->args.syslog)
		syslog_sink_close();
	if (r->out)
		fclose(r->out);
}

static int serve_scrape(void *ctx, short revents)
{
	struct run *r = ctx;

	(void)revents;
	http_server_serve(r->srv);
	return 0;
}

/* SIGHUP: reopen the output file (stdout belongs to whoever started us). */
static int after_wake(void *ctx)
{
	struct run *r = ctx;

	if (cli_reopen) {
		cli_reopen = 0;
		if (r->args.output)
			reopen_output(r);
	}
	return 0;
}

/* Until SIGINT/SIGTERM: ring buffer records, scrapes, reopen requests, ticks. */
static int run_loop(struct run *r)
{
	struct loop l = { .s = r->s, .interval_s = r->args.interval,
			  .after_wake = after_wake, .ctx = r };

	if (r->srv)
		l.fds[l.n_fds++] = (struct loop_fd){ http_server_fd(r->srv), serve_scrape };
	return loop_run(&l);
}

int cmd_run(int argc, char **argv)
{
	struct run r = {
		.args = {
			.interval = 10,
			.sopts = { .command = "run", .json = true, .prefer = ATTACH_BTF, .out = stdout },
		},
	};
	int ret;

	ret = parse_args(argc, argv, &r.args);
	if (ret)
		return ret < 0 ? 0 : ret;
	if ((ret = cli_require_bpf_privileges()))
		return ret;
	r.args.sopts.window_s = r.args.window;
	cli_install_signals();
	cli_install_reopen();
	ret = open_sinks(&r);
	if (!ret)
		ret = watch_open(&r.args.sopts, &r.s);
	if (!ret) {
		ret = run_loop(&r);
		loop_finish(r.s);
		session_close(r.s);
	}
	close_sinks(&r);
	return ret;
}
