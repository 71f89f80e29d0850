package org.k200emu.cli.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.k200emu.card.config.CardConfig;
import org.k200emu.cli.K200;
import org.k200emu.cli.start.CardProcess;
import org.k200emu.cli.start.ManagementServer;
import org.k200emu.cli.start.StartOverrides;

/** {@code k200 ctl} against a card running in this JVM with its management endpoint. */
class CtlCommandTest {

    private static String[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = K200.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    @Test
    void statusAndPathsOfARunningCard() throws Exception {
        try (CardProcess card = CardProcess.start(CardConfig.embeddedDefault(), new StartOverrides("127.0.0.1", 0, -1, 2));
             ManagementServer m = ManagementServer.start(card, "127.0.0.1", 0)) {
            String port = Integer.toString(m.address().getPort());
            String[] status = run("ctl", "status", "--port", port);
            assertThat(status[0]).as(status[2]).isEqualTo("0");
            assertThat(status[1]).contains("mode standalone", "cluster 0 (control plane): 16 cores",
                    "cluster 4 (data plane)", "subsystem nqn.2014-08.org.k200emu:default",
                    "nsid 1: bdev malloc0 (malloc), 1073741824 bytes", "no remote paths");
            String[] json = run("ctl", "paths", "--json", "--port", port);
            assertThat(json[1]).contains("\"remotePaths\" : [ ]", "\"mode\" : \"standalone\"");
            long allocated = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json[1])
                    .path("hostThreadsAllocatedBytes").asLong(-2);
            assertThat(allocated).as("the host threads' allocation is reported (HotSpot counts it)")
                    .isGreaterThanOrEqualTo(0);
        }
    }

    @Test
    void statusShowsTheAcceleratorsWork(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path key = dir.resolve("vol.key");
        java.nio.file.Files.write(key, org.k200emu.testing.Bytes.random(5, 64));
        CardConfig config = CardConfig.parse(String.join("\n",
                "clusters: {hostThreads: 2}",
                "accelerators: {engines: 8, pace: true}",
                "bdevs:",
                "  - {name: m0, type: malloc, size: 16MiB}",
                "  - {name: sealed, type: crypt, member: m0, keyFile: '" + key + "'}",
                "ports: [{port: 0}]",
                "discoveryPort: -1"), CardConfig.Format.YAML);
        try (CardProcess card = CardProcess.start(config, StartOverrides.none());
             ManagementServer m = ManagementServer.start(card, "127.0.0.1", 0)) {
            // One 4 KiB write through the crypt bdev on a core of cluster 3.
            org.k200emu.cluster.SimCore core = card.mppa().core(org.k200emu.cluster.CoreId.of(3, 2));
            org.k200emu.bdev.Bdev sealed = card.bdev("sealed");
            io.netty.buffer.ByteBuf data = io.netty.buffer.Unpooled.wrappedBuffer(new byte[4096]);
            java.util.concurrent.CompletableFuture<Integer> done = new java.util.concurrent.CompletableFuture<>();
            org.k200emu.bdev.BdevIo io = new org.k200emu.bdev.BdevIo();
            core.execute(() -> sealed.submit(io.prepare(org.k200emu.bdev.BdevOp.WRITE, 0, 8, data, core,
                    d -> done.complete(d.status()), null)));
            assertThat(done.get(5, java.util.concurrent.TimeUnit.SECONDS)).isZero();
            data.release();

            String port = Integer.toString(m.address().getPort());
            String[] status = run("ctl", "status", "--port", port);
            assertThat(status[0]).as(status[2]).isEqualTo("0");
            assertThat(status[1]).contains("accelerators: 8 engines per kind per cluster; crypto 5.00, hash 4.00,"
                    + " ec 6.00 GB/s per cluster; 1500 cycles per job; paced",
                    "cluster 3  crypto 1 jobs, 4096 bytes, utilisation ");
            String[] json = run("ctl", "status", "--json", "--port", port);
            assertThat(json[1]).contains("\"kind\" : \"crypto\"", "\"bytes\" : 4096", "\"busyNanos\" : 6554");
        }
    }

