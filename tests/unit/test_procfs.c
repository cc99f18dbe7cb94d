// SPDX-License-Identifier: GPL-2.0
/* Tests for the procfs parsers, on text captured from a real kernel. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procfs.h"
#include "test.h"

/* Captured from this machine (Linux 6.18, 2 CPUs) on 2026-11-27. */
static const char netstat_sample[] =
	"TcpExt: SyncookiesSent SyncookiesRecv SyncookiesFailed EmbryonicRsts"
	" PruneCalled RcvPruned OfoPruned OutOfWindowIcmps LockDroppedIcmps"
	" ArpFilter TW TWRecycled TWKilled PAWSActive PAWSEstab BeyondWindow"
	" TSEcrRejected PAWSOldAck PAWSTimewait DelayedACKs DelayedACKLocked"
	" DelayedACKLost ListenOverflows ListenDrops TCPHPHits TCPPureAcks"
	" TCPHPAcks TCPRenoRecovery TCPSackRecovery TCPSACKReneging"
	" TCPSACKReorder TCPRenoReorder TCPTSReorder TCPFullUndo TCPPartialUndo"
	" TCPDSACKUndo TCPLossUndo TCPLostRetransmit TCPRenoFailures"
	" TCPSackFailures TCPLossFailures TCPFastRetrans TCPSlowStartRetrans"
	" TCPTimeouts TCPLossProbes TCPLossProbeRecovery TCPRenoRecoveryFail"
	" TCPSackRecoveryFail TCPRcvCollapsed TCPBacklogCoalesce"
	" TCPDSACKOldSent TCPDSACKOfoSent TCPDSACKRecv TCPDSACKOfoRecv"
	" TCPAbortOnData TCPAbortOnClose TCPAbortOnMemory TCPAbortOnTimeout"
	" TCPAbortOnLinger TCPAbortFailed TCPMemoryPressures"
	" TCPMemoryPressuresChrono TCPSACKDiscard TCPDSACKIgnoredOld"
	" TCPDSACKIgnoredNoUndo TCPSpuriousRTOs TCPMD5NotFound TCPMD5Unexpected"
	" TCPMD5Failure TCPSackShifted TCPSackMerged TCPSackShiftFallback"
	" TCPBacklogDrop PFMemallocDrop TCPMinTTLDrop TCPDeferAcceptDrop"
	" IPReversePathFilter TCPTimeWaitOverflow TCPReqQFullDoCookies"
	" TCPReqQFullDrop TCPRetransFail TCPRcvCoalesce TCPOFOQueue TCPOFODrop"
	" TCPOFOMerge TCPChallengeACK TCPSYNChallenge TCPFastOpenActive"
	" TCPFastOpenActiveFail TCPFastOpenPassive TCPFastOpenPassiveFail"
	" TCPFastOpenListenOverflow TCPFastOpenCookieReqd TCPFastOpenBlackhole"
	" TCPSpuriousRtxHostQueues BusyPollRxPackets TCPAutoCorking"
	" TCPFromZeroWindowAdv TCPToZeroWindowAdv TCPWantZeroWindowAdv"
	" TCPSynRetrans TCPOrigDataSent TCPHystartTrainDetect"
	" TCPHystartTrainCwnd TCPHystartDelayDetect TCPHystartDelayCwnd"
	" TCPACKSkippedSynRecv TCPACKSkippedPAWS TCPACKSkippedSeq"
	" TCPACKSkippedFinWait2 TCPACKSkippedTimeWait TCPACKSkippedChallenge"
	" TCPWinProbe TCPKeepAlive TCPMTUPFail TCPMTUPSuccess TCPDelivered"
	" TCPDeliveredCE TCPAckCompressed TCPZeroWindowDrop TCPRcvQDrop"
	" TCPWqueueTooBig TCPFastOpenPassiveAltKey TcpTimeoutRehash"
	" TcpDuplicateDataRehash TCPDSACKRecvSegs TCPDSACKIgnoredDubious"
	" TCPMigrateReqSuccess TCPMigrateReqFailure TCPPLBRehash TCPAORequired"
	" TCPAOBad TCPAOKeyNotFound TCPAOGood TCPAODroppedIcmps\n"
	"TcpExt: 0 0 0 0 0 0 0 0 0 0 12 0 0 0 0 0 0 0 0 0 0 0 0 0 9 17 6 0 0 0"
	" 0 0 0 0 0 0 0 0 0 0 0 0 0 2 0 0 0 0 0 20 0 0 0 0 1 0 0 0 0 0 0 0 0 0"
	" 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 505 0 0 0 0 0 0 0 0 0 0 0 0 2 0 0"
	" 42 42 8 0 45 0 0 0 0 0 0 0 0 0 0 0 0 0 0 57 0 0 0 0 0 0 2 0 0 0 0 0 0"
	" 0 0 0 0 0\n"
	"IpExt: InNoRoutes InTruncatedPkts InMcastPkts OutMcastPkts InBcastPkts"
	" OutBcastPkts InOctets OutOctets InMcastOctets OutMcastOctets"
	" InBcastOctets OutBcastOctets InCsumErrors InNoECTPkts InECT1Pkts"
	" InECT0Pkts InCEPkts ReasmOverlaps\n"
	"IpExt: 0 0 0 0 0 0 26401979 30839 0 0 0 0 0 724 0 0 0 0\n"
	"MPTcpExt: MPCapableSYNRX MPCapableSYNTX MPCapableSYNACKRX"
	" MPCapableACKRX MPCapableFallbackACK MPCapableFallbackSYNACK"
	" MPCapableSYNTXDrop MPCapableSYNTXDisabled MPCapableEndpAttempt"
	" MPFallbackTokenInit MPTCPRetrans MPJoinNoTokenFound MPJoinSynRx"
	" MPJoinSynBackupRx MPJoinSynAckRx MPJoinSynAckBackupRx"
	" MPJoinSynAckHMacFailure MPJoinAckRx MPJoinAckHMacFailure"
	" MPJoinRejected MPJoinSynTx MPJoinSynTxCreatSkErr MPJoinSynTxBindErr"
	" MPJoinSynTxConnectErr DSSNotMatching DSSCorruptionFallback"
	" DSSCorruptionReset InfiniteMapTx InfiniteMapRx DSSNoMatchTCP"
	" DataCsumErr OFOQueueTail OFOQueue OFOMerge NoDSSInWindow"
	" DuplicateData AddAddr AddAddrTx AddAddrTxDrop EchoAdd EchoAddTx"
	" EchoAddTxDrop PortAdd AddAddrDrop MPJoinPortSynRx MPJoinPortSynAckRx"
	" MPJoinPortAckRx MismatchPortSynRx MismatchPortAckRx RmAddr RmAddrDrop"
	" RmAddrTx RmAddrTxDrop RmSubflow MPPrioTx MPPrioRx MPFailTx MPFailRx"
	" MPFastcloseTx MPFastcloseRx MPRstTx MPRstRx SubflowStale"
	" SubflowRecover SndWndShared RcvWndShared RcvWndConflictUpdate"
	" RcvWndConflict MPCurrEstab Blackhole MPCapableDataFallback"
	" MD5SigFallback DssFallback SimultConnectFallback FallbackFailed"
	" WinProbe\n"
	"MPTcpExt: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0"
	" 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0"
	" 0 0 0 0 0 0 0 0 0 0 0\n";

