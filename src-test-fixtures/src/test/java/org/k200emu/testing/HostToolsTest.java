package org.k200emu.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
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
    void requiringProgramsThatArePresentInstallsNothing() {
        assertThatCode(() -> HostTools.require("k200-no-such-package", "sh", "ls")).doesNotThrowAnyException();
    }
}
