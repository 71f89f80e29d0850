package org.k200emu.card.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.k200emu.card.config.CardConfig.BdevConfig;
import org.k200emu.card.config.CardConfig.Clusters;
import org.k200emu.card.config.CardConfig.Format;
import org.k200emu.card.config.CardConfig.NamespaceConfig;
import org.k200emu.card.config.CardConfig.PortConfig;
import org.k200emu.card.config.CardConfig.SubsystemConfig;

class CardConfigTest {

    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;
    private static final String HOST_NQN = "nqn.2014-08.org.nvmexpress:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6";
    private static final String DEFAULT_MODEL = "K200-LP emulated NVMe";
    private static final String SIZE_SYNTAX = "must be a size such as 1GiB, 512MiB or a number of bytes";

    /** Every section, most fields set away from their defaults. */
    private static final String FULL_YAML = """
            ddr: 24GiB
            clusters:
              count: 4
              coresPerCluster: 8
              controlPlaneClusters: 2
              hostThreads: 6
              idle: spin
            bdevs:
              - name: malloc0
                type: malloc
                size: 64MiB
              - name: null0
                type: "null"
                size: 1TiB
                blockSize: 4096
              - name: disk0
                type: file
                path: /var/tmp/k200-disk0.img
                size: 4GiB
                blockSize: 4096
                create: true
            subsystems:
              - nqn: nqn.2014-08.org.k200emu:one
                serial: K200SN0001
                model: Test model
                hosts:
                  - nqn.2014-08.org.nvmexpress:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6
                namespaces:
                  - nsid: 7
                    bdev: malloc0
                    uuid: 123e4567-e89b-12d3-a456-426614174000
                    nguid: 00112233-4455-6677-8899-AABBCCDDEEFF
                  - bdev: disk0
              - nqn: nqn.2014-08.org.k200emu:two
                allowAnyHost: false
                namespaces:
                  - bdev: null0
            ports:
              - name: front
                address: 0.0.0.0
                port: 4420
              - address: "::1"
                port: 0
                transport: tcp
            discoveryPort: -1
            """;

    /** The same card as {@link #FULL_YAML}, with sizes written as byte counts. */
    private static final String FULL_JSON = """
            {
              "ddr": 25769803776,
              "clusters": {"count": 4, "coresPerCluster": 8, "controlPlaneClusters": 2, "hostThreads": 6,
                           "idle": "spin"},
              "bdevs": [
                {"name": "malloc0", "type": "malloc", "size": "64MiB"},
                {"name": "null0", "type": "null", "size": 1099511627776, "blockSize": 4096},
                {"name": "disk0", "type": "file", "path": "/var/tmp/k200-disk0.img", "size": "4GiB",
                 "blockSize": 4096, "create": true}
              ],
              "subsystems": [
                {"nqn": "nqn.2014-08.org.k200emu:one", "serial": "K200SN0001", "model": "Test model",
                 "hosts": ["nqn.2014-08.org.nvmexpress:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"],
                 "namespaces": [
                   {"nsid": 7, "bdev": "malloc0", "uuid": "123e4567-e89b-12d3-a456-426614174000",
                    "nguid": "00112233445566778899aabbccddeeff"},
                   {"bdev": "disk0"}
                 ]},
                {"nqn": "nqn.2014-08.org.k200emu:two", "allowAnyHost": false, "namespaces": [{"bdev": "null0"}]}
              ],
              "ports": [
                {"name": "front", "address": "0.0.0.0", "port": 4420},
                {"address": "::1", "port": 0, "transport": "tcp"}
              ],
              "discoveryPort": -1
            }
            """;

    // ---- The embedded default ------------------------------------------------------------

    @Test
    void embeddedDefaultHasTheDocumentedValues() {
        CardConfig c = CardConfig.embeddedDefault();

        assertThat(c.ddrBytes()).isEqualTo(16 * GIB);
        assertThat(c.clusters()).isEqualTo(new Clusters(5, 16, 1, 0, "block", "auto"));
        assertThat(c.clusters().count() * c.clusters().coresPerCluster()).isEqualTo(80);

        assertThat(c.bdevs()).containsExactly(new BdevConfig("malloc0", "malloc", GIB, 512, null, false));
        assertThat(c.bdevs().get(0).blockCount()).isEqualTo(2_097_152);
        assertThat(c.mallocBytes()).isEqualTo(GIB);

        assertThat(c.subsystems()).hasSize(1);
        SubsystemConfig s = c.subsystems().get(0);
        assertThat(s.nqn()).isEqualTo("nqn.2014-08.org.k200emu:default");
        assertThat(s.allowAnyHost()).isTrue();
        assertThat(s.hosts()).isEmpty();
        assertThat(s.serial()).isNull();
        assertThat(s.model()).isEqualTo(DEFAULT_MODEL);
        assertThat(s.namespaces()).containsExactly(new NamespaceConfig(1, "malloc0", null, null));

        assertThat(c.ports()).containsExactly(new PortConfig("port0", "127.0.0.1", 4420));
        assertThat(c.discoveryPort()).isEqualTo(8009);
    }

    @Test
    void embeddedDefaultIsTheSameEveryTime() {
        assertThat(CardConfig.embeddedDefault()).isEqualTo(CardConfig.embeddedDefault());
    }

