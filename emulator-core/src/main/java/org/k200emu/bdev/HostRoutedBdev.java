package org.k200emu.bdev;

/**
 * A bdev that serves each host through its own face, for instance a QoS bdev whose hosts belong
 * to different workload classes. A front end that knows the host (an NVMe controller, from the
 * Fabrics Connect) asks once per host and namespace and submits that host's I/O to the answer;
 * it never asks per I/O. A front end without a host identity submits to the bdev itself.
 */
public interface HostRoutedBdev extends Bdev {

    /**
     * The bdev that I/O from host {@code hostNqn} goes to: this bdev or a view of it, with the
     * same geometry, owned by this bdev (closing it does nothing). Never null; a host the bdev does
     * not know gets its default face.
     */
    Bdev bdevFor(String hostNqn);
}
