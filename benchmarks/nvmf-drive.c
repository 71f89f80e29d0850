/*
 * nvmf-drive: a small NVMe/TCP initiator in C that keeps one I/O queue at a fixed depth (closed
 * loop, as `k200 bench` and SPDK's perf do) on a socket it polls, and reports IOPS and latency.
 * benchmarks/target-vs-loopback.sh runs it against the same k200 target in the same run as
 * `k200 bench`, so that the table shows how much of a figure is the target's and how much the
 * Java initiator's. Deliberately small: no digests, no R2T (writes up to the controller's
 * in-capsule size), one namespace, one queue; reads land in the socket buffer it receives
 * into (one copy, by the kernel, as a read into the caller's buffer would be).
 *
 *   cc -O2 -o nvmf-drive benchmarks/nvmf-drive.c
 *   nvmf-drive -a 127.0.0.1 -p 4420 -n NQN -w randread|randwrite -b 4096 -q 32 -t 10 -r 2
 *              [-N nsid] [-c cpu] [-C congestion] [-o result.json]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

enum { ICREQ = 0x00, ICRESP = 0x01, C2H_TERM = 0x03, CMD = 0x04, RESP = 0x05, C2H_DATA = 0x07 };
enum { FLAG_SUCCESS = 0x08 };
enum { CMD_HLEN = 72 };
enum { SGL_IN_CAPSULE = 0x01, SGL_TRANSPORT = 0x5A, PSDT_SGL = 0x40 };
enum { MAX_DEPTH = 1024, RECV_BUF = 1 << 20, MAX_IOV = 1024 };

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("nvmf-drive: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void put16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = v >> (8 * i); }
static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = v >> (8 * i); }
static uint16_t get16(const uint8_t *p) { return p[0] | p[1] << 8; }
static uint32_t get32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t) p[3] << 24; }
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t) get32(p + 4) << 32; }

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t) t.tv_sec * 1000000000u + t.tv_nsec;
}

/* ---- Latency histogram: 64 linear sub-buckets per power of two (under 1.6% error). ---- */

enum { SUB = 64, BUCKETS = 64 * SUB };
static uint64_t hist[BUCKETS];

static int bucket_of(uint64_t v) {
    if (v < SUB) return (int) v;
    int msb = 63 - __builtin_clzll(v);
    return (msb - 5) * SUB + (int) ((v >> (msb - 6)) & (SUB - 1));
}

static uint64_t value_of(int b) {
    if (b < SUB) return b;
    int msb = b / SUB + 5;
    return ((uint64_t) (SUB + b % SUB) << (msb - 6)) + ((uint64_t) 1 << (msb - 6)) / 2;
}

static double percentile_us(uint64_t count, double p) {
    uint64_t want = (uint64_t) (p / 100.0 * count + 0.5), seen = 0;
    if (want == 0) want = 1;
    for (int b = 0; b < BUCKETS; b++) {
        seen += hist[b];
        if (seen >= want) return value_of(b) / 1000.0;
    }
    return 0;
}

/* ---- One connection: blocking while it is set up, polled for I/O. ---- */

struct conn {
    int fd;
    uint8_t *buf;      /* received bytes [pos, fill) not yet parsed */
    size_t pos, fill;
};

static void send_all(struct conn *c, const void *p, size_t n) {
    while (n > 0) {
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) die("send: %s", strerror(errno));
        p = (const uint8_t *) p + w;
        n -= w;
    }
}

