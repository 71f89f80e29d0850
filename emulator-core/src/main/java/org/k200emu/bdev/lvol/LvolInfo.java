package org.k200emu.bdev.lvol;

/**
 * One line of {@link LvolStore#volumes()}: a volume as the configuration and the CLI show it.
 * {@code parent} is the snapshot a clone (or the volume a snapshot) was made from, or null;
 * {@code allocatedBytes} counts the clusters its map points to, shared ones included.
 */
public record LvolInfo(String name, long sizeBytes, long allocatedBytes, String parent, boolean thin,
                       boolean readOnly) {
}
