package org.k200emu.bdev;

import org.k200emu.cluster.accel.Accelerators;

/**
 * A storage service that submits its crypto, hash or erasure-code work to the card's
 * co-processors. Until told otherwise it uses accelerators of its own with the card's default
 * model; the {@link BdevRegistry} that makes it hands it the card's, before any I/O.
 */
public interface Accelerated {

    /** Submits this bdev's work to {@code accelerators} from now on. */
    void useAccelerators(Accelerators accelerators);

    /** The accelerators this bdev submits its work to. */
    Accelerators accelerators();
}