/* The next whole PDU (blocking), or NULL when none is buffered and wait is 0. */
static uint8_t *next_pdu(struct conn *c, int wait) {
    for (;;) {
        size_t have = c->fill - c->pos;
        if (have >= 8) {
            uint32_t plen = get32(c->buf + c->pos + 4);
            if (plen < 8 || plen > RECV_BUF / 2) die("PDU of %u bytes", plen);
            if (have >= plen) {
                uint8_t *p = c->buf + c->pos;
                c->pos += plen;
                return p;
            }
        }
        if (c->pos > 0 && (c->fill == c->pos || c->pos > RECV_BUF / 2)) {
            memmove(c->buf, c->buf + c->pos, have);
            c->fill = have;
            c->pos = 0;
        }
        ssize_t r = recv(c->fd, c->buf + c->fill, RECV_BUF - c->fill, wait ? 0 : MSG_DONTWAIT);
        if (r > 0) {
            c->fill += r;
            continue;
        }
        if (r == 0) die("connection closed by the target");
        if (errno == EAGAIN || errno == EWOULDBLOCK) return NULL;
        if (errno != EINTR) die("recv: %s", strerror(errno));
    }
}

static void check_pdu(const uint8_t *p) {
    if (p[0] == C2H_TERM) die("the target terminated the connection (FES %u)", get16(p + 8));
}

static void open_conn(struct conn *c, const char *addr, int port, const char *cc) {
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0) die("socket: %s", strerror(errno));
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (cc && setsockopt(c->fd, IPPROTO_TCP, TCP_CONGESTION, cc, strlen(cc)) != 0)
        die("TCP congestion control %s: %s", cc, strerror(errno));
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) die("not an IPv4 address: %s", addr);
    if (connect(c->fd, (struct sockaddr *) &sa, sizeof sa) != 0) die("connect %s:%d: %s", addr, port, strerror(errno));
    c->buf = aligned_alloc(4096, RECV_BUF);
    c->pos = c->fill = 0;
    uint8_t icreq[128] = { ICREQ, 0, 128, 0 };
    put32(icreq + 4, 128);  /* PFV 0, HPDA 0, no digests, MAXR2T 0 */
    send_all(c, icreq, sizeof icreq);
    uint8_t *r = next_pdu(c, 1);
    check_pdu(r);
    if (r[0] != ICRESP || get32(r + 4) != 128) die("expected an ICResp, got PDU type %u", r[0]);
    if (get16(r + 8) != 0 || r[10] != 0 || r[11] != 0) die("ICResp asks for PFV/CPDA/digests this tool lacks");
}

/* A command capsule: 8-byte PDU header then the 64-byte SQE; in-capsule data follows it. */
static void capsule(uint8_t *h, uint8_t opcode, uint16_t cid, uint32_t data_len, uint8_t sgl, uint32_t sgl_len) {
    memset(h, 0, CMD_HLEN);
    h[0] = CMD;
    h[2] = CMD_HLEN;
    h[3] = data_len ? CMD_HLEN : 0;
    put32(h + 4, CMD_HLEN + data_len);
    uint8_t *sqe = h + 8;
    sqe[0] = opcode;
    sqe[1] = PSDT_SGL;
    put16(sqe + 2, cid);
    put32(sqe + 32, sgl_len);
    sqe[39] = sgl;
}

/* Runs one command on a connection during set-up and waits for its response; data-in lands in in. */
static uint16_t run(struct conn *c, uint8_t *h, const void *data, uint32_t data_len, uint8_t *in, uint32_t in_len,
                    uint32_t *dw0) {
    send_all(c, h, CMD_HLEN);
    if (data_len) send_all(c, data, data_len);
    for (;;) {
        uint8_t *p = next_pdu(c, 1);
        check_pdu(p);
        if (p[0] == C2H_DATA) {
            uint32_t off = get32(p + 12), len = get32(p + 16);
            if (off > in_len || len > in_len - off) die("C2HData beyond the command's %u bytes", in_len);
            if (len) memcpy(in + off, p + p[3], len);
            if (p[1] & FLAG_SUCCESS) return 0;
        } else if (p[0] == RESP) {
            if (dw0) *dw0 = get32(p + 8);
            return get16(p + 22) >> 1;
        } else {
            die("unexpected PDU type %u during set-up", p[0]);
        }
    }
}

