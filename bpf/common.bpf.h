/* SPDX-License-Identifier: GPL-2.0 */
/* Maps and helpers shared by every signal family (one skeleton, shared maps). */
#ifndef __TT_COMMON_BPF_H
#define __TT_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "tcptriage.h"
#include "compat.bpf.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define EEXIST 17

/*
 * Maps are declared __weak in this header so that every object that
 * includes it agrees on one definition; the BPF linker merges them into a
 * single map in the final object.  Sizes are defaults: userspace may change
 * them with bpf_map__set_max_entries() before load.
 */
/*
 * The per-owner counters, counted exactly: not LRU, whose evictions take a
 * key's unread counts with them unseen.  Two per-CPU hash maps take turns:
 * `counts` (one slot) points at the one programs add to; each tick userspace
 * puts the other in the slot, which returns only once every program that may
 * still hold the old one has finished (the kernel waits for an RCU grace
 * period on every update of a map-in-map), then reads and empties the old
 * one with nothing writing into it.  An event that finds the map full is
 * counted lost (TT_H_COUNTS_FULL), never dropped silently.  The loader sizes
 * counts_a and counts_b (a tick's keys) and puts counts_a in the slot.
 */
#define TT_COUNTS_ENTRIES 8192 /* each of the two: the keys of one tick */

struct tt_counts_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, TT_COUNTS_ENTRIES);
	__type(key, struct tt_count_key);
	__type(value, struct tt_count_val);
};

struct tt_counts_map counts_a SEC(".maps") __weak;
struct tt_counts_map counts_b SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct tt_counts_map);
} counts SEC(".maps") __weak;

/* A plain array of value_type, entries elements unless the loader sizes it. */
#define TT_ARRAY(name, value_type, entries)       \
	struct {                                  \
		__uint(type, BPF_MAP_TYPE_ARRAY); \
		__uint(max_entries, entries);     \
		__type(key, __u32);               \
		__type(value, value_type);        \
	} name SEC(".maps") __weak

/*
 * In front of the hash maps, each CPU keeps, for each signal, the last key it
 * counted and what it counted since (struct tt_count_cache, in its
 * tt_cpu_state): the next event of that key adds there, and only another key
 * sends it on to the hash map.  A hash update touches lines no other work of
 * a connection keeps in cache (~0.5 µs a churned connection, `make bench`);
 * the events of one signal in a run of connections or a storm mostly share a
 * key.  Each generation of counts has its own entries, ctl's count_gen says
 * which: userspace moves count_gen on before it swaps the slot, so once the
 * swap returns the old entries are as still as the old hash map, and it reads
 * both.  It writes nothing back: an entry stamped with an older generation
 * than the one counting was read then, and counts as empty.
 */
TT_ARRAY(ctl, struct tt_ctl, TT_CTL_ELEMS);

/*
 * What each CPU keeps between events (struct tt_cpu_state), one element a
 * CPU (the loader sizes it to the possible CPUs).  Not per-CPU maps, nor
 * global variables: their memory is vmalloc'd, one page mapping each, and
 * with page-table isolation every syscall starts with the kernel's TLB
 * empty, so each such page is a page walk at its first touch in a syscall:
 * they were the costliest loads of every hook in perf (refused connects from
 * bench/rategen, issue 12).  A small plain array is kmalloc'd, in the kernel's direct map,
 * whose mapping the kernel's own work has loaded already; one lookup
 * computes an address, no load.
 */
TT_ARRAY(cpu_states, struct tt_cpu_state, 1); /* the loader: one element a possible CPU */

/* This CPU's state (never NULL when the loader sized the array, but the verifier asks). */
static __always_inline struct tt_cpu_state *cpu_state(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(&cpu_states, &cpu);
}

static __always_inline struct tt_ctl *ctl_of(__u32 which)
{
	return bpf_map_lookup_elem(&ctl, &which);
}

/* The generation of counts in use (0 until userspace sets it). */
static __always_inline __u32 count_gen_now(void)
{
	struct tt_ctl *c = ctl_of(TT_CTL_USER);

	return c ? c->count_gen : 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64); /* struct sock address */
	__type(value, struct tt_owner);
} owners SEC(".maps") __weak;

