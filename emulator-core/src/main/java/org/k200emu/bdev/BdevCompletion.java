package org.k200emu.bdev;

/** Called when a {@link BdevIo} finishes; implemented by the submitter (typically its request). */
@FunctionalInterface
public interface BdevCompletion {
    void bdevIoDone(BdevIo io);
}