static const char snmp_sample[] =
	"Ip: Forwarding DefaultTTL InReceives InHdrErrors InAddrErrors"
	" ForwDatagrams InUnknownProtos InDiscards InDelivers OutRequests"
	" OutDiscards OutNoRoutes ReasmTimeout ReasmReqds ReasmOKs ReasmFails"
	" FragOKs FragFails FragCreates OutTransmits\n"
	"Ip: 2 64 724 0 0 0 0 0 724 443 0 0 0 0 0 0 0 0 0 443\n"
	"Icmp: InMsgs InErrors InCsumErrors InDestUnreachs InTimeExcds"
	" InParmProbs InSrcQuenchs InRedirects InEchos InEchoReps InTimestamps"
	" InTimestampReps InAddrMasks InAddrMaskReps OutMsgs OutErrors"
	" OutRateLimitGlobal OutRateLimitHost OutDestUnreachs OutTimeExcds"
	" OutParmProbs OutSrcQuenchs OutRedirects OutEchos OutEchoReps"
	" OutTimestamps OutTimestampReps OutAddrMasks OutAddrMaskReps\n"
	"Icmp: 1 0 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
	"IcmpMsg: InType3\n"
	"IcmpMsg: 1\n"
	"Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens"
	" AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs"
	" OutRsts InCsumErrors\n"
	"Tcp: 1 200 120000 -1 14 2 1 0 0 697 417 0 0 3 0\n"
	"Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors"
	" SndbufErrors InCsumErrors IgnoredMulti MemErrors\n"
	"Udp: 26 0 0 27 0 0 0 0 0\n"
	"UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors"
	" SndbufErrors InCsumErrors IgnoredMulti MemErrors\n"
	"UdpLite: 0 0 0 0 0 0 0 0 0\n";