/*
 * Owners kept in the socket itself (tp_btf programs may since 5.11), freed
 * with the socket, so tcp_destroy_sock deletes nothing for them and `owners`
 * need not grow with the host's sockets (half its size at 100k sockets,
 * `make bench`).  Userspace turns it on (owners_in_storage) when every hook
 * loads as tp_btf; otherwise `owners` holds them.  A connector goes in its
 * slot (connectors, below), here only when another live connection holds
 * that.  The start-up seed reaches the storage too (bpf/owner.bpf.c
 * seed_storage), and a closer leaving unsent data is marked here (the
 * snapshot's iter/tcp names it for an orphan): in storage mode `owners`
 * holds only listeners, which userspace finds by address and which go when
 * they stop listening, so it does not grow with the host's sockets and
 * tcp_destroy_sock has nothing to forget.
 */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct tt_owner);
} sk_owners SEC(".maps") __weak;

const volatile bool owners_in_storage __weak = false;

/*
 * Socket storage is on: set by userspace, and the kernel lets tracing
 * programs use it (5.11, with bpf_sock_from_file(), whose id tells it apart).
 * Both are constants once loaded: the verifier drops the branch not taken, so
 * raw_tp and tracepoint programs, whose socket is not typed, never call it.
 */
static __always_inline bool storage_on(void)
{
	return owners_in_storage && bpf_core_enum_value_exists(enum bpf_func_id,
							       BPF_FUNC_sock_from_file);
}

/*
 * A field of a socket (or skb) a hook got as its argument.  When
 * storage_on() every hook is tp_btf and its arguments typed: a plain load,
 * which the verifier checks (~0 ns against ~35 for a probe read, `make
 * bench`); else the probe read BPF_CORE_READ(...) names.  Never for a
 * pointer found through a probe read (the iterators' file_sock()).
 */
#define ARG_READ(plain, ...) (storage_on() ? (plain) : BPF_CORE_READ(__VA_ARGS__))

/*
 * sk's owner in its storage (typed sk).  Most sockets have no storage at all:
 * then no helper call, a plain load.  Only full sockets have storage: a
 * TIME_WAIT or request sock is smaller than struct sock (the helper checks
 * that too, but after this load).
 */
static __always_inline struct tt_owner *storage_owner(const struct sock *sk)
{
	int state = sk->__sk_common.skc_state;

	if (state == TCP_TIME_WAIT || state == TCP_NEW_SYN_RECV || !sk->sk_bpf_storage)
		return NULL;
	return bpf_sk_storage_get(&sk_owners, (void *)sk, NULL, 0);
}

/*
 * Who connected each socket, in a table indexed by a hash of the socket's
 * address, one slot a socket (direct-mapped): connect() is on the path of
 * every outgoing connection, and a few stores into an array slot cost little
 * where a socket-storage create or a hash update cost ~300 ns (`make bench`).
 * Nothing is given back at tcp_destroy_sock (reading the slot there cost
 * ~180 ns a socket: a line last written by another CPU): a slot names its
 * socket by address and peer, so a later socket at that address with another
 * peer is not taken for it.  A connect takes its slot unless the socket
 * named there still has that peer (alive: then the connector is remembered
 * as before, in storage or `owners`, so every connector is still known).
 * Two CPUs taking one slot in the same instant (sockets one in 65536 apart,
 * nanoseconds apart) may leave one of the two unnamed: plain stores, as 5.10
 * has no compare-and-swap.
 */
#define TT_CONN_SLOTS_LOG2 16

/* log2 of connectors' slots: the loader's, from the map's size (a test shrinks it) */
const volatile __u32 conn_slots_log2 __weak = TT_CONN_SLOTS_LOG2;

/*
 * One cache line a slot: an mmapable array's values start on a page, a plain
 * one's where struct bpf_array ends (56 bytes into a line on 6.18), where a
 * slot of 56 bytes took two lines for six connects in eight.
 */
struct tt_conn_slot {
	__u64 sk;   /* the socket's address; 0: never used */
	__u64 peer; /* conn_peer() at connect */
	struct tt_owner owner;
} __attribute__((aligned(64)));

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE); /* for the alignment above, never mapped */
	__uint(max_entries, 1 << TT_CONN_SLOTS_LOG2);
	__type(key, __u32);
	__type(value, struct tt_conn_slot);
} connectors SEC(".maps") __weak;

