// The agent's losses, per map, in every output: the stats and end lines (JSON and text) and metrics.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kenum.h"
#include "metrics.h"
#include "output.h"
#include "tcptriage.h"
#include "test.h"

static struct agent_health counts_lost(void)
{
	struct agent_health h = { .records_malformed = 2 };

	h.kernel[TT_H_COUNTS_FULL] = 352;
	h.kernel[TT_H_RINGBUF_FULL] = 3;
	h.kernel[TT_H_EVENTS] = 5000;     /* work done, not a loss */
	h.kernel[TT_H_NO_SOCKET] = 7;     /* counted, only the owner unknown */
	return h;
}

/* stats, then end, as `json` or text, into a malloc'd string. */
static char *report(bool json, const struct agent_health *h)
{
	struct count_table empty = {};
	struct kernel_names kn = {};
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);
	struct out *o = f ? out_new(f, json) : NULL;

	if (o) {
		out_stats(o, 1.0, 1.0, &empty, &kn, h);
		out_end(o, 2.0, &empty, &kn, h, 0);
	}
	out_free(o);
	if (f)
		fclose(f);
	return text;
}

TEST(losses_per_map_in_stats_end_metrics_and_the_report)
{
	struct agent_health h = counts_lost();
	char *json = report(true, &h), *text = report(false, &h), *metrics = NULL;
	struct count_table empty = {};
	struct kernel_names kn = {};
	struct metrics_input in = { .totals = &empty, .names = &kn, .health = &h, .tcp_mem_pages = -1 };
	size_t len;
	FILE *f = open_memstream(&metrics, &len);

	if (f) {
		metrics_render(f, &in, METRICS_PROMETHEUS);
		fclose(f);
	}
	if (!json || !text || !metrics) { /* as an if, so the analyzer sees all checked */
		ASSERT_TRUE(json && text && metrics);
		goto out;
	}
	ASSERT_TRUE(strstr(json, "\"type\":\"stats\"") && strstr(json, "\"type\":\"end\""));
	/* both lines: one count per map, under "agent" */
	ASSERT_TRUE(strstr(json, "\"counts_map_full\":352") &&
		    strstr(strstr(json, "\"counts_map_full\":352") + 1, "\"counts_map_full\":352"));
	ASSERT_TRUE(strstr(text, "(agent lost 357 records: ringbuf_full 3, counts_map_full 352, "
				 "records_malformed 2)\n"));
	ASSERT_TRUE(strstr(text, "0 findings; agent lost 357 records: ringbuf_full 3, "
				 "counts_map_full 352, records_malformed 2\n"));
	ASSERT_TRUE(strstr(metrics, "\ntcptriage_agent_map_full_total{map=\"counts\"} 352\n"));
out:
	free(json);
	free(text);
	free(metrics);
}

TEST(no_loss_no_breakdown)
{
	struct agent_health h = { .cpu_s = 1 };
	char *text;

	h.kernel[TT_H_EVENTS] = 10;
	text = report(false, &h);
	if (!ASSERT_TRUE(text))
		return;
	ASSERT_TRUE(!strstr(text, "(agent lost"));
	ASSERT_TRUE(strstr(text, "0 findings; agent lost 0 records\n"));
	free(text);
}