static const char sockstat_sample[] =
	"sockets: used 11\n"
	"TCP: inuse 1 orphan 0 tw 0 alloc 1 mem 40\n"
	"UDP: inuse 0 mem 0\n"
	"UDPLITE: inuse 0\n"
	"RAW: inuse 0\n"
	"FRAG: inuse 0 memory 0\n";

static const char conntrack_sample[] =
	"entries  clashres found new invalid ignore delete chainlength insert"
	" insert_failed drop early_drop icmp_error  expect_new expect_create"
	" expect_delete search_restart\n"
	"00000000  00000000 00000000 00000000 00000000 00000000 00000000"
	" 00000000 00000000 00000000 00000000 00000000 00000000  00000000"
	" 00000000 00000000 00000000\n"
	"00000000  00000000 00000000 00000000 00000000 00000000 00000000"
	" 00000000 00000000 00000000 00000000 00000000 00000000  00000000"
	" 00000000 00000000 00000000\n";

/* As printed with traffic and drops on 2 CPUs (same layout as above). */
static const char conntrack_busy[] =
	"entries  clashres found new invalid ignore delete chainlength insert"
	" insert_failed drop early_drop icmp_error  expect_new expect_create"
	" expect_delete search_restart\n"
	"00000032  00000000 00000001 00000000 0000000a 00000000 00000000"
	" 00000000 00000000 00000003 000000ff 00000010 00000000  00000000"
	" 00000000 00000000 00000000\n"
	"00000032  00000000 00000002 00000000 0000000A 00000000 00000000"
	" 00000000 00000000 00000004 00000001 00000000 00000000  00000000"
	" 00000000 00000000 00000001\n";

static int64_t get(const struct counter_set *cs, const char *name)
{
	int64_t v = -12345;

	counters_get(cs, name, &v);
	return v;
}

TEST(counters_parse_real_netstat)
{
	struct counter_set cs = { 0 };

	if (!ASSERT_OK(counters_parse(&cs, netstat_sample)))
		goto out;
	ASSERT_EQ_INT(cs.len, 229);
	ASSERT_EQ_INT(get(&cs, "TcpExt.SyncookiesSent"), 0);
	ASSERT_EQ_INT(get(&cs, "TcpExt.TW"), 12);
	ASSERT_EQ_INT(get(&cs, "TcpExt.ListenOverflows"), 0);
	ASSERT_EQ_INT(get(&cs, "TcpExt.TCPRcvCoalesce"), 505);
	ASSERT_EQ_INT(get(&cs, "TcpExt.TCPDelivered"), 57);
	ASSERT_EQ_INT(get(&cs, "TcpExt.TcpTimeoutRehash"), 2);
	ASSERT_EQ_INT(get(&cs, "TcpExt.TCPAODroppedIcmps"), 0);
	ASSERT_EQ_INT(get(&cs, "IpExt.InOctets"), 26401979);
	ASSERT_EQ_INT(get(&cs, "IpExt.InNoECTPkts"), 724);
	ASSERT_EQ_INT(get(&cs, "MPTcpExt.WinProbe"), 0);
out:
	counters_free(&cs);
}