/*
 * The verifier allows no arithmetic on a typed pointer (tp_btf): its value is
 * copied out as a number first.  A pointer stored in a map value reads back
 * as one, without the helper call of a probe read (~10 ns); a program nesting
 * between the store and the load may change the word, then the probe read.
 */
static __always_inline __u64 sk_address(const struct sock *sk)
{
	struct tt_cpu_state *st = cpu_state();
	volatile __u64 *word = st ? &st->addr_scratch : NULL;
	__u64 addr = 0;

	if (word) {
		*word = (__u64)sk;
		addr = *word;
		/* addr = 0 unless it is sk: in asm, or the compiler would return sk itself */
		asm volatile("if %[a] == %[p] goto +1\n\t%[a] = 0" : [a] "+r"(addr) : [p] "r"(sk));
		if (addr)
			return addr;
	}
	bpf_probe_read_kernel(&addr, sizeof(addr), &sk);
	return addr;
}

/* sk's slot (Fibonacci hashing: sockets are slab objects a few KiB apart). */
static __always_inline struct tt_conn_slot *conn_slot(const struct sock *sk)
{
	__u32 i = (sk_address(sk) * 0x9E3779B97F4A7C15ULL) >> (64 - conn_slots_log2);

	return bpf_map_lookup_elem(&connectors, &i);
}

/*
 * Remote port and (the low word of the) address of sk: a hook's socket
 * argument (arg: ARG_READ), or a socket known only by address (a probe read:
 * it may be gone).  arg is a constant at every call: one branch is compiled.
 */
#define PEER_READ(plain, ...) (arg ? ARG_READ(plain, __VA_ARGS__) : BPF_CORE_READ(__VA_ARGS__))

static __always_inline __u64 conn_peer(const struct sock *sk, const bool arg)
{
	const struct sock_common *skc = &sk->__sk_common;
	__u16 family = PEER_READ(skc->skc_family, sk, __sk_common.skc_family);
	__u64 port = PEER_READ(skc->skc_dport, sk, __sk_common.skc_dport);
	__u32 addr;

	if (family == AF_INET6)
		addr = PEER_READ(skc->skc_v6_daddr.in6_u.u6_addr32[3], sk,
				 __sk_common.skc_v6_daddr.in6_u.u6_addr32[3]);
	else
		addr = PEER_READ(skc->skc_daddr, sk, __sk_common.skc_daddr);
	return port << 32 | addr;
}

#undef PEER_READ

/* Who connected sk, when its slot names it. */
static __always_inline struct tt_owner *conn_owner(const struct sock *sk)
{
	struct tt_conn_slot *slot = conn_slot(sk);

	if (!slot || slot->sk != (__u64)sk || !slot->owner.tgid ||
	    slot->peer != conn_peer(sk, true))
		return NULL;
	return &slot->owner;
}

/* sk's slot for its connect, or NULL when another live connection holds it. */
static __always_inline struct tt_conn_slot *conn_take(const struct sock *sk)
{
	struct tt_conn_slot *slot = conn_slot(sk);

	if (!slot)
		return NULL;
	if (slot->sk && slot->sk != (__u64)sk &&
	    conn_peer((const struct sock *)slot->sk, false) == slot->peer)
		return NULL;
	slot->owner.tgid = 0; /* unnamed until the caller fills the owner in */
	slot->sk = (__u64)sk;
	slot->peer = conn_peer(sk, true);
	return slot;
}

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32); /* tgid */
	__type(value, struct tt_proc);
} procs SEC(".maps") __weak;

/*
 * Who listens on each port: the owner of a socket it accepted, found from
 * the socket's own port when no owners entry names one (no hook runs on
 * accept()).  Written at listen(), deleted when the listener closes.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct tt_listen_key);
	__type(value, struct tt_owner);
} listen_owners SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct tt_flow_key);
	__type(value, struct tt_flow_val);
} flows SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct tt_flow_key); /* destination only: saddr/sport zero */
	__type(value, struct tt_connfail_val);
} connfails SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TT_H_MAX);
	__type(key, __u32);
	__type(value, __u64);
} health SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps") __weak;

/*
 * Per-CPU values are still shared by programs that nest on one CPU (a softirq
 * program interrupting a process-context one between its load and its
 * store): every increment of one is an atomic add, so none is lost.
 */
static __always_inline void health_add(__u32 what, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&health, &what);

	if (v)
		__sync_fetch_and_add(v, n);
}