    @Test
    void omittedSectionsTakeTheirDefaults() {
        CardConfig c = CardConfig.parse("ports: [{}]", Format.YAML);

        assertThat(c.ddrBytes()).isEqualTo(16 * GIB);
        assertThat(c.clusters()).isEqualTo(new Clusters(5, 16, 1, 0, "block", "auto"));
        assertThat(c.bdevs()).isEmpty();
        assertThat(c.subsystems()).isEmpty();
        assertThat(c.ports()).containsExactly(new PortConfig("port0", "127.0.0.1", 4420));
        assertThat(c.discoveryPort()).isEqualTo(8009);
        assertThat(c.mallocBytes()).isZero();
    }

    // ---- Valid documents -----------------------------------------------------------------

    @Test
    void fullYamlDocumentIsReadFieldByField() {
        assertFullCard(CardConfig.parse(FULL_YAML, Format.YAML));
    }

    @Test
    void fullJsonDocumentIsReadFieldByField() {
        assertFullCard(CardConfig.parse(FULL_JSON, Format.JSON));
    }

    @Test
    void yamlAndJsonOfTheSameCardGiveEqualConfigs() {
        CardConfig yaml = CardConfig.parse(FULL_YAML, Format.YAML);
        CardConfig json = CardConfig.parse(FULL_JSON, Format.JSON);
        // Recursive: NamespaceConfig.nguid is an array, which a record's equals compares by identity.
        assertThat(json).usingRecursiveComparison().isEqualTo(yaml);
        assertThat(json).usingRecursiveComparison().isNotEqualTo(CardConfig.embeddedDefault());
    }

    @Test
    void clusterTcpCongestionIsANameOrTheSystems() {
        assertThat(CardConfig.parse("clusters: {tcpCongestion: cubic}\nports: [{}]", Format.YAML).clusters()
                .tcpCongestion()).isEqualTo("cubic");
        assertThat(CardConfig.parse("clusters: {hostThreads: 2}\nports: [{}]", Format.YAML).clusters().tcpCongestion())
                .isNull();
    }

    @Test
    void clusterCpusAreATasksetList() {
        assertThat(CardConfig.parse("clusters: {cpus: 1}\nports: [{}]", Format.YAML).clusters().cpus()).isEqualTo("1");
        assertThat(CardConfig.parse("clusters: {cpus: '0, 1,2,5'}\nports: [{}]", Format.YAML).clusters().cpus())
                .isEqualTo("0-2,5");
        assertThat(CardConfig.parse("clusters: {hostThreads: 2}\nports: [{}]", Format.YAML).clusters().cpus()).isNull();
    }

