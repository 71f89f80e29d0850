package org.k200emu.card.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import org.k200emu.bdev.BdevRegistry;
import org.k200emu.bdev.qos.QosBdev;
import org.k200emu.bdev.qos.QosClass;
import org.k200emu.bdev.qos.QosLimits;

/** The qos bdev's workload classes in the configuration: parsing, defaults, errors by path. */
class QosConfigTest {

    private static final String DB = "nqn.2014-08.org.example:db";
    private static final String BATCH = "nqn.2014-08.org.example:batch";

    private static CardConfig card(String qosLine) {
        return CardConfig.parse(String.join("\n",
                "bdevs:",
                "  - {name: m0, type: malloc, size: 16MiB}",
                "  - " + qosLine,
                "ports: [{port: 0}]"), CardConfig.Format.YAML);
    }

    @Test
    void classesWithWeightsHostsAndLimits() {
        CardConfig c = card("{name: shared, type: qos, member: m0, iops: 100000, bandwidth: 1GiB, classes: ["
                + "{name: gold, weight: 4, hosts: ['" + DB + "'], iops: 50000, bandwidth: 400MiB},"
                + "{name: bronze, hosts: ['" + BATCH + "']}]}");
        CardConfig.ServiceConfig s = c.bdevs().get(1).service();
        assertThat(s.settings()).containsEntry("iops", "100000").containsEntry("bandwidth", Long.toString(1L << 30));
        assertThat(s.qosClasses()).containsExactly(
                new CardConfig.QosClassConfig("gold", 4, 50_000, 400L << 20, List.of(DB)),
                new CardConfig.QosClassConfig("bronze", 1, 0, 0, List.of(BATCH)),
                new CardConfig.QosClassConfig("default", 1, 0, 0, List.of()));
        try (BdevRegistry r = BdevRegistry.create(c)) {
            QosBdev q = (QosBdev) r.get("shared");
            assertThat(q.limits()).isEqualTo(new QosLimits(100_000, 1L << 30));
            assertThat(q.classes()).containsExactly(
                    new QosClass("gold", 4, new QosLimits(50_000, 400L << 20), List.of(DB)),
                    new QosClass("bronze", 1, QosLimits.UNLIMITED, List.of(BATCH)),
                    new QosClass("default", 1));
            assertThat(q.defaultClass()).isEqualTo("default");
            assertThat(q.bdevFor(DB)).isSameAs(q.classView("gold"));
            assertThat(q.bdevFor("nqn.2014-08.org.example:other")).isSameAs(q);
        }
    }

    @Test
    void anExplicitDefaultClassIsKeptWhereItIs() {
        CardConfig c = card("{name: shared, type: qos, member: m0, iops: 1000, classes: ["
                + "{name: default, weight: 2}, {name: gold, weight: 4, hosts: ['" + DB + "']}]}");
        assertThat(c.bdevs().get(1).service().qosClasses()).extracting(CardConfig.QosClassConfig::name)
                .containsExactly("default", "gold");
    }

    @Test
    void classLimitsAloneAreEnough() {
        CardConfig c = card("{name: shared, type: qos, member: m0, classes: [{name: db, iops: 500, hosts: ['"
                + DB + "']}]}");
        assertThat(c.bdevs().get(1).service().settings()).containsEntry("iops", "0").containsEntry("bandwidth", "0");
        assertThat(c.bdevs().get(1).service().qosClasses().get(0).iops()).isEqualTo(500);
    }

    @Test
    void withoutClassesOnlyTheDefaultOne() {
        CardConfig c = card("{name: shared, type: qos, member: m0, iops: 1000}");
        assertThat(c.bdevs().get(1).service().qosClasses())
                .containsExactly(new CardConfig.QosClassConfig("default", 1, 0, 0, List.of()));
    }

    @Test
    void aBdevAddedAtRunTimeHasItsClassesToo() {
        CardConfig.BdevConfig b = CardConfig.parseBdev("{name: q1, type: qos, member: m0, classes: [{name: db, "
                + "weight: 3, bandwidth: 10MiB, hosts: ['" + DB + "']}]}", List.of("m0"));
        assertThat(b.service().qosClasses()).first()
                .isEqualTo(new CardConfig.QosClassConfig("db", 3, 0, 10L << 20, List.of(DB)));
    }