static __always_inline void health_inc(__u32 what)
{
	health_add(what, 1);
}

static __always_inline __u32 netns_of(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

/*
 * The inode number of a hook argument's namespace.  A namespace's inode
 * number, the agent's name for it, shares a cache line
 * with the namespace's reference count, which every socket made or freed in
 * it writes: read at every event, it cost ~30 ns a reset sent in a storm
 * (`make bench`).  Each CPU notes the last namespace it named, by
 * the low half of its cookie (made with the namespace, unique, on a quiet
 * line; 5.14+: before, it is made on demand and the inode number is read
 * each time), in one word (its tt_cpu_state's net_note), so that a program
 * nesting over another never leaves half a note.  net came from a typed
 * load, or not (ARG_READ).
 */
static __always_inline __u32 net_inum(const struct net *net)
{
	struct tt_cpu_state *st;
	__u32 inum;
	__u64 cookie;

	if (!bpf_core_field_exists(net->net_cookie))
		return ARG_READ(net->ns.inum, net, ns.inum);
	cookie = (__u32)ARG_READ(net->net_cookie, net, net_cookie);
	st = cpu_state();
	if (st && cookie && st->net_note >> 32 == cookie)
		return (__u32)st->net_note;
	inum = ARG_READ(net->ns.inum, net, ns.inum);
	if (st)
		st->net_note = cookie << 32 | inum;
	return inum;
}

/* netns_of() of a hook's own socket argument (ARG_READ) */
static __always_inline __u32 arg_netns(const struct sock *sk)
{
	return net_inum(ARG_READ(sk->__sk_common.skc_net.net, sk, __sk_common.skc_net.net));
}

/* The namespace of a hook's packet argument, by its device (ARG_READ); 0 without one. */
static __always_inline __u32 skb_netns(const struct sk_buff *skb)
{
	const struct net_device *dev = ARG_READ(skb->dev, skb, dev);

	return dev ? net_inum(ARG_READ(dev->nd_net.net, dev, nd_net.net)) : 0;
}

static __always_inline bool sk_is_inet(const struct sock *sk)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	return family == AF_INET || family == AF_INET6;
}

static __always_inline bool sk_is_tcp(const struct sock *sk)
{
	return sk_is_inet(sk) && sk_protocol_of(sk) == IPPROTO_TCP;
}

/* Add events and amount to key's counter in the hash map of this generation. */
static __always_inline void count_hash_add(const struct tt_count_key *key, __u64 events,
					   __u64 amount)
{
	struct tt_count_val *val, zero = {};
	__u32 slot = 0;
	void *map;

	map = bpf_map_lookup_elem(&counts, &slot);
	if (!map) { /* not installed yet: the loader does before attaching */
		health_add(TT_H_COUNTS_FULL, events);
		return;
	}
	val = bpf_map_lookup_elem(map, key);
	if (!val) {
		/* refused because another CPU just made it is not full: look again */
		bpf_map_update_elem(map, key, &zero, BPF_NOEXIST);
		val = bpf_map_lookup_elem(map, key);
		if (!val) {
			health_add(TT_H_COUNTS_FULL, events);
			return;
		}
	}
	__sync_fetch_and_add(&val->events, events); /* nesting-safe: see health_inc() */
	__sync_fetch_and_add(&val->amount, amount);
	health_add(TT_H_EVENTS, events);
}

static __always_inline bool count_key_eq(const struct tt_count_key *a,
					 const struct tt_count_key *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2];
}

#define barrier() asm volatile("" ::: "memory")

/*
 * Count one event of key (the cache in front of the hash maps, above).  A
 * program that nests over another on this CPU while that one is changing the
 * entry (busy) goes to the hash map directly: nesting unwinds in order, so
 * the one it interrupted finds the entry as it left it.
 */