TEST(counters_merge_snmp_and_netstat)
{
	struct counter_set cs = { 0 };
	int64_t v;

	ASSERT_OK(counters_parse(&cs, netstat_sample));
	if (!ASSERT_OK(counters_parse(&cs, snmp_sample)))
		goto out;
	ASSERT_EQ_INT(cs.len, 229 + 83);
	ASSERT_EQ_INT(get(&cs, "Tcp.MaxConn"), -1);
	ASSERT_EQ_INT(get(&cs, "Tcp.ActiveOpens"), 14);
	ASSERT_EQ_INT(get(&cs, "Tcp.RetransSegs"), 0);
	ASSERT_EQ_INT(get(&cs, "Tcp.OutRsts"), 3);
	ASSERT_EQ_INT(get(&cs, "Tcp.RtoMax"), 120000);
	ASSERT_EQ_INT(get(&cs, "IcmpMsg.InType3"), 1);
	ASSERT_EQ_INT(get(&cs, "Udp.OutDatagrams"), 27);
	ASSERT_EQ_INT(get(&cs, "Ip.OutTransmits"), 443);
	ASSERT_EQ_INT(get(&cs, "TcpExt.TW"), 12);
	ASSERT_EQ_INT(counters_get(&cs, "Tcp.NoSuchThing", &v), -ENOENT);
	ASSERT_EQ_INT(counters_get(&cs, "RetransSegs", &v), -ENOENT);
	ASSERT_EQ_INT(counters_get(&cs, "Tcp.", &v), -ENOENT);

	/* Re-reading refreshes values in place instead of duplicating. */
	ASSERT_OK(counters_parse(&cs, "Tcp: RetransSegs MaxConn\nTcp: 77 -1\n"));
	ASSERT_EQ_INT(cs.len, 229 + 83);
	ASSERT_EQ_INT(get(&cs, "Tcp.RetransSegs"), 77);
	ASSERT_OK(counters_parse(&cs, "Tcp: NewOne\nTcp: 5\n"));
	ASSERT_EQ_INT(cs.len, 229 + 84);
	ASSERT_EQ_INT(get(&cs, "Tcp.NewOne"), 5);

	counters_reset(&cs);
	ASSERT_EQ_INT(cs.len, 0);
	ASSERT_EQ_INT(counters_get(&cs, "Tcp.NewOne", &v), -ENOENT);
out:
	counters_free(&cs);
}

TEST(counters_parse_tolerates_layout)
{
	struct counter_set cs = { 0 };

	/* No final newline, CRLF, extra blanks and blank lines. */
	ASSERT_OK(counters_parse(&cs, "\nTcpExt:  A\tB \r\nTcpExt: 1  2\r\n\n"
				      "Tcp: C\nTcp: 18446744073709551615"));
	ASSERT_EQ_INT(get(&cs, "TcpExt.A"), 1);
	ASSERT_EQ_INT(get(&cs, "TcpExt.B"), 2);
	/* Above INT64_MAX wraps, so uint64_t deltas stay right. */
	ASSERT_EQ_INT((uint64_t)get(&cs, "Tcp.C"), UINT64_MAX);
	ASSERT_OK(counters_parse(&cs, ""));
	ASSERT_EQ_INT(cs.len, 3);
	counters_free(&cs);
}