static void fabrics_connect(struct conn *c, uint16_t qid, uint16_t cntlid, uint16_t sqsize, uint8_t cattr,
                            const char *subnqn, uint32_t *dw0) {
    uint8_t h[CMD_HLEN], data[1024] = { 0 };
    capsule(h, 0x7F, 0, sizeof data, SGL_IN_CAPSULE, sizeof data);
    uint8_t *sqe = h + 8;
    sqe[4] = 0x01;  /* FCTYPE Connect */
    put16(sqe + 42, qid);
    put16(sqe + 44, sqsize);
    sqe[46] = cattr;
    for (int i = 0; i < 16; i++) data[i] = (uint8_t) (0x5A + i);  /* HOSTID */
    put16(data + 16, cntlid);
    snprintf((char *) data + 256, 256, "%s", subnqn);
    snprintf((char *) data + 512, 256, "nqn.2014-08.org.k200emu:nvmf-drive");
    uint16_t st = run(c, h, data, sizeof data, NULL, 0, dw0);
    if (st) die("Connect (queue %u) failed: status 0x%x", qid, st);
}

static uint64_t property(struct conn *c, int set, uint32_t offset, int size8, uint64_t value) {
    uint8_t h[CMD_HLEN];
    capsule(h, 0x7F, 0, 0, SGL_TRANSPORT, 0);
    uint8_t *sqe = h + 8;
    sqe[4] = set ? 0x00 : 0x04;
    sqe[40] = size8 ? 1 : 0;
    put32(sqe + 44, offset);
    if (set) put64(sqe + 48, value);
    uint32_t dw0 = 0;
    uint16_t st = run(c, h, NULL, 0, NULL, 0, &dw0);
    if (st) die("Property %s %xh failed: status 0x%x", set ? "Set" : "Get", offset, st);
    return dw0;
}

/* ---- The I/O queue. ---- */

struct slot {
    uint8_t header[CMD_HLEN];
    uint8_t *data;
    uint64_t start;
};

static struct slot slots[MAX_DEPTH];
static struct iovec iov[MAX_IOV];
static int iov_count;
static size_t iov_skip;  /* bytes of iov[0] already written */

static void flush(int fd) {
    while (iov_count > 0) {
        iov[0].iov_base = (uint8_t *) iov[0].iov_base + iov_skip;
        iov[0].iov_len -= iov_skip;
        iov_skip = 0;
        ssize_t w = writev(fd, iov, iov_count);  /* at most MAX_IOV, Linux's IOV_MAX */
        if (w < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
            die("writev: %s", strerror(errno));
        }
        int i = 0;
        while (i < iov_count && (size_t) w >= iov[i].iov_len) w -= iov[i++].iov_len;
        memmove(iov, iov + i, (iov_count - i) * sizeof *iov);
        iov_count -= i;
        iov_skip = w;
        if (iov_count > 0) return;  /* the socket is full: read, then try again */
    }
}

