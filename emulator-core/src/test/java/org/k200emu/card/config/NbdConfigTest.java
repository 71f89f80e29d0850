package org.k200emu.card.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.k200emu.card.config.CardConfig.Format;
import org.k200emu.card.config.CardConfig.NbdConfig;
import org.k200emu.card.config.CardConfig.NbdExportConfig;

/** The {@code nbd} block of the card's configuration: defaults, fields, and path-named errors. */
class NbdConfigTest {

    private static final String BDEVS = """
            bdevs:
              - {name: m0, type: malloc, size: 16MiB}
              - {name: m1, type: malloc, size: 16MiB}
              - {name: q0, type: qos, member: m1, iops: 1000}
              - {name: store, type: lvstore, member: m0, volumes: [{name: v1, size: 4MiB}]}
            ports: [{port: 4420}]
            """;

    private static CardConfig parse(String nbd) {
        return CardConfig.parse(BDEVS + nbd, Format.YAML);
    }

    @Test
    void withoutTheBlockThereIsNoNbdServer() {
        assertThat(parse("").nbd()).isNull();
        assertThat(CardConfig.embeddedDefault().nbd()).isNull();
    }

    @Test
    void defaultsAndEveryField() {
        NbdConfig minimal = parse("nbd: {exports: [{bdev: q0}]}").nbd();
        assertThat(minimal).isEqualTo(new NbdConfig("127.0.0.1", 10809, List.of(new NbdExportConfig("q0", "q0", false))));
        NbdConfig full = parse("""
                nbd:
                  listen: 0.0.0.0
                  port: 10900
                  exports:
                    - {name: disk0, bdev: q0}
                    - {name: vol, bdev: store/v1, readOnly: true}
                """).nbd();
        assertThat(full).isEqualTo(new NbdConfig("0.0.0.0", 10900, List.of(new NbdExportConfig("disk0", "q0", false),
                new NbdExportConfig("vol", "store/v1", true))));
        assertThat(CardConfig.parse("{\"ports\":[{}],\"bdevs\":[{\"name\":\"n\",\"type\":\"null\",\"size\":4096}],"
                + "\"nbd\":{\"port\":0,\"exports\":[{\"bdev\":\"n\"}]}}", Format.JSON).nbd().port()).isZero();
        // The mode does not matter, and a namespace's bdev may be exported too.
        assertThat(parse("mode: coprocessor\nnbd: {exports: [{bdev: q0}]}").withMode("standalone").nbd().exports())
                .hasSize(1);
    }

    @Test
    void errorsNameTheField() {
        bad("nbd: {exports: []}", "nbd.exports", "at least one export");
        bad("nbd: {}", "nbd.exports", "at least one export");
        bad("nbd: {port: 70000, exports: [{bdev: q0}]}", "nbd.port", "0..65535");
        bad("nbd: {listen: localhost, exports: [{bdev: q0}]}", "nbd.listen", "address literal");
        bad("nbd: {port: 4420, exports: [{bdev: q0}]}", "nbd.port", "already an NVMe/TCP port");
        bad("nbd: {port: 8009, exports: [{bdev: q0}]}", "nbd.port", "already an NVMe/TCP port");
        bad("nbd: {exports: [{name: x}]}", "nbd.exports[0].bdev", "needs a bdev");
        bad("nbd: {exports: [{bdev: nope}]}", "nbd.exports[0].bdev", "no bdev named 'nope'");
        bad("nbd: {exports: [{bdev: m1}]}", "nbd.exports[0].bdev", "member of another bdev");
        bad("nbd: {exports: [{bdev: store}]}", "nbd.exports[0].bdev", "volume store");
        bad("nbd: {exports: [{bdev: q0}, {name: q0, bdev: store/v1}]}", "nbd.exports[1].name", "duplicate export");
        bad("nbd: {exports: [{name: '', bdev: q0}]}", "nbd.exports[0].name", "1-4096 bytes");
        bad("nbd: {exports: [{bdev: q0, readOnly: yes please}]}", "nbd.exports[0].readOnly", "true or false");
        bad("nbd: {exports: [{bdev: q0, size: 1}]}", "nbd.exports[0].size", "unknown field");
        bad("nbd: {exprots: [{bdev: q0}]}", "nbd.exprots", "unknown field");
        bad("nbd: [1]", "nbd", "mapping");
    }

    private static void bad(String nbd, String path, String reason) {
        assertThatThrownBy(() -> parse(nbd))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> {
                    assertThat(((ConfigException) e).path()).isEqualTo(path);
                    assertThat(((ConfigException) e).reason()).contains(reason);
                });
    }
}