TEST(counters_parse_rejects_malformed)
{
	static const char *const bad[] = {
		"TcpExt: A B\nTcpExt: 1\n",		/* fewer values */
		"TcpExt: A\nTcpExt: 1 2\n",		/* more values */
		"TcpExt: A\nIpExt: 1\n",		/* mismatched prefixes */
		"TcpExt: A B\n",			/* header without values */
		"TcpExt: A\nTcpExt: x\n",		/* not a number */
		"TcpExt: A\nTcpExt: 1x\n",
		"TcpExt: A\nTcpExt: 0x10\n",
		"TcpExt: A\nTcpExt: -\n",
		"TcpExt A\nTcpExt 1\n",			/* no colon */
		": A\n: 1\n",				/* empty prefix */
		"Tcp: A\nTcp: 99999999999999999999999\n",	/* out of range */
		"Tcp: A\nTcp: -99999999999999999999\n",
		"Tcp: A\nTcp: 123456789012345678901234567890123\n", /* too long */
		"Tcp: A\nTcp: 1\nTcp: B\n",		/* odd line count */
	};
	struct counter_set cs = { 0 };
	size_t i;
	int err;

	ASSERT_OK(counters_parse(&cs, "Tcp: Keep\nTcp: 1\n"));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = counters_parse(&cs, bad[i]);
		test_check(t, err == -EINVAL || err == -ERANGE, __FILE__, __LINE__,
			   "bad[%zu] gave %d", i, err);
	}
	/* A failed parse leaves the set as it was. */
	ASSERT_EQ_INT(cs.len, 1);
	ASSERT_EQ_INT(get(&cs, "Tcp.Keep"), 1);
	ASSERT_EQ_INT(counters_parse(&cs, "Tcp: Keep\nTcp: 9\nTcp: A\nTcp: x\n"), -EINVAL);
	ASSERT_EQ_INT(get(&cs, "Tcp.Keep"), 1);
	counters_free(&cs);
}