static uint64_t rng = 0x9E3779B97F4A7C15u;
static uint64_t next_random(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

int main(int argc, char **argv) {
    const char *addr = "127.0.0.1", *subnqn = NULL, *rw = "randread", *cc = NULL, *out = NULL;
    int port = 4420, depth = 32, runtime = 10, ramp = 2, cpu = -1;
    uint32_t nsid = 1, bs = 4096;
    int opt;
    while ((opt = getopt(argc, argv, "a:p:n:N:w:b:q:t:r:c:C:o:")) != -1) {
        switch (opt) {
            case 'a': addr = optarg; break;
            case 'p': port = atoi(optarg); break;
            case 'n': subnqn = optarg; break;
            case 'N': nsid = strtoul(optarg, NULL, 0); break;
            case 'w': rw = optarg; break;
            case 'b': bs = strtoul(optarg, NULL, 0); break;
            case 'q': depth = atoi(optarg); break;
            case 't': runtime = atoi(optarg); break;
            case 'r': ramp = atoi(optarg); break;
            case 'c': cpu = atoi(optarg); break;
            case 'C': cc = optarg; break;
            case 'o': out = optarg; break;
            default: die("usage: see the comment at the top of nvmf-drive.c");
        }
    }
    int writes = strcmp(rw, "randwrite") == 0;
    if (!subnqn) die("-n SUBNQN is required");
    if (!writes && strcmp(rw, "randread") != 0) die("-w must be randread or randwrite, not %s", rw);
    if (depth < 1 || depth > MAX_DEPTH || depth * 2 > MAX_IOV) die("-q must be 1..%d", MAX_IOV / 2);
    if (bs == 0 || bs % 512 != 0 || bs > RECV_BUF / 4) die("-b must be a multiple of 512 up to %d", RECV_BUF / 4);
    if (runtime < 1 || ramp < 0) die("-t must be at least 1 and -r at least 0");
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (sched_setaffinity(0, sizeof set, &set) != 0) die("CPU %d: %s", cpu, strerror(errno));
    }

    /* The admin queue: Connect, enable the controller, ask for one I/O queue, read the namespace. */
    struct conn admin, io;
    open_conn(&admin, addr, port, cc);
    uint32_t dw0 = 0;
    fabrics_connect(&admin, 0, 0xFFFF, 31, 0, subnqn, &dw0);
    uint16_t cntlid = dw0 & 0xFFFF;
    uint64_t cap = property(&admin, 0, 0x00, 1, 0);
    property(&admin, 1, 0x14, 0, 1 | 6 << 16 | 4 << 20);
    uint64_t deadline = now_ns() + ((cap >> 24 & 0xFF) + 1) * 500000000ull;
    while (!(property(&admin, 0, 0x1C, 0, 0) & 1)) {
        if (now_ns() > deadline) die("controller not ready within CAP.TO");
        usleep(10000);
    }
    uint8_t h[CMD_HLEN];
    capsule(h, 0x09, 1, 0, SGL_TRANSPORT, 0);
    put32(h + 8 + 40, 0x07);  /* Set Features: Number of Queues, one of each */
    if (run(&admin, h, NULL, 0, NULL, 0, NULL)) die("Set Features (Number of Queues) failed");
    static uint8_t ident[4096];
    capsule(h, 0x06, 2, 0, SGL_TRANSPORT, sizeof ident);
    put32(h + 8 + 40, 0x01);  /* Identify Controller, for IOCCSZ */
    if (run(&admin, h, NULL, 0, ident, sizeof ident, NULL)) die("Identify Controller failed");
    uint32_t ioccsz = get32(ident + 1792);  /* in 16-byte units, the 64-byte SQE included */
    uint32_t in_capsule = ioccsz > 4 ? ioccsz * 16 - 64 : 0;
    capsule(h, 0x06, 3, 0, SGL_TRANSPORT, sizeof ident);
    put32(h + 8 + 4, nsid);
    put32(h + 8 + 40, 0x00);
    if (run(&admin, h, NULL, 0, ident, sizeof ident, NULL)) die("Identify Namespace %u failed", nsid);
    uint64_t nsze = get64(ident);
    int lbads = ident[128 + 4 * (ident[26] & 0xF) + 2];
    if (nsze == 0 || lbads < 9) die("namespace %u is not usable (size %llu, LBA data size 2^%d)", nsid,
                                    (unsigned long long) nsze, lbads);
    uint32_t lba_size = 1u << lbads;
    if (bs % lba_size) die("-b %u is not a multiple of the namespace's %u-byte blocks", bs, lba_size);
    if (writes && bs > in_capsule) die("writes of %u bytes exceed the in-capsule limit (%u): no R2T here", bs,
                                       in_capsule);
    uint64_t positions = nsze / (bs / lba_size);

    /* The I/O queue: SQ flow control disabled, as k200 bench asks (reads then end with C2HData SUCCESS). */
    open_conn(&io, addr, port, cc);
    fabrics_connect(&io, 1, cntlid, depth, 0x04, subnqn, NULL);  /* SQSIZE: depth + 1 entries */
    if (fcntl(io.fd, F_SETFL, fcntl(io.fd, F_GETFL) | O_NONBLOCK) != 0) die("O_NONBLOCK: %s", strerror(errno));
    for (int i = 0; i < depth; i++) {
        slots[i].data = aligned_alloc(4096, bs);
        memset(slots[i].data, 0xA5, bs);
    }

    uint64_t t0 = now_ns();
    uint64_t measure_from = t0 + (uint64_t) ramp * 1000000000u;
    uint64_t stop_at = measure_from + (uint64_t) runtime * 1000000000u;
    uint64_t ios = 0, errors = 0, lat_sum = 0;
    int active = depth;
    for (int i = 0; i < depth; i++) {
        struct slot *s = &slots[i];
        uint64_t lba = next_random() % positions * (bs / lba_size);
        capsule(s->header, writes ? 0x01 : 0x02, i, writes ? bs : 0, writes ? SGL_IN_CAPSULE : SGL_TRANSPORT, bs);
        put32(s->header + 8 + 4, nsid);
        put64(s->header + 8 + 40, lba);
        put32(s->header + 8 + 48, bs / lba_size - 1);
        s->start = now_ns();
        iov[iov_count++] = (struct iovec) { s->header, CMD_HLEN };
        if (writes) iov[iov_count++] = (struct iovec) { s->data, bs };
    }
    unsigned idle = 0;
    while (active > 0) {
        flush(io.fd);
        uint8_t *p;
        if (++idle % 65536 == 0 && now_ns() > stop_at + 10000000000ull) {
            die("%d command(s) unanswered 10 s after the end", active);
        }
        while ((p = next_pdu(&io, 0)) != NULL) {
            idle = 0;
            int done;
            uint16_t cid, status = 0;
            if (p[0] == RESP) {
                cid = get16(p + 20);
                status = get16(p + 22) >> 1;
                done = 1;
            } else if (p[0] == C2H_DATA) {
                cid = get16(p + 8);
                uint32_t off = get32(p + 12), len = get32(p + 16);
                if (off > bs || len > bs - off) die("C2HData beyond the read");
                done = (p[1] & FLAG_SUCCESS) != 0;
            } else {
                check_pdu(p);
                die("unexpected PDU type %u", p[0]);
            }
            if (cid >= depth) die("response for unknown command %u", cid);
            if (!done) continue;
            struct slot *s = &slots[cid];
            uint64_t now = now_ns();
            if (status) errors++;
            if (s->start >= measure_from && now <= stop_at) {
                uint64_t lat = now - s->start;
                ios++;
                lat_sum += lat;
                hist[bucket_of(lat)]++;
            }
            if (now >= stop_at || errors > 1000) {
                active--;
                continue;
            }
            put64(s->header + 8 + 40, next_random() % positions * (bs / lba_size));
            s->start = now;
            iov[iov_count++] = (struct iovec) { s->header, CMD_HLEN };
            if (writes) iov[iov_count++] = (struct iovec) { s->data, bs };
        }
    }
    double seconds = runtime;
    double iops = ios / seconds;
    char result[1024];
    snprintf(result, sizeof result,
             "{\"tool\": \"nvmf-drive\", \"rw\": \"%s\", \"bs\": %u, \"iodepth\": %d, \"runtime_s\": %d, "
             "\"ios\": %llu, \"iops\": %.1f, \"mbps\": %.1f, \"lat_mean_us\": %.2f, \"lat_p50_us\": %.2f, "
             "\"lat_p99_us\": %.2f, \"lat_p999_us\": %.2f, \"errors\": %llu}\n",
             rw, bs, depth, runtime, (unsigned long long) ios, iops, iops * bs / 1e6,
             ios ? lat_sum / 1000.0 / ios : 0.0, percentile_us(ios, 50), percentile_us(ios, 99),
             percentile_us(ios, 99.9), (unsigned long long) errors);
    fputs(result, stdout);
    if (out) {
        FILE *f = fopen(out, "w");
        if (!f) die("%s: %s", out, strerror(errno));
        fputs(result, f);
        fclose(f);
    }
    close(io.fd);
    close(admin.fd);
    return errors ? 2 : 0;
}