static __always_inline void count_key_add(const struct tt_count_key *key, __u64 amount)
{
	__u32 gen = count_gen_now(), entry = (gen & 1) * TT_SIG_MAX + key->signal;
	struct tt_count_key out_key = *key; /* what goes to the hash map, if anything */
	struct tt_count_val out = { 1, amount };
	struct tt_cpu_state *st = cpu_state();
	struct tt_count_cache *c = NULL;

	if (st && key->signal < TT_SIG_MAX && entry < 2 * TT_SIG_MAX) /* else no entry of its own */
		c = &st->count[entry];
	if (c && !c->busy) {
		c->busy = 1;
		barrier();
		if (c->gen == gen && c->val.events && count_key_eq(&c->key, key)) {
			c->val.events++;
			c->val.amount += amount;
			out.events = 0;
		} else { /* the entry's counts go on (read already when stale), this event takes it */
			out_key = c->key;
			out = c->val;
			if (c->gen != gen)
				out.events = 0;
			c->gen = gen;
			c->key = *key;
			c->val.events = 1;
			c->val.amount = amount;
		}
		barrier();
		c->busy = 0;
	}
	if (out.events) /* one call site: the hash update is inlined once a program */
		count_hash_add(&out_key, out.events, out.amount);
}

/*
 * In storage mode a TCP or UDP socket's owner is never in `owners` alone (a
 * listener's is in its storage too): a lookup there would miss (~140 ns an
 * event on an accepted socket, `make bench`).  Only the seeds of raw
 * sockets, which no socket iterator reaches, are there alone.
 */
static __always_inline bool storage_knows_all(const struct sock *sk)
{
	if (!storage_on())
		return false;
	return sk->sk_protocol == IPPROTO_TCP || sk->sk_protocol == IPPROTO_UDP;
}

/*
 * Each CPU notes the owner of the listening port it last looked up (struct
 * tt_listen_note, in its tt_cpu_state): the events of a server's accepted
 * sockets (resets, drops, retransmits) find their owner there, where a
 * listen_owners lookup cost ~100 ns a reset received (`make bench`, RST
 * close).  Every change of listen_owners moves ctl's listen_gen on
 * (listeners_changed), which voids every note; a note is read gen first,
 * map after, so a note is never newer than its gen.  seq is odd while a
 * program writes the note: a program nesting over the writer reads the map
 * and leaves the note alone, and a reader whose copy a writer interrupted
 * sees seq moved and reads the map instead.
 */
static __always_inline void listeners_changed(void)
{
	struct tt_ctl *c = ctl_of(TT_CTL_PROGS);

	if (c)
		__sync_fetch_and_add(&c->listen_gen, 1);
}

static __always_inline __u32 listen_gen_now(void)
{
	struct tt_ctl *c = ctl_of(TT_CTL_PROGS);

	return c ? c->listen_gen : 0;
}

static __always_inline bool listen_key_eq(const struct tt_listen_key *a,
					  const struct tt_listen_key *b)
{
	return a->netns == b->netns && a->port == b->port;
}

/* The owner noted for lk, copied into buf; false when not noted (or changing). */
static __always_inline bool listener_noted(const struct tt_listen_key *lk, struct tt_owner *buf)
{
	struct tt_cpu_state *st = cpu_state();
	struct tt_listen_note *n;
	__u32 seq;

	if (!st)
		return false;
	n = &st->listener;
	seq = n->seq;
	barrier();
	if (seq & 1 || n->gen != listen_gen_now() || !listen_key_eq(&n->key, lk) ||
	    !n->owner.tgid)
		return false;
	*buf = n->owner;
	barrier();
	return n->seq == seq;
}

/* The owner of lk's listener from listen_owners, noted for the next event. */
static __always_inline struct tt_owner *listener_owner(const struct tt_listen_key *lk)
{
	__u32 gen = listen_gen_now(); /* before the lookup: a change after voids the note */
	struct tt_owner *owner = bpf_map_lookup_elem(&listen_owners, lk);
	struct tt_cpu_state *st;
	struct tt_listen_note *n;

	if (!owner)
		return NULL;
	st = cpu_state();
	if (!st)
		return owner;
	n = &st->listener;
	if (n->seq & 1) /* nested over a program writing it: that one finishes its note */
		return owner;
	n->seq++;
	barrier();
	n->key = *lk;
	n->gen = gen;
	n->owner = *owner;
	barrier();
	n->seq++;
	return owner;
}