    @Test
    void readListsAreImmutable() {
        CardConfig c = CardConfig.parse(FULL_YAML, Format.YAML);
        BdevConfig extra = new BdevConfig("x", "null", 512, 512, null, false);
        assertThatThrownBy(() -> c.bdevs().add(extra)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> c.ports().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> c.subsystems().get(0).hosts().clear())
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> c.subsystems().get(0).namespaces().clear())
                .isInstanceOf(UnsupportedOperationException.class);
    }

    private static void assertFullCard(CardConfig c) {
        assertThat(c.ddrBytes()).isEqualTo(24 * GIB);
        assertThat(c.clusters()).isEqualTo(new Clusters(4, 8, 2, 6, "spin", "auto"));

        assertThat(c.bdevs()).containsExactly(
                new BdevConfig("malloc0", "malloc", 64 * MIB, 512, null, false),
                new BdevConfig("null0", "null", 1L << 40, 4096, null, false),
                new BdevConfig("disk0", "file", 4 * GIB, 4096, Path.of("/var/tmp/k200-disk0.img"), true));
        assertThat(c.bdevs()).extracting(BdevConfig::blockCount).containsExactly(131_072L, 268_435_456L, 1_048_576L);
        assertThat(c.mallocBytes()).as("only malloc bdevs take DDR").isEqualTo(64 * MIB);

        assertThat(c.subsystems()).hasSize(2);
        SubsystemConfig one = c.subsystems().get(0);
        assertThat(one.nqn()).isEqualTo("nqn.2014-08.org.k200emu:one");
        assertThat(one.serial()).isEqualTo("K200SN0001");
        assertThat(one.model()).isEqualTo("Test model");
        assertThat(one.hosts()).containsExactly(HOST_NQN);
        assertThat(one.allowAnyHost()).as("a host list restricts by default").isFalse();
        assertThat(one.namespaces()).hasSize(2);
        NamespaceConfig ns7 = one.namespaces().get(0);
        assertThat(ns7.nsid()).isEqualTo(7);
        assertThat(ns7.bdev()).isEqualTo("malloc0");
        assertThat(ns7.uuid()).isEqualTo(UUID.fromString("123e4567-e89b-12d3-a456-426614174000"));
        assertThat(ns7.nguid()).containsExactly(0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff);
        NamespaceConfig next = one.namespaces().get(1);
        assertThat(next.nsid()).as("omitted NSID: next free").isZero();
        assertThat(next.bdev()).isEqualTo("disk0");
        assertThat(next.uuid()).isNull();
        assertThat(next.nguid()).isNull();

        SubsystemConfig two = c.subsystems().get(1);
        assertThat(two.nqn()).isEqualTo("nqn.2014-08.org.k200emu:two");
        assertThat(two.serial()).isNull();
        assertThat(two.model()).isEqualTo(DEFAULT_MODEL);
        assertThat(two.hosts()).isEmpty();
        assertThat(two.allowAnyHost()).isFalse();
        assertThat(two.namespaces()).containsExactly(new NamespaceConfig(0, "null0", null, null));

        assertThat(c.ports()).containsExactly(
                new PortConfig("front", "0.0.0.0", 4420),
                new PortConfig("port1", "::1", 0));
        assertThat(c.discoveryPort()).isEqualTo(-1);
    }

    @Test
    void hostListWithoutAllowAnyHostRestrictsAndAnEmptyOneAllowsAll() {
        CardConfig c = CardConfig.parse("""
                subsystems:
                  - {nqn: "nqn.2014-08.org.k200emu:a"}
                  - {nqn: "nqn.2014-08.org.k200emu:b", hosts: ["%s"]}
                  - {nqn: "nqn.2014-08.org.k200emu:c", hosts: ["%s"], allowAnyHost: true}
                ports: [{}]
                """.formatted(HOST_NQN, HOST_NQN), Format.YAML);
        assertThat(c.subsystems()).extracting(SubsystemConfig::allowAnyHost).containsExactly(true, false, true);
    }

    @ParameterizedTest
    @ValueSource(strings = {"8GiB", "8192MiB", "32GiB", "32768M", "17179869184"})
    void ddrBoundsAreInclusive(String ddr) {
        assertThat(CardConfig.parse("ddr: " + ddr + "\nports: [{}]", Format.YAML).ddrBytes())
                .isEqualTo(Sizes.parse(ddr));
    }

    @Test
    void mallocBdevsMayTakeAllOfTheDdrAndOtherBdevsDoNotCount() {
        CardConfig c = CardConfig.parse("""
                ddr: 8GiB
                bdevs:
                  - {name: m0, type: malloc, size: 6GiB}
                  - {name: m1, type: malloc, size: 2GiB}
                  - {name: n0, type: "null", size: 1TiB}
                  - {name: f0, type: file, path: /dev/null, size: 1TiB}
                ports: [{}]
                """, Format.YAML);
        assertThat(c.mallocBytes()).isEqualTo(c.ddrBytes()).isEqualTo(8 * GIB);
    }

    @Test
    void fileBdevWithoutSizeTakesTheFileSizeLater() {
        CardConfig c = CardConfig.parse("bdevs: [{name: f0, type: file, path: /dev/sdx}]\nports: [{}]", Format.YAML);
        assertThat(c.bdevs()).containsExactly(new BdevConfig("f0", "file", -1, 512, Path.of("/dev/sdx"), false));
    }

    @Test
    void bdevNameMayHave64Characters() {
        String name = "Az09_.-".repeat(9) + "x"; // 64
        CardConfig c = CardConfig.parse("bdevs: [{name: '" + name + "', type: malloc, size: 4KiB}]\nports: [{}]",
                Format.YAML);
        assertThat(c.bdevs()).extracting(BdevConfig::name).containsExactly(name);
    }

    @Test
    void listenersMayShareAPortOnDifferentAddressesAndAnyFreePortTwice() {
        CardConfig c = CardConfig.parse("""
                ports:
                  - {address: 127.0.0.1, port: 4420}
                  - {address: 10.0.0.1, port: 4420}
                  - {address: 127.0.0.1, port: 0}
                  - {address: 127.0.0.1, port: 0}
                discoveryPort: 0
                """, Format.YAML);
        assertThat(c.ports()).extracting(PortConfig::name).containsExactly("port0", "port1", "port2", "port3");
        assertThat(c.discoveryPort()).isZero();
    }

    // ---- Validation: every rule names the path at fault ----------------------------------------

    static Stream<Arguments> invalidDocuments() {
        String nqnA = "nqn.2014-08.org.k200emu:a";
        return Stream.of(
                // the document
                bad("not a mapping", "- 1\n- 2", "(document)", "must be a mapping"),
                bad("a scalar", "42", "(document)", "must be a mapping"),
                bad("unknown top-level key", "foo: 1\nports: [{}]", "foo",
                        "unknown field (allowed: ddr, clusters, bdevs, subsystems, ports, discoveryPort, mode, hostPort,"
                                + " accelerators, nbd)"),
                // ddr
                bad("ddr below 8GiB", "ddr: 4GiB", "ddr", "must be between 8GiB and 32GiB, not 4GiB"),
                bad("ddr just below 8GiB", "ddr: 8191MiB", "ddr", "must be between 8GiB and 32GiB, not 8191MiB"),
                bad("ddr above 32GiB", "ddr: 33GiB", "ddr", "must be between 8GiB and 32GiB, not 33GiB"),
                bad("ddr just above 32GiB", "ddr: 32769MiB", "ddr", "must be between 8GiB and 32GiB, not 32769MiB"),
                bad("ddr not a size", "ddr: lots", "ddr", "not a size: 'lots' (use e.g. 1GiB, 512MiB or bytes)"),
                bad("ddr a boolean", "ddr: true", "ddr", SIZE_SYNTAX),
                bad("ddr a fraction", "ddr: 1.5", "ddr", SIZE_SYNTAX),
                bad("ddr negative", "ddr: -17179869184", "ddr", SIZE_SYNTAX + ", not -17179869184"),
                bad("ddr that wraps a long to 16GiB", "ddr: 18446744090889420800", "ddr",
                        SIZE_SYNTAX + ", not 18446744090889420800"),
                // clusters
                bad("clusters not a mapping", "clusters: 5", "clusters", "must be a mapping"),
                bad("one cluster", "clusters: {count: 1}", "clusters.count", "must be within 2..16, not 1"),
                bad("cpus backwards", "clusters: {cpus: '3-1'}", "clusters.cpus", "CPU range '3-1' runs backwards"),
                bad("congestion not a name", "clusters: {tcpCongestion: 'Cubic!'}", "clusters.tcpCongestion",
                        "must be a congestion control name such as cubic, not 'Cubic!'"),
                bad("cpus as a list", "clusters: {cpus: [0, 1]}", "clusters.cpus", "must be a CPU list such as 0-3,6"),
                bad("cpus twice", "clusters: {cpus: '0,0'}", "clusters.cpus", "CPU 0 is listed twice"),
                bad("17 clusters", "clusters: {count: 17}", "clusters.count", "must be within 2..16, not 17"),
                bad("count as text", "clusters: {count: '5'}", "clusters.count", "must be a whole number"),
                bad("no cores", "clusters: {coresPerCluster: 0}", "clusters.coresPerCluster",
                        "must be within 1..16, not 0"),
                bad("every cluster control plane", "clusters: {count: 3, controlPlaneClusters: 3}",
                        "clusters.controlPlaneClusters", "must be within 1..2, not 3"),
                bad("more threads than cores", "clusters: {count: 2, coresPerCluster: 4, hostThreads: 9}",
                        "clusters.hostThreads", "must be within 0..8, not 9"),
                bad("unknown idle", "clusters: {idle: sleep}", "clusters.idle",
                        "must be block or spin, not 'sleep'"),
                bad("idle a number", "clusters: {idle: 3}", "clusters.idle", "must be text"),
                bad("unknown clusters key", "clusters: {cores: 16}", "clusters.cores",
                        "unknown field (allowed: count, coresPerCluster, controlPlaneClusters, hostThreads, idle, transport, cpus, tcpCongestion)"),
                // bdevs
                bad("bdevs not a list", "bdevs: {name: m0}", "bdevs", "must be a list"),
                bad("bdev not a mapping", "bdevs: [m0]", "bdevs[0]", "must be a mapping"),
                bad("bdev without name", "bdevs: [{type: malloc, size: 1MiB}]", "bdevs[0].name",
                        "needs a name of 1-64 letters, digits, '_', '.' or '-'"),
                bad("bdev name with a space", "bdevs: [{name: 'm 0', type: malloc, size: 1MiB}]", "bdevs[0].name",
                        "needs a name of 1-64 letters, digits, '_', '.' or '-'"),
                bad("bdev name of 65 characters", "bdevs: [{name: " + "m".repeat(65) + ", type: malloc, size: 1MiB}]",
                        "bdevs[0].name", "needs a name of 1-64 letters, digits, '_', '.' or '-'"),
                bad("bdev without type", "bdevs: [{name: m0, size: 1MiB}]", "bdevs[0].type",
                        "must be null, malloc, file, remote, crypt, integrity, pi, qos, dedup, lvstore, raid or ec"),
                bad("unknown bdev type", "bdevs: [{name: m0, type: nvme, size: 1MiB}]", "bdevs[0].type",
                        "must be null, malloc, file, remote, crypt, integrity, pi, qos, dedup, lvstore, raid or ec"),
                bad("block size 1024", "bdevs: [{name: m0, type: malloc, size: 1MiB, blockSize: 1024}]",
                        "bdevs[0].blockSize", "must be 512 or 4096, not 1024"),
                bad("block size 8192", "bdevs: [{name: m0, type: malloc, size: 1MiB, blockSize: 8192}]",
                        "bdevs[0].blockSize", "must be within 512..4096, not 8192"),
                bad("file without path", "bdevs: [{name: f0, type: file, size: 1MiB}]", "bdevs[0].path",
                        "a file bdev needs a path"),
                bad("file to create without size", "bdevs: [{name: f0, type: file, path: /tmp/f0, create: true}]",
                        "bdevs[0].size", "needed to create the file"),
                bad("malloc with a path", "bdevs: [{name: m0, type: malloc, size: 1MiB, path: /tmp/m0}]",
                        "bdevs[0].path", "only file bdevs have a path"),
                bad("malloc without size", "bdevs: [{name: m0, type: malloc}]", "bdevs[0].size",
                        "a malloc bdev needs a size"),
                bad("null without size", "bdevs: [{name: n0, type: 'null'}]", "bdevs[0].size",
                        "a null bdev needs a size"),
                bad("size not a multiple of 512", "bdevs: [{name: m0, type: malloc, size: 1000}]", "bdevs[0].size",
                        "must be a non-zero multiple of the block size 512"),
                bad("size zero", "bdevs: [{name: m0, type: malloc, size: 0}]", "bdevs[0].size",
                        "must be a non-zero multiple of the block size 512"),
                bad("size not a multiple of 4096",
                        "bdevs: [{name: m0, type: malloc, size: 4KiB}, {name: m1, type: malloc, size: 6KiB, blockSize: 4096}]",
                        "bdevs[1].size", "must be a non-zero multiple of the block size 4096"),
                bad("size with an unknown unit", "bdevs: [{name: m0, type: malloc, size: 12 parsecs}]",
                        "bdevs[0].size", "unknown size unit 'parsecs' in '12 parsecs' (use KiB, MiB, GiB or TiB)"),
                bad("negative file size", "bdevs: [{name: f0, type: file, path: /tmp/f0, size: -4096}]",
                        "bdevs[0].size", SIZE_SYNTAX + ", not -4096"),
                bad("create as text", "bdevs: [{name: f0, type: file, path: /tmp/f0, size: 4KiB, create: 'yes'}]",
                        "bdevs[0].create", "must be true or false"),
                bad("unknown bdev key", "bdevs: [{name: m0, type: malloc, sizes: 1MiB}]", "bdevs[0].sizes",
                        "unknown field (allowed: name, type, size, blockSize, path, create)"),
                bad("duplicate bdev name",
                        "bdevs: [{name: m0, type: malloc, size: 1MiB}, {name: m0, type: 'null', size: 1MiB}]",
                        "bdevs[1].name", "duplicate bdev name 'm0'"),
                bad("malloc bdevs beyond the DDR",
                        "ddr: 8GiB\nbdevs: [{name: m0, type: malloc, size: 6GiB}, {name: m1, type: malloc, size: 3GiB}]",
                        "bdevs", "malloc bdevs need 9GiB but the card has 8GiB of DDR"),
                bad("one malloc bdev beyond the default DDR", "bdevs: [{name: m0, type: malloc, size: 17GiB}]",
                        "bdevs", "malloc bdevs need 17GiB but the card has 16GiB of DDR"),
                // subsystems
                bad("subsystems not a list", "subsystems: " + nqnA, "subsystems", "must be a list"),
                bad("subsystem without NQN", "subsystems: [{}]", "subsystems[0].nqn", "an NQN is needed"),
                bad("bad NQN", "subsystems: [{nqn: iqn.bad}]", "subsystems[0].nqn",
                        "not an NQN: 'iqn.bad' (expected nqn.yyyy-mm.reverse.domain:name)"),
                bad("discovery NQN", "subsystems: [{nqn: nqn.2014-08.org.nvmexpress.discovery}]", "subsystems[0].nqn",
                        "the discovery NQN cannot name a subsystem"),
                bad("duplicate NQN", "subsystems: [{nqn: '" + nqnA + "'}, {nqn: '" + nqnA + "'}]",
                        "subsystems[1].nqn", "duplicate subsystem NQN '" + nqnA + "'"),
                bad("serial of 21 characters", "subsystems: [{nqn: '" + nqnA + "', serial: " + "S".repeat(21) + "}]",
                        "subsystems[0].serial", "must be 1-20 printable ASCII characters"),
                bad("empty serial", "subsystems: [{nqn: '" + nqnA + "', serial: ''}]",
                        "subsystems[0].serial", "must be 1-20 printable ASCII characters"),
                bad("non-ASCII serial", "subsystems: [{nqn: '" + nqnA + "', serial: 'SN\u00e9'}]",
                        "subsystems[0].serial", "must be 1-20 printable ASCII characters"),
                bad("model of 41 characters", "subsystems: [{nqn: '" + nqnA + "', model: " + "M".repeat(41) + "}]",
                        "subsystems[0].model", "must be 1-40 printable ASCII characters"),
                bad("model with a control character", "subsystems: [{nqn: '" + nqnA + "', model: \"a\\tb\"}]",
                        "subsystems[0].model", "must be 1-40 printable ASCII characters"),
                bad("bad host NQN", "subsystems: [{nqn: '" + nqnA + "', hosts: ['" + HOST_NQN + "', hostx]}]",
                        "subsystems[0].hosts[1]", "not an NQN: 'hostx' (expected nqn.yyyy-mm.reverse.domain:name)"),
                bad("hosts not a list", "subsystems: [{nqn: '" + nqnA + "', hosts: '" + HOST_NQN + "'}]",
                        "subsystems[0].hosts", "must be a list"),
                bad("allowAnyHost a number", "subsystems: [{nqn: '" + nqnA + "', allowAnyHost: 1}]",
                        "subsystems[0].allowAnyHost", "must be true or false"),
                bad("unknown subsystem key", "subsystems: [{nqn: '" + nqnA + "', namespace: []}]",
                        "subsystems[0].namespace",
                        "unknown field (allowed: nqn, serial, model, allowAnyHost, hosts, namespaces, side)"),
                // namespaces
                bad("namespace without bdev", ns("{nsid: 1}"), "subsystems[0].namespaces[0].bdev",
                        "a namespace needs a bdev"),
                bad("namespace naming an unknown bdev", ns("{bdev: m0}, {bdev: malloc9}"),
                        "subsystems[0].namespaces[1].bdev", "no bdev named 'malloc9'"),
                bad("bdev behind two namespaces", ns("{bdev: m0}, {bdev: m0}"),
                        "subsystems[0].namespaces[1].bdev", "bdev 'm0' already backs another namespace or is a member of another bdev"),
                bad("bdev behind namespaces of two subsystems",
                        "bdevs: [{name: m0, type: malloc, size: 1MiB}]\nsubsystems: [{nqn: '" + nqnA
                                + "', namespaces: [{bdev: m0}]}, {nqn: 'nqn.2014-08.org.k200emu:b', namespaces: [{bdev: m0}]}]",
                        "subsystems[1].namespaces[0].bdev", "bdev 'm0' already backs another namespace or is a member of another bdev"),
                bad("duplicate NSID", ns("{nsid: 3, bdev: m0}, {nsid: 3, bdev: m1}"),
                        "subsystems[0].namespaces[1].nsid", "duplicate NSID 3"),
                bad("NSID 0", ns("{nsid: 0, bdev: m0}"), "subsystems[0].namespaces[0].nsid",
                        "must be within 1..2147483646, not 0"),
                bad("NSID beyond the range", ns("{nsid: 2147483647, bdev: m0}"), "subsystems[0].namespaces[0].nsid",
                        "must be within 1..2147483646, not 2147483647"),
                bad("bad UUID", ns("{bdev: m0, uuid: nope}"), "subsystems[0].namespaces[0].uuid",
                        "not a UUID: 'nope'"),
                bad("NGUID of 31 digits", ns("{bdev: m0, nguid: '00112233445566778899aabbccddeef'}"),
                        "subsystems[0].namespaces[0].nguid", "must be 32 hexadecimal digits"),
                bad("NGUID with a non-hex digit", ns("{bdev: m0, nguid: '00112233445566778899aabbccddeefg'}"),
                        "subsystems[0].namespaces[0].nguid", "must be 32 hexadecimal digits"),
                bad("unknown namespace key", ns("{bdev: m0, lbaFormat: 1}"), "subsystems[0].namespaces[0].lbaFormat",
                        "unknown field (allowed: nsid, bdev, uuid, nguid)"),
                // ports
                bad("no ports section", "ddr: 16GiB", "ports", "at least one port is needed"),
                bad("empty ports", "ports: []", "ports", "at least one port is needed"),
                bad("port above 65535", "ports: [{port: 65536}]", "ports[0].port", "must be within 0..65535, not 65536"),
                bad("negative port", "ports: [{port: -1}]", "ports[0].port", "must be within 0..65535, not -1"),
                bad("port as text", "ports: [{port: '4420'}]", "ports[0].port", "must be a whole number"),
                bad("port as fraction", "ports: [{port: 4420.5}]", "ports[0].port", "must be a whole number"),
                bad("rdma transport", "ports: [{transport: rdma}]", "ports[0].transport",
                        "only tcp is supported, not 'rdma'"),
                bad("host name address", "ports: [{address: localhost}]", "ports[0].address",
                        "must be an IPv4 or IPv6 address literal, not 'localhost'"),
                bad("duplicate listener", "ports: [{port: 4420}, {address: 127.0.0.1, port: 4420}]", "ports[1].port",
                        "duplicate listener 127.0.0.1:4420"),
                bad("unknown port key", "ports: [{host: 127.0.0.1}]", "ports[0].host",
                        "unknown field (allowed: name, address, port, transport, ana)"),
                bad("discovery port above 65535", "ports: [{}]\ndiscoveryPort: 65536", "discoveryPort",
                        "must be within -1..65535, not 65536"),
                bad("discovery port -2", "ports: [{}]\ndiscoveryPort: -2", "discoveryPort",
                        "must be within -1..65535, not -2"),
                bad("discovery port on an NVMe/TCP port", "ports: [{port: 4420}]\ndiscoveryPort: 4420",
                        "discoveryPort", "port 4420 is already an NVMe/TCP port"),
                bad("no engines", "ports: [{}]\naccelerators: {engines: 0}", "accelerators.engines",
                        "must be within 1..1024, not 0"),
                bad("zero throughput", "ports: [{}]\naccelerators: {hashBytesPerSecond: 0}",
                        "accelerators.hashBytesPerSecond", "must be a positive number of bytes per second, not 0"),
                bad("throughput as a word", "ports: [{}]\naccelerators: {ecBytesPerSecond: fast}",
                        "accelerators.ecBytesPerSecond", "not a size: 'fast' (use e.g. 1GiB, 512MiB or bytes)"),
                bad("pace as text", "ports: [{}]\naccelerators: {pace: 'yes'}", "accelerators.pace",
                        "must be true or false"),
                bad("unknown accelerator key", "ports: [{}]\naccelerators: {crypto: 1}", "accelerators.crypto",
                        "unknown field (allowed: engines, cryptoBytesPerSecond, hashBytesPerSecond, ecBytesPerSecond,"
                                + " submitCycles, pace)"));
    }

    @Test
    void acceleratorsDefaultToTheCardsModelAndCanBeConfigured() {
        assertThat(CardConfig.parse("ports: [{}]", Format.YAML).accelerators())
                .isEqualTo(org.k200emu.cluster.accel.AcceleratorModel.k200());
        CardConfig c = CardConfig.parse("ports: [{}]\naccelerators: {engines: 8, cryptoBytesPerSecond: 10e9,"
                + " hashBytesPerSecond: 2GiB, ecBytesPerSecond: 3000000000, submitCycles: 600, pace: true}", Format.YAML);
        org.k200emu.cluster.accel.AcceleratorModel a = c.accelerators();
        assertThat(a.engines()).isEqualTo(8);
        assertThat(a.cryptoBytesPerSecond()).isEqualTo(10e9);
        assertThat(a.hashBytesPerSecond()).isEqualTo(2.0 * (1L << 30));
        assertThat(a.ecBytesPerSecond()).isEqualTo(3e9);
        assertThat(a.submitCycles()).isEqualTo(600);
        assertThat(a.pace()).isTrue();
        assertThat(c.withMode(CardConfig.COPROCESSOR).accelerators()).isEqualTo(a);
    }

    /** A subsystem with {@code namespaces} over bdevs m0 and m1. */
    private static String ns(String namespaces) {
        return "bdevs: [{name: m0, type: malloc, size: 1MiB}, {name: m1, type: 'null', size: 1MiB}]\n"
                + "subsystems: [{nqn: 'nqn.2014-08.org.k200emu:a', namespaces: [" + namespaces + "]}]\n"
                + "ports: [{}]\n";
    }

    private static Arguments bad(String what, String yaml, String path, String reason) {
        return Arguments.of(Named.of(what, yaml), path, reason);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("invalidDocuments")
    void validationErrorNamesThePathAtFault(String yaml, String path, String reason) {
        assertThatThrownBy(() -> CardConfig.parse(yaml, Format.YAML))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.path()).isEqualTo(path);
                    assertThat(e.reason()).isEqualTo(reason);
                    assertThat(e.getMessage()).isEqualTo(path + ": " + reason);
                });
    }

    @Test
    void jsonIsValidatedTheSameWay() {
        assertThatThrownBy(() -> CardConfig.parse("""
                {"bdevs": [{"name": "m0", "type": "malloc", "size": "1MiB"}],
                 "subsystems": [{"nqn": "nqn.2014-08.org.k200emu:a", "namespaces": [{"bdev": "m0"}, {"bdev": "malloc9"}]}],
                 "ports": [{}]}
                """, Format.JSON))
                .isInstanceOf(ConfigException.class)
                .hasMessage("subsystems[0].namespaces[1].bdev: no bdev named 'malloc9'");
    }

    @Test
    void syntaxErrorsAreReportedForTheDocument() {
        assertThatThrownBy(() -> CardConfig.parse("ddr: [16GiB\nports: {", Format.YAML))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.path()).isEqualTo("(document)");
                    assertThat(e.reason()).startsWith("not valid YAML: ").doesNotContain("\n");
                });
        assertThatThrownBy(() -> CardConfig.parse("{\"ddr\": ", Format.JSON))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.path()).isEqualTo("(document)");
                    assertThat(e.reason()).startsWith("not valid JSON: ").doesNotContain("\n");
                });
        assertThatThrownBy(() -> CardConfig.parse("ddr: 16GiB", Format.JSON))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("(document): not valid JSON: ");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   \n", "# only a comment\n", "null", "~"})
    void emptyYamlDocumentIsRejected(String text) {
        assertThatThrownBy(() -> CardConfig.parse(text, Format.YAML))
                .isInstanceOf(ConfigException.class)
                .hasMessage("(document): empty configuration");
    }

    @Test
    void emptyJsonDocumentIsRejected() {
        assertThatThrownBy(() -> CardConfig.parse("", Format.JSON))
                .isInstanceOf(ConfigException.class)
                .hasMessage("(document): empty configuration");
        assertThatThrownBy(() -> CardConfig.parse("null", Format.JSON))
                .isInstanceOf(ConfigException.class)
                .hasMessage("(document): empty configuration");
    }

    // ---- Loading files -------------------------------------------------------------------

    @Test
    void loadReadsYamlAndJsonByExtension(@TempDir Path dir) throws IOException {
        CardConfig expected = CardConfig.parse(FULL_YAML, Format.YAML);
        for (String name : List.of("card.yaml", "card.yml", "card.conf")) {
            assertThat(CardConfig.load(write(dir.resolve(name), FULL_YAML)))
                    .as(name).usingRecursiveComparison().isEqualTo(expected);
        }
        for (String name : List.of("card.json", "CARD.JSON")) {
            assertThat(CardConfig.load(write(dir.resolve(name), FULL_JSON)))
                    .as(name).usingRecursiveComparison().isEqualTo(expected);
        }
    }

    @Test
    void loadOfJsonFileDoesNotAcceptYaml(@TempDir Path dir) throws IOException {
        Path file = write(dir.resolve("card.json"), FULL_YAML);
        assertThatThrownBy(() -> CardConfig.load(file))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.path()).isEqualTo(file + ": (document)");
                    assertThat(e.reason()).startsWith("not valid JSON: ");
                });
    }

    @Test
    void loadErrorsNameTheFileAndThePath(@TempDir Path dir) throws IOException {
        Path file = write(dir.resolve("card.yaml"), "ddr: 64GiB\nports: [{}]\n");
        assertThatThrownBy(() -> CardConfig.load(file))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.path()).isEqualTo(file + ": ddr");
                    assertThat(e.reason()).isEqualTo("must be between 8GiB and 32GiB, not 64GiB");
                    assertThat(e.getMessage()).isEqualTo(file + ": ddr: must be between 8GiB and 32GiB, not 64GiB");
                });
    }

    @Test
    void loadOfAMissingFileSaysSo(@TempDir Path dir) {
        Path missing = dir.resolve("nope.yaml");
        assertThatThrownBy(() -> CardConfig.load(missing))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.path()).isEqualTo(missing.toString());
                    assertThat(e.reason()).isEqualTo("no such file");
                    assertThat(e.getMessage()).isEqualTo(missing + ": no such file");
                });
    }

    @Test
    void loadOfADirectoryCannotRead(@TempDir Path dir) {
        assertThatThrownBy(() -> CardConfig.load(dir))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.path()).isEqualTo(dir.toString());
                    assertThat(e.reason()).startsWith("cannot read: ");
                });
    }

    private static Path write(Path file, String text) throws IOException {
        return Files.writeString(file, text, StandardCharsets.UTF_8);
    }
    @Test
    void coprocessorModeWithRemoteBdevsAndHostSideDrives() {
        CardConfig c = CardConfig.parse(String.join("\n",
                "mode: coprocessor",
                "hostPort: {address: 127.0.0.1, port: 4431}",
                "bdevs:",
                "  - {name: far0, type: remote, address: 10.0.0.2, port: 4421, subnqn: 'nqn.2014-08.org.example:x',",
                "     nsid: 2, hdgst: true}",
                "subsystems:",
                "  - nqn: nqn.2014-08.org.k200emu:drive0",
                "    side: host",
                "    namespaces: [{bdev: far0}]",
                "ports: [{port: 4420}]"), CardConfig.Format.YAML);
        assertThat(c.mode()).isEqualTo(CardConfig.COPROCESSOR);
        assertThat(c.hostPort()).isEqualTo(new PortConfig("host", "127.0.0.1", 4431));
        CardConfig.RemoteConfig r = c.bdevs().get(0).remote();
        assertThat(r).isEqualTo(new CardConfig.RemoteConfig("10.0.0.2", 4421, "nqn.2014-08.org.example:x", 2,
                "nqn.2014-08.org.k200emu:card", true, false, 0, 128, 30_000));
        assertThat(c.subsystemsOn(CardConfig.HOST_SIDE)).hasSize(1);
        assertThat(c.subsystemsOn(CardConfig.FABRIC_SIDE)).isEmpty();
        assertThat(c.checkMode()).isSameAs(c);
        assertThatThrownBy(() -> c.withMode(CardConfig.STANDALONE).checkMode())
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.path()).isEqualTo("bdevs[0].type"));
    }

    @Test
    void remoteBdevNeedsAnAddressAndASubsystem() {
        assertThatThrownBy(() -> CardConfig.parse("bdevs: [{name: r, type: remote, subnqn: 'nqn.2014-08.org.a:b'}]\n"
                + "ports: [{port: 4420}]", CardConfig.Format.YAML))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.path()).isEqualTo("bdevs[0].address"));
        assertThatThrownBy(() -> CardConfig.parse("bdevs: [{name: r, type: remote, address: 1.2.3.4}]\n"
                + "ports: [{port: 4420}]", CardConfig.Format.YAML))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.path()).isEqualTo("bdevs[0].subnqn"));
        assertThatThrownBy(() -> CardConfig.parse("mode: sidecar\nports: [{port: 4420}]", CardConfig.Format.YAML))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.path()).isEqualTo("mode"));
    }
    @Test
    void servicesStackOnBdevsNamedBeforeThem(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        CardConfig c = CardConfig.parse(String.join("\n",
                "bdevs:",
                "  - {name: m0, type: malloc, size: 16MiB}",
                "  - {name: sealed, type: crypt, member: m0, keyFile: /etc/k200/key}",
                "  - {name: m1, type: malloc, size: 16MiB}",
                "  - {name: checked, type: integrity, member: m1, algorithm: SHA3-256}",
                "subsystems: [{nqn: 'nqn.2014-08.org.k200emu:s', namespaces: [{bdev: sealed}, {bdev: checked}]}]",
                "ports: [{port: 4420}]"), CardConfig.Format.YAML);
        assertThat(c.bdevs().get(1).service()).isEqualTo(new CardConfig.ServiceConfig(List.of("m0"),
                java.util.Map.of("keyFile", "/etc/k200/key")));
        assertThat(c.bdevs().get(3).service().settings()).containsEntry("algorithm", "SHA3-256");
        assertThatThrownBy(() -> CardConfig.parse("bdevs: [{name: s, type: crypt, member: nothere, keyFile: k}]\n"
                + "ports: [{port: 4420}]", CardConfig.Format.YAML))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.path()).isEqualTo("bdevs[0].member"));
        assertThatThrownBy(() -> CardConfig.parse(String.join("\n",
                "bdevs:",
                "  - {name: m0, type: malloc, size: 16MiB}",
                "  - {name: s, type: crypt, member: m0, keyFile: k}",
                "subsystems: [{nqn: 'nqn.2014-08.org.k200emu:s', namespaces: [{bdev: m0}]}]",
                "ports: [{port: 4420}]"), CardConfig.Format.YAML))
                .as("a member cannot also be a namespace")
                .isInstanceOfSatisfying(ConfigException.class,
                        e -> assertThat(e.path()).isEqualTo("subsystems[0].namespaces[0].bdev"));
        assertThatThrownBy(() -> CardConfig.parse("bdevs: [{name: r, type: raid, level: 5, members: [a, b]}]\n"
                + "ports: [{port: 4420}]", CardConfig.Format.YAML))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.path()).isEqualTo("bdevs[0].members"));
    }
}
