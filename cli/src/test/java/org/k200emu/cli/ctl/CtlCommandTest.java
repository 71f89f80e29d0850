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
}