    static Stream<Arguments> badClasses() {
        return Stream.of(
                Arguments.of("{name: q, type: qos, member: m0, iops: 1, classes: [{name: a}, {name: a}]}",
                        "bdevs[1].classes[1].name", "duplicate class 'a'"),
                Arguments.of("{name: q, type: qos, member: m0, iops: 1, classes: [{name: a, hosts: ['" + DB + "']},"
                        + " {name: b, hosts: ['" + BATCH + "', '" + DB + "']}]}",
                        "bdevs[1].classes[1].hosts[1]", "host '" + DB + "' is already in class 'a'"),
                Arguments.of("{name: q, type: qos, member: m0, iops: 1, classes: [{name: a, weight: 0}]}",
                        "bdevs[1].classes[0].weight", "must be within 1..1000000, not 0"),
                Arguments.of("{name: q, type: qos, member: m0, iops: 1, classes: [{name: a, weight: 2.5}]}",
                        "bdevs[1].classes[0].weight", "must be a whole number"),
                Arguments.of("{name: q, type: qos, member: m0, iops: 1, classes: [{name: a, iops: 0}]}",
                        "bdevs[1].classes[0].iops", "must be positive; leave it out for no limit"),
                Arguments.of("{name: q, type: qos, member: m0, iops: 1, classes: [{name: a, bandwidth: -5}]}",
                        "bdevs[1].classes[0].bandwidth", "must be a size"),
                Arguments.of("{name: q, type: qos, member: m0, iops: 1, classes: [{weight: 2}]}",
                        "bdevs[1].classes[0].name", "a class needs a name"),
                Arguments.of("{name: q, type: qos, member: m0, iops: 1, classes: [{name: a, host: x}]}",
                        "bdevs[1].classes[0].host", "unknown field"),
                Arguments.of("{name: q, type: qos, member: m0, iops: 1, classes: [{name: a, hosts: ['not an nqn']}]}",
                        "bdevs[1].classes[0].hosts[0]", "nqn"),
                Arguments.of("{name: q, type: qos, member: m0, iops: 1, classes: {name: a}}",
                        "bdevs[1].classes", "must be a list"),
                Arguments.of("{name: q, type: qos, member: m0, classes: [{name: a, weight: 3}]}",
                        "bdevs[1].iops", "or classes with limits of their own"));
    }

    @ParameterizedTest
    @MethodSource("badClasses")
    void badClassesNameTheirPath(String qosLine, String path, String reason) {
        assertThatThrownBy(() -> card(qosLine)).isInstanceOfSatisfying(ConfigException.class, e -> {
            assertThat(e.path()).isEqualTo(path);
            assertThat(e.reason()).containsIgnoringCase(reason);
        });
    }

    @Test
    void aQosBdevThatRoutesHostsMustBackANamespaceItself() {
        assertThatThrownBy(() -> CardConfig.parse(String.join("\n",
                "bdevs:",
                "  - {name: m0, type: malloc, size: 16MiB}",
                "  - {name: q, type: qos, member: m0, iops: 10, classes: [{name: a, hosts: ['" + DB + "']}]}",
                "  - {name: d, type: dedup, member: q}",
                "ports: [{port: 0}]"), CardConfig.Format.YAML))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.path()).isEqualTo("bdevs[2].member");
                    assertThat(e.reason()).contains("qos bdev 'q' routes hosts to its classes");
                });
        // Without hosts, stacking on it is fine.
        CardConfig ok = CardConfig.parse(String.join("\n",
                "bdevs:",
                "  - {name: m0, type: malloc, size: 16MiB}",
                "  - {name: q, type: qos, member: m0, iops: 10, classes: [{name: a, weight: 2}]}",
                "  - {name: d, type: dedup, member: q}",
                "ports: [{port: 0}]"), CardConfig.Format.YAML);
        assertThat(ok.bdevs()).hasSize(3);
    }
}
