package org.k200emu.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

class HostToolsTest {

    @Test
    void findsAProgramOnThePathAndNotOneThatIsNot() {
        assertThat(HostTools.find("sh")).isNotNull().satisfies(p -> assertThat(Files.isExecutable(p)).isTrue());
        assertThat(HostTools.find("k200-no-such-program")).isNull();
    }

    @Test
    void aProgramThatCanBeNeitherFoundNorInstalledFailsTheTest() {
        // As root with apt-get the install is tried and refused (no such package); otherwise not tried.
        assertThatThrownBy(() -> HostTools.require("k200-no-such-package", "sh", "k200-no-such-program"))
                .isInstanceOf(AssertionError.class).hasMessageContaining("k200-no-such-package");
    }

    @Test
    void runGivesTheExitStatusAndTheOutputOfBothStreams() throws Exception {
        HostTools.Result r = HostTools.run(List.of("sh", "-c", "echo out; echo err >&2; exit 3"), 30);
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.output()).contains("out", "err");
    }

    @Test
    void aProgramStillRunningAtTheTimeoutIsEndedAndFailsTheTest() {
        long start = System.nanoTime();
        assertThatThrownBy(() -> HostTools.run(List.of("sh", "-c", "echo started; exec sleep 60"), 1))
                .isInstanceOf(AssertionError.class).hasMessageContaining("still running after 1 s")
                .hasMessageContaining("started");
        assertThat(System.nanoTime() - start).isLessThan(30_000_000_000L);
    }

    @Test
    void requiringProgramsThatArePresentInstallsNothing() {
        assertThatCode(() -> HostTools.require("k200-no-such-package", "sh", "ls")).doesNotThrowAnyException();
    }
}