/*
 * Who owns sk, or NULL: its storage (storage mode: made at listen, a close
 * leaving unsent data or the start-up seed), its connector's slot, its owners
 * entry (map mode, a connector whose slot was taken, and in any mode the seed
 * of raw sockets, which no iterator walks), else the listener of its port (a
 * socket accepted from it: accept() has no hook, the hot path stays empty).
 * In storage mode, where a TCP or UDP socket's storage is all `owners` could
 * say, a listener noted for the port is asked before the slot: a socket on
 * a listening port with no storage is one accepted from it (a connect from
 * a listening port, rare, is charged to the listener's owner).  Not for a
 * socket still connecting, asked first from the socket's first line: a
 * storm of refused connects need touch neither the note's line nor
 * sk_protocol's (storage_knows_all: ~20 ns a reset received, `make bench`).
 * buf holds what a note gives.  A full socket that just closed gave its
 * port back (inet_num 0) and kept it in inet_sport (a probe read, only when
 * the listener is all that is left): a reset sent for data after close()
 * comes from such a socket.  (A TIME_WAIT or request sock keeps skc_num.)
 * Rare events only: up to four lookups.
 */
static __always_inline struct tt_owner *owner_of(const struct sock *sk, __u32 netns,
						 struct tt_owner *buf)
{
	struct tt_listen_key lk = { .netns = netns };
	__u64 skaddr = (__u64)sk;
	struct tt_owner *owner = NULL;

	if (storage_on())
		owner = storage_owner(sk);
	if (owner && owner->tgid)
		return owner;
	lk.port = ARG_READ(sk->__sk_common.skc_num, sk, __sk_common.skc_num);
	if (lk.port && storage_on() && sk->__sk_common.skc_state != TCP_SYN_SENT &&
	    storage_knows_all(sk) && listener_noted(&lk, buf))
		return buf;
	owner = conn_owner(sk);
	if (!owner && !storage_knows_all(sk))
		owner = bpf_map_lookup_elem(&owners, &skaddr);
	if (owner && owner->tgid)
		return owner;
	if (!lk.port)
		lk.port = __builtin_bswap16(BPF_CORE_READ((const struct inet_sock *)sk, inet_sport));
	return listener_owner(&lk);
}

/* Add to the counter of (owner, signal, sub); owner may be NULL (unknown). */
static __always_inline void count_add_by(const struct tt_owner *owner, __u32 netns, __u32 signal,
					 __u32 sub, __u64 amount)
{
	struct tt_count_key key = { .netns = netns, .signal = signal, .sub = sub };

	if (owner) {
		key.tgid = owner->tgid;
		key.cgroup = owner->cgroup;
	}
	count_key_add(&key, amount);
}

/*
 * Add to the counter of (owner of sk, signal, sub); sk may be NULL.  A socket
 * no hook saw made (a UDP socket opened since the start-up seed) has no
 * owner: userspace walks the open files again when some had events.
 */
static __always_inline void count_add(const struct sock *sk, __u32 netns, __u32 signal,
				      __u32 sub, __u64 amount)
{
	struct tt_owner buf, *owner = sk ? owner_of(sk, netns, &buf) : NULL;

	if (sk && !owner)
		health_inc(TT_H_UNOWNED);
	count_add_by(owner, netns, signal, sub, amount);
}

/* Add to the counter of a known owner (no owners lookup). */
static __always_inline void count_add_owner(__u32 tgid, __u64 cgroup, __u32 netns, __u32 signal,
					    __u32 sub, __u64 amount)
{
	struct tt_count_key key = { .tgid = tgid, .netns = netns, .cgroup = cgroup,
				    .signal = signal, .sub = sub };

	count_key_add(&key, amount);
}

#define S_IFMT 00170000
#define S_IFSOCK 0140000