TEST(counters_skip_names_too_long)
{
	char text[512], name[80];
	struct counter_set cs = { 0 };

	memset(name, 'N', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(text, sizeof(text), "TcpExt: A %s B\nTcpExt: 1 2 3\n", name);
	ASSERT_OK(counters_parse(&cs, text));
	ASSERT_EQ_INT(cs.len, 2);
	ASSERT_EQ_INT(get(&cs, "TcpExt.B"), 3);
	counters_free(&cs);
}

TEST(counters_read_live_files)
{
	struct counter_set cs = { 0 };
	int64_t v;

	if (access("/proc/self/net/netstat", R_OK))
		return;		/* no procfs here: nothing to check */
	ASSERT_OK(counters_read_netns(&cs, "/proc/self/net"));
	ASSERT_OK(counters_get(&cs, "TcpExt.ListenOverflows", &v));
	ASSERT_OK(counters_get(&cs, "Tcp.RetransSegs", &v));
	ASSERT_OK(counters_get(&cs, "Tcp.MaxConn", &v));
	ASSERT_EQ_INT(v, -1);
	ASSERT_TRUE(cs.len > 200);

	counters_reset(&cs);
	ASSERT_OK(counters_read_file(&cs, "/proc/net/snmp"));
	ASSERT_OK(counters_get(&cs, "Tcp.ActiveOpens", &v));
	ASSERT_EQ_INT(counters_get(&cs, "TcpExt.TW", &v), -ENOENT);

	ASSERT_EQ_INT(counters_read_netns(&cs, "/nonexistent/net"), -ENOENT);
	ASSERT_EQ_INT(counters_read_file(&cs, "/nonexistent"), -ENOENT);
	counters_free(&cs);
}

TEST(read_file_all_reads_large_files)
{
	char path[] = "/tmp/tcptriage-unit-XXXXXX", *buf = NULL;
	size_t len = 0, i, size = 300000;
	char *data = malloc(size);
	FILE *f = NULL;
	int fd;

	if (!ASSERT_TRUE(data))
		return;
	for (i = 0; i < size; i++)
		data[i] = (char)('a' + i % 26);
	fd = mkstemp(path);
	if (!ASSERT_TRUE(fd >= 0))
		goto out;
	f = fdopen(fd, "w");
	if (!ASSERT_TRUE(f))
		goto out;
	ASSERT_EQ_INT(fwrite(data, 1, size, f), size);
	fclose(f);
	if (ASSERT_OK(read_file_all(path, &buf, &len))) {
		ASSERT_EQ_INT(len, size);
		ASSERT_TRUE(!memcmp(buf, data, size));
		ASSERT_EQ_INT(buf[len], '\0');
	}
	unlink(path);
out:
	free(buf);
	free(data);
}

TEST(sockstat_parse_real)
{
	struct sockstat ss;

	if (!ASSERT_OK(sockstat_parse(sockstat_sample, &ss)))
		return;
	ASSERT_EQ_INT(ss.sockets_used, 11);
	ASSERT_EQ_INT(ss.tcp_inuse, 1);
	ASSERT_EQ_INT(ss.tcp_orphan, 0);
	ASSERT_EQ_INT(ss.tcp_tw, 0);
	ASSERT_EQ_INT(ss.tcp_alloc, 1);
	ASSERT_EQ_INT(ss.tcp_mem_pages, 40);
	ASSERT_EQ_INT(ss.udp_inuse, 0);
	ASSERT_EQ_INT(ss.udp_mem_pages, 0);

	ASSERT_OK(sockstat_parse("sockets: used 290\nTCP: inuse 5 orphan 3 tw 2 "
				 "alloc 7 mem 1\nUDP: inuse 3 mem 2\n", &ss));
	ASSERT_EQ_INT(ss.sockets_used, 290);
	ASSERT_EQ_INT(ss.tcp_orphan, 3);
	ASSERT_EQ_INT(ss.tcp_tw, 2);
	ASSERT_EQ_INT(ss.udp_mem_pages, 2);

	/* Fields the kernel did not print read as -1. */
	ASSERT_OK(sockstat_parse("TCP: inuse 5 future 9\n", &ss));
	ASSERT_EQ_INT(ss.tcp_inuse, 5);
	ASSERT_EQ_INT(ss.tcp_mem_pages, -1);
	ASSERT_EQ_INT(ss.sockets_used, -1);

	/* A future line we do not read may have any shape. */
	ASSERT_OK(sockstat_parse("TCP: inuse 4\nNEWPROTO: flag\n", &ss));
	ASSERT_EQ_INT(ss.tcp_inuse, 4);

	if (!access("/proc/net/sockstat", R_OK)) {
		ASSERT_OK(sockstat_read("/proc/net/sockstat", &ss));
		ASSERT_TRUE(ss.tcp_inuse >= 0 && ss.tcp_mem_pages >= 0);
	}
}

TEST(sockstat_parse_rejects_malformed)
{
	static const char *const bad[] = {
		"",
		"sockets: used 3\n",				/* no TCP line */
		"TCP6: inuse 1\n",				/* sockstat6 */
		"TCP: inuse\n",					/* key without value */
		"TCP: inuse x orphan 0\n",
		"TCP inuse 5\n",
		"garbage\n",
	};
	struct sockstat ss = { .tcp_inuse = 42 };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		test_check(t, sockstat_parse(bad[i], &ss) == -EINVAL, __FILE__,
			   __LINE__, "bad[%zu] accepted", i);
	ASSERT_EQ_INT(ss.tcp_inuse, 42);
}

TEST(sysctl_parse_longs_formats)
{
	long v[4] = { 0 };

	ASSERT_EQ_INT(sysctl_parse_longs("287898\t383867\t575796\n", v, 3), 3);
	ASSERT_EQ_INT(v[0], 287898);
	ASSERT_EQ_INT(v[1], 383867);
	ASSERT_EQ_INT(v[2], 575796);
	ASSERT_EQ_INT(sysctl_parse_longs("32768\t60999\n", v, 4), 2);
	ASSERT_EQ_INT(v[1], 60999);
	ASSERT_EQ_INT(sysctl_parse_longs("1\n", v, 1), 1);
	ASSERT_EQ_INT(sysctl_parse_longs("-1\n", v, 1), 1);
	ASSERT_EQ_INT(v[0], -1);
	ASSERT_EQ_INT(sysctl_parse_longs("4096 131072\n6291456\n", v, 3), 3);
	ASSERT_EQ_INT(v[2], 6291456);
	ASSERT_EQ_INT(sysctl_parse_longs("", v, 3), 0);
	ASSERT_EQ_INT(sysctl_parse_longs("\n", v, 3), 0);

	ASSERT_EQ_INT(sysctl_parse_longs("1 2 3 4\n", v, 3), -E2BIG);
	ASSERT_EQ_INT(sysctl_parse_longs("1 two\n", v, 3), -EINVAL);
	ASSERT_EQ_INT(sysctl_parse_longs("1.5\n", v, 3), -EINVAL);
	ASSERT_EQ_INT(sysctl_parse_longs("99999999999999999999\n", v, 3), -ERANGE);
}

TEST(sysctl_read_live)
{
	long v[3];

	if (access("/proc/sys/net/ipv4/tcp_mem", R_OK))
		return;
	ASSERT_EQ_INT(sysctl_read_longs("/proc/sys/net/ipv4/tcp_mem", v, 3), 3);
	ASSERT_TRUE(v[0] > 0 && v[0] <= v[1] && v[1] <= v[2]);
	ASSERT_EQ_INT(sysctl_read_longs("/proc/sys/net/ipv4/ip_local_port_range", v, 3), 2);
	ASSERT_EQ_INT(sysctl_read_longs("/nonexistent", v, 3), -ENOENT);
}

TEST(conntrack_stat_sums_cpus)
{
	struct counter_set cs = { 0 };

	if (!ASSERT_OK(conntrack_stat_parse(conntrack_sample, &cs)))
		goto out;
	ASSERT_EQ_INT(cs.len, 17);
	ASSERT_EQ_INT(get(&cs, "entries"), 0);
	ASSERT_EQ_INT(get(&cs, "search_restart"), 0);

	if (!ASSERT_OK(conntrack_stat_parse(conntrack_busy, &cs)))
		goto out;
	ASSERT_EQ_INT(cs.len, 17);		/* refreshed, not appended */
	ASSERT_EQ_INT(get(&cs, "entries"), 0x32);	/* global, not summed */
	ASSERT_EQ_INT(get(&cs, "found"), 3);
	ASSERT_EQ_INT(get(&cs, "invalid"), 20);
	ASSERT_EQ_INT(get(&cs, "insert_failed"), 7);
	ASSERT_EQ_INT(get(&cs, "drop"), 0x100);
	ASSERT_EQ_INT(get(&cs, "early_drop"), 16);
	ASSERT_EQ_INT(get(&cs, "search_restart"), 1);

	if (!access("/proc/net/stat/nf_conntrack", R_OK)) {
		counters_reset(&cs);
		ASSERT_OK(conntrack_stat_read("/proc/net/stat/nf_conntrack", &cs));
		ASSERT_OK(counters_get(&cs, "drop", &(int64_t){ 0 }));
	}
out:
	counters_free(&cs);
}

TEST(conntrack_stat_rejects_malformed)
{
	static const char *const bad[] = {
		"",
		"entries drop\n",			/* no CPU lines */
		"entries drop\n00000001\n",		/* short row */
		"entries drop\n00000001 00000002 00000003\n",
		"entries drop\n00000001 0000000g\n",	/* not hex */
		"entries drop\n00000001 -0000001\n",
		"entries drop\n00000001 0x000001\n",
		"entries drop\n00000001 11112222333344445\n",	/* > 64 bits */
	};
	struct counter_set cs = { 0 };
	char wide[2048];
	size_t i, len = 0;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		test_check(t, conntrack_stat_parse(bad[i], &cs) == -EINVAL, __FILE__,
			   __LINE__, "bad[%zu] accepted", i);
	ASSERT_EQ_INT(cs.len, 0);

	for (i = 0; i < 65; i++)
		len += (size_t)snprintf(wide + len, sizeof(wide) - len, "c%zu ", i);
	snprintf(wide + len, sizeof(wide) - len, "\n");
	ASSERT_EQ_INT(conntrack_stat_parse(wide, &cs), -E2BIG);
	counters_free(&cs);
}