    @Test
    void noCardIsOneClearLine() throws Exception {
        int free;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            free = s.getLocalPort();
        }
        String[] r = run("ctl", "status", "--port", Integer.toString(free));
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2].strip().lines()).hasSize(1);
        assertThat(r[2]).contains("no card answers on 127.0.0.1:" + free);
        assertThat(run("ctl", "bogus")[0]).isEqualTo("2");
    }
    @Test
    void servicesAndNamespacesAtRunTime() throws Exception {
        CardConfig config = CardConfig.parse(String.join("\n",
                "clusters: {hostThreads: 2}",
                "bdevs:",
                "  - {name: m0, type: malloc, size: 64MiB}",
                "  - {name: m1, type: malloc, size: 32MiB}",
                "  - {name: vg, type: lvstore, member: m1, volumes: [{name: data, size: 8MiB}]}",
                "subsystems: [{nqn: 'nqn.2014-08.org.k200emu:s', namespaces: [{bdev: m0}]}]",
                "ports: [{port: 0}]",
                "discoveryPort: -1"), CardConfig.Format.YAML);
        try (CardProcess card = CardProcess.start(config, StartOverrides.none());
             ManagementServer m = ManagementServer.start(card, "127.0.0.1", 0)) {
            String port = Integer.toString(m.address().getPort());
            String[] added = run("ctl", "bdev-add", "{name: limited, type: qos, member: vg/data, iops: 5000}",
                    "--port", port);
            assertThat(added[0]).as(added[2]).isEqualTo("0");
            assertThat(added[1]).contains("limited");
            String[] ns = run("ctl", "ns-add", "nqn.2014-08.org.k200emu:s", "limited", "--port", port);
            assertThat(ns[0]).as(ns[2]).isEqualTo("0");
            assertThat(ns[1]).contains("\"nsid\" : 2");
            assertThat(card.subsystems().get(0).namespaces()).containsKeys(1, 2);
            String[] snap = run("ctl", "snapshot", "vg", "data", "snap1", "--port", port);
            assertThat(snap[0]).as(snap[2]).isEqualTo("0");
            assertThat(snap[1]).contains("vg/snap1");
            String[] clone = run("ctl", "clone", "vg", "snap1", "work", "--port", port);
            assertThat(clone[0]).as(clone[2]).isEqualTo("0");
            assertThat(run("ctl", "ns-add", "nqn.2014-08.org.k200emu:s", "vg/work", "--port", port)[0]).isEqualTo("0");
            String[] status = run("ctl", "status", "--port", port);
            assertThat(status[1]).contains("bdev limited (qos)", "bdev vg/work (lvol)",
                    "qos limits: 5000 IOPS", "class default (weight 1)");

            String[] bad = run("ctl", "bdev-add", "{name: x, type: crypt, member: nothere, keyFile: k}", "--port", port);
            assertThat(bad[0]).isEqualTo("1");
            assertThat(bad[2]).contains("the card refused", "no bdev named 'nothere'");
            String[] twice = run("ctl", "ns-add", "nqn.2014-08.org.k200emu:s", "m0", "--port", port);
            assertThat(twice[0]).isEqualTo("1");
            assertThat(twice[2]).contains("already backs namespace 1");
            assertThat(run("ctl", "snapshot", "vg", "--port", port)[0]).as("missing arguments").isEqualTo("2");

            // QoS limits at run time: the total, then one class; the bdev itself holds what ctl said.
            String[] qos = run("ctl", "qos", "limited", "200", "1MiB", "--port", port);
            assertThat(qos[0]).as(qos[2]).isEqualTo("0");
            org.k200emu.bdev.qos.QosBdev limited = (org.k200emu.bdev.qos.QosBdev) card.bdev("limited");
            assertThat(limited.limits()).isEqualTo(new org.k200emu.bdev.qos.QosLimits(200, 1 << 20));
            assertThat(run("ctl", "qos", "limited", "50", "0", "default", "--port", port)[0]).isEqualTo("0");
            assertThat(limited.snapshot().of("default").limits()).isEqualTo(new org.k200emu.bdev.qos.QosLimits(50, 0));
            assertThat(run("ctl", "status", "--port", port)[1]).contains("qos limits: 200 IOPS, 1048576 bytes/s");
            String[] notQos = run("ctl", "qos", "m0", "10", "0", "--port", port);
            assertThat(notQos[0]).isEqualTo("1");
            assertThat(notQos[2]).contains("bdev m0 is not a qos bdev");
            String[] noClass = run("ctl", "qos", "limited", "10", "0", "gold", "--port", port);
            assertThat(noClass[0]).isEqualTo("1");
            assertThat(noClass[2]).contains("no QoS class gold");
            String[] badRate = run("ctl", "qos", "limited", "fast", "0", "--port", port);
            assertThat(badRate[0]).isEqualTo("2");
            assertThat(badRate[2]).contains("usage: k200 ctl qos BDEV IOPS BANDWIDTH [CLASS]", "'fast'");
            assertThat(run("ctl", "qos", "limited", "-5", "0", "--port", port)[0]).isEqualTo("2");
            assertThat(limited.limits()).as("refused requests change nothing")
                    .isEqualTo(new org.k200emu.bdev.qos.QosLimits(200, 1 << 20));
        }
    }
}