/* The struct sock behind a file, or NULL when the file is not a socket. */
static __always_inline struct sock *file_sock(struct file *file)
{
	struct socket *sock;

	if (!file || (BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	sock = BPF_CORE_READ(file, private_data);
	return sock ? BPF_CORE_READ(sock, sk) : NULL;
}

static __always_inline bool proc_is(const struct tt_proc *p, const struct tt_owner *owner)
{
	const __u64 *a = (const __u64 *)p->comm, *b = (const __u64 *)owner->comm;

	return p->cgroup == owner->cgroup && a[0] == b[0] && a[1] == b[1];
}

/*
 * Remember what a tgid is called.  A process opens many sockets under one
 * name: an LRU update allocates (~160 ns here, `make bench`), a lookup does
 * not (~20 ns), so update procs only on change.
 */
static __always_inline void proc_note(const struct tt_owner *owner)
{
	struct tt_proc proc = {}, *known = bpf_map_lookup_elem(&procs, &owner->tgid);
	long ret;

	if (known && proc_is(known, owner))
		return;
	proc.cgroup = owner->cgroup;
	__builtin_memcpy(proc.comm, owner->comm, sizeof(proc.comm));
	if (known) { /* the same tgid under a new name (exec) */
		bpf_map_update_elem(&procs, &owner->tgid, &proc, BPF_ANY);
		return;
	}
	/* counted added only when this update made it, not another CPU's */
	ret = bpf_map_update_elem(&procs, &owner->tgid, &proc, BPF_NOEXIST);
	if (!ret)
		health_inc(TT_H_PROCS_ADDED);
	else if (ret != -EEXIST)
		health_inc(TT_H_PROCS_FULL);
}

/*
 * Each CPU notes the last task that owned a socket there, as an owner (tgid,
 * cgroup, comm), for one generation of counts (ctl's count_gen, moved on by
 * userspace every tick): struct tt_task_note.  A task connects, listens or
 * closes many times in a row: its cgroup id and comm cost ~50 ns and the
 * procs lookup 10-150 more (`make bench`'s single operations), a hit here a
 * few.  A cgroup move or an exec's new name shows at the next tick at the
 * latest.  Written in process context only (the callers of owner_current()).
 */
/*
 * The current task as an owner of a socket in netns (process context only),
 * and in procs (proc_note): on a miss of this CPU's task note only.
 */
static __always_inline void owner_current(struct tt_owner *o, __u32 netns)
{
	__u64 task = bpf_get_current_task(), pid_tgid = bpf_get_current_pid_tgid();
	__u32 gen = count_gen_now();
	struct tt_cpu_state *st = cpu_state();
	struct tt_task_note *n = st ? &st->task : NULL;

	o->tgid = pid_tgid >> 32;
	o->netns = netns;
	if (n && n->task == task && n->pid_tgid == pid_tgid && n->gen == gen) {
		o->cgroup = n->cgroup;
		__builtin_memcpy(o->comm, n->comm, sizeof(o->comm));
		return;
	}
	o->cgroup = bpf_get_current_cgroup_id();
	bpf_get_current_comm(o->comm, sizeof(o->comm));
	proc_note(o);
	if (!n)
		return;
	n->task = task;
	n->pid_tgid = pid_tgid;
	n->gen = gen;
	n->cgroup = o->cgroup;
	__builtin_memcpy(n->comm, o->comm, sizeof(n->comm));
}

/* Count an event of the current task (process context), which o becomes the owner of. */
static __always_inline void count_current(struct tt_owner *o, __u32 netns, __u32 signal,
					  __u32 sub, __u64 amount)
{
	owner_current(o, netns);
	count_add_owner(o->tgid, o->cgroup, netns, signal, sub, amount);
}

/* o owns sk, a listener on port: marked so, with its accept backlog, for userspace. */
static __always_inline void listener_note(const struct sock *sk, struct tt_owner *o, __u16 port)
{
	o->listening = 1;
	o->listen_port = port;
	o->listen_backlog = BPF_CORE_READ(sk, sk_max_ack_backlog);
}

/*
 * Record o as the owner of sk in `owners`.  A new socket takes one update;
 * one the agent knows already (listen, a close leaving unsent data) two, so
 * that only entries this update made are counted added.  o is a task's that
 * owner_current() noted in procs.
 */
static __always_inline void owner_set(const struct sock *sk, const struct tt_owner *o)
{
	__u64 skaddr = (__u64)sk;
	long ret = bpf_map_update_elem(&owners, &skaddr, o, BPF_NOEXIST);

	if (!ret)
		health_inc(TT_H_OWNERS_ADDED);
	else if (ret != -EEXIST || bpf_map_update_elem(&owners, &skaddr, o, BPF_EXIST))
		health_inc(TT_H_OWNERS_FULL);
}

/*
 * o owns sk, in sk's storage (storage_on() only, typed sk).  Made with o, or
 * rewritten when it named another process or o is a closer it did not know.
 */
static __always_inline void storage_put(const struct sock *sk, const struct tt_owner *o)
{
	struct tt_owner *s = bpf_sk_storage_get(&sk_owners, (void *)sk, (void *)o,
						BPF_SK_STORAGE_GET_F_CREATE);
	__u8 closer;

	if (!s) { /* not a full socket, or the socket's option memory is spent */
		health_inc(TT_H_OWNERS_FULL);
		return;
	}
	if (s->tgid == o->tgid && s->closer >= o->closer)
		return;
	closer = s->closer | o->closer;
	*s = *o;
	s->closer = closer;
}

/* A connect(): o owns sk, in the socket's storage when on, else in `owners`. */
static __always_inline void owner_remember(const struct sock *sk, const struct tt_owner *o)
{
	if (storage_on())
		storage_put(sk, o);
	else
		owner_set(sk, o);
}

/* In storage mode the storage, which owner_of() reads first, learns o too (typed sk). */
static __always_inline void storage_keep(const struct sock *sk, const struct tt_owner *o)
{
	if (storage_on())
		storage_put(sk, o);
}

/* The addresses of a flow key from a typed socket: v4 as v4-mapped v6 (below). */
static __always_inline void flow_addrs_plain(const struct sock_common *skc, struct tt_flow_key *fk)
{
	if (fk->family == AF_INET6) {
		__builtin_memcpy(fk->saddr, &skc->skc_v6_rcv_saddr, 16);
		__builtin_memcpy(fk->daddr, &skc->skc_v6_daddr, 16);
		return;
	}
	fk->saddr[10] = fk->saddr[11] = 0xff;
	fk->daddr[10] = fk->daddr[11] = 0xff;
	__builtin_memcpy(&fk->saddr[12], &skc->skc_rcv_saddr, 4);
	__builtin_memcpy(&fk->daddr[12], &skc->skc_daddr, 4);
}

/* Fill a flow key (local = s, remote = d) from a hook's socket argument in netns (arg_netns()). */
static __always_inline void flow_from_sk(const struct sock *sk, __u32 netns, struct tt_flow_key *fk)
{
	const struct sock_common *skc = &sk->__sk_common;
	__u16 family = ARG_READ(skc->skc_family, sk, __sk_common.skc_family);

	fk->family = family;
	fk->sport = ARG_READ(skc->skc_num, sk, __sk_common.skc_num);
	fk->dport = __builtin_bswap16(ARG_READ(skc->skc_dport, sk, __sk_common.skc_dport));
	fk->netns = netns;
	if (storage_on()) { /* typed: plain loads */
		flow_addrs_plain(skc, fk);
		return;
	}
	/* bpf_core_read with explicit sizes: BPF_CORE_READ_INTO would copy sizeof(*dst) = 1 byte */
	if (family == AF_INET6) {
		bpf_core_read(fk->saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(fk->daddr, 16, &sk->__sk_common.skc_v6_daddr);
		return;
	}
	/* v4-mapped ::ffff:a.b.c.d so userspace handles one address form */
	fk->saddr[10] = fk->saddr[11] = 0xff;
	fk->daddr[10] = fk->daddr[11] = 0xff;
	bpf_core_read(&fk->saddr[12], 4, &sk->__sk_common.skc_rcv_saddr);
	bpf_core_read(&fk->daddr[12], 4, &sk->__sk_common.skc_daddr);
}

/* The flows entry of key, made (with tgid, its owner's; 0: unknown) when missing; NULL if full. */
static __always_inline struct tt_flow_val *flow_entry(const struct tt_flow_key *key, __u32 tgid)
{
	struct tt_flow_val *val, init = {};

	val = bpf_map_lookup_elem(&flows, key);
	if (val)
		return val;
	init.tgid = tgid;
	/* refused because another CPU just made it is not full */
	if (!bpf_map_update_elem(&flows, key, &init, BPF_NOEXIST))
		health_inc(TT_H_FLOWS_ADDED);
	val = bpf_map_lookup_elem(&flows, key);
	if (!val)
		health_inc(TT_H_FLOWS_FULL);
	return val;
}

/*
 * One hook, three ways to attach it: tp_btf (cheapest, typed), raw_tp, and the
 * classic tracepoint (whose record layout differs, so it gets its own body).
 * The loader picks one per hook and disables the others' autoload.
 */
#define TT_HOOK_BTF_RAW(name, tp, call, args...)                   \
	SEC("tp_btf/" tp) int BPF_PROG(name##__btf, args) { call; return 0; } \
	SEC("raw_tp/" tp) int BPF_PROG(name##__raw, args) { call; return 0; }

#endif /* __TT_COMMON_BPF_H */
