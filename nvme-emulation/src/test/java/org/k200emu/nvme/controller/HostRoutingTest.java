package org.k200emu.nvme.controller;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.HostRoutedBdev;
import org.k200emu.bdev.nullbdev.NullBdev;
import org.k200emu.bdev.testing.StubBdev;
import org.k200emu.nvme.subsystem.Namespace;
import org.k200emu.nvme.subsystem.Subsystem;

/**
 * A controller resolves each namespace's bdev for its host ({@link HostRoutedBdev}) once per
 * namespace table, including namespaces added and removed after the controller was created.
 */
class HostRoutingTest {

    private static final String A = "nqn.2014-08.org.example:a";
    private static final String B = "nqn.2014-08.org.example:b";

    /** Routes host A to its own face, everyone else to itself; counts how often it is asked. */
    private static final class TwoFaces extends StubBdev implements HostRoutedBdev {
        final NullBdev base = new NullBdev("base", 512, 1024);
        final NullBdev faceA = new NullBdev("base/a", 512, 1024);
        int asked;

        TwoFaces() {
            super("base");
        }

        @Override
        public Bdev bdevFor(String hostNqn) {
            asked++;
            return A.equals(hostNqn) ? faceA : this;
        }

        @Override
        public void submit(BdevIo io) {
            base.submit(io);
        }
    }

    private static NvmeController controller(Subsystem s, String host) {
        return s.createController(new ControllerParams(host, UUID.nameUUIDFromBytes(host.getBytes(
                java.nio.charset.StandardCharsets.UTF_8)), 0, new TransportParams(516, 1, 0, 5, 128, 8), Runnable::run));
    }

    @Test
    void eachHostSeesItsOwnFaceOfARoutedNamespace() {
        Subsystem s = Subsystem.nvm("nqn.2014-08.org.k200emu:s", null, "m", true, List.of());
        TwoFaces routed = new TwoFaces();
        NullBdev plain = new NullBdev("plain", 512, 2048);
        s.addNamespace(new Namespace(1, plain, null, null));
        NvmeController a = controller(s, A);
        NvmeController b = controller(s, B);
        assertThat(a.namespace(1)).isSameAs(s.namespace(1));
        assertThat(a.namespace(2)).isNull();

        // Added after the controllers exist, as ctl ns-add does.
        s.addNamespace(new Namespace(2, routed, null, null));
        Namespace seenByA = a.namespace(2);
        assertThat(seenByA.bdev()).isSameAs(routed.faceA);
        assertThat(seenByA.nsid()).isEqualTo(2);
        assertThat(seenByA.uuid()).isEqualTo(s.namespace(2).uuid());
        assertThat(seenByA.nguid()).isEqualTo(s.namespace(2).nguid());
        assertThat(b.namespace(2)).isSameAs(s.namespace(2));
        assertThat(a.namespace(1)).isSameAs(s.namespace(1));
        int asked = routed.asked;
        for (int i = 0; i < 100; i++) {
            assertThat(a.namespace(2).bdev()).isSameAs(routed.faceA);
        }
        assertThat(routed.asked).as("asked once per namespace table, not per I/O").isEqualTo(asked);

        s.removeNamespace(2);
        assertThat(a.namespace(2)).isNull();
        assertThat(Map.copyOf(s.namespaces())).containsOnlyKeys(1);
    }
}
