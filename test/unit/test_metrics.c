// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the Prometheus text rendering: counters, labels, cumulative histogram buckets, overflow. */
#include "../../src/metrics.c"
#include "../../src/names.c"
#include "check.h"

static struct cfg_config cfg;
static struct metrics_snapshot s;
static char buf[65536];

static void setup(void)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.nanomalies = 2;
	strcpy(cfg.anomalies[0].proto, "smb");
	strcpy(cfg.anomalies[0].name, "latency");
	strcpy(cfg.anomalies[1].proto, "health");
	strcpy(cfg.anomalies[1].name, "oom_kill");
	memset(&s, 0, sizeof(s));
	s.events_total = 12345;
	s.anomalies[0] = 7;
	s.anomalies[1] = 1;
	s.bundles.bundles_written = 6;
	s.bundles.coalesced = 2;
	s.probes.ringbuf_full = 3;
	s.smb_attached = true;
	s.smb_hist[9][7] = 4;	/* SMB2_WRITE: 4 in [128, 256) us */
	s.smb_hist[9][17] = 1;	/* and one in [131 ms, 262 ms) */
	s.smb_count[9] = 5;
}

int main(void)
{
	int n;

	setup();
	n = metrics_render(&s, &cfg, buf, sizeof(buf));
	CHECK(n > 0 && (size_t)n == strlen(buf));
	CHECK(strstr(buf, "# TYPE aod_events_total counter\naod_events_total 12345\n") != NULL);
	CHECK(strstr(buf, "aod_anomalies_total{proto=\"smb\",anomaly=\"latency\"} 7\n") != NULL);
	CHECK(strstr(buf, "aod_anomalies_total{proto=\"health\",anomaly=\"oom_kill\"} 1\n") != NULL);
	CHECK(strstr(buf, "aod_bundles_total{outcome=\"written\"} 6\n") != NULL);
	CHECK(strstr(buf, "aod_bundles_total{outcome=\"coalesced\"} 2\n") != NULL);
	CHECK(strstr(buf, "aod_probe_lost_total{family=\"smb\",reason=\"ringbuf_full\"} 3\n") != NULL);
	CHECK(strstr(buf, "aod_smb_attached 1\n") != NULL);
	/* buckets are cumulative: 0 below 128 us, 4 from the 256 us bound on, 5 from 262 ms on */
	CHECK(strstr(buf, "command=\"SMB2_WRITE\",le=\"0.000128\"} 0\n") != NULL);
	CHECK(strstr(buf, "command=\"SMB2_WRITE\",le=\"0.000256\"} 4\n") != NULL);
	CHECK(strstr(buf, "command=\"SMB2_WRITE\",le=\"0.262144\"} 5\n") != NULL);
	CHECK(strstr(buf, "command=\"SMB2_WRITE\",le=\"+Inf\"} 5\n") != NULL);
	CHECK(strstr(buf, "aod_smb_command_latency_seconds_count{command=\"SMB2_WRITE\"} 5\n") != NULL);
	/* commands never seen get no series */
	CHECK(strstr(buf, "SMB2_READ") == NULL);
	/* every line is a comment or "name{labels} value" */
	for (char *l = buf; *l; l = strchr(l, '\n') + 1)
		CHECK(l[0] == '#' || (strchr(l, ' ') && strchr(l, ' ') < strchr(l, '\n')));
	/* too small a buffer is an error, never a cut exposition */
	CHECK(metrics_render(&s, &cfg, buf, 100) == -ENOSPC);
	CHECK(metrics_render(&s, &cfg, buf, 0) == -ENOSPC);
	s.smb_attached = false;
	n = metrics_render(&s, &cfg, buf, sizeof(buf));
	CHECK(n > 0 && strstr(buf, "aod_smb_attached 0\n") != NULL);
	/* listen address parsing refuses what config.c would not produce */
	CHECK(metrics_listen("nonsense") == -EINVAL);
	CHECK(metrics_listen("300.1.1.1:80") == -EINVAL);
	return CHECK_DONE();
}
