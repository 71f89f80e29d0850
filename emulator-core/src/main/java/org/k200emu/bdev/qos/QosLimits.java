package org.k200emu.bdev.qos;

/**
 * A rate limit of a {@link QosBdev}: at most {@code iops} I/Os and {@code bytesPerSecond} bytes of
 * data per second; 0 means that dimension is unlimited. A value the configuration code builds and
 * hands to {@link QosBdev#create} or {@link QosBdev#setLimits}; immutable.
 */
public record QosLimits(long iops, long bytesPerSecond) {

    /** No limit at all. */
    public static final QosLimits UNLIMITED = new QosLimits(0, 0);

    public QosLimits {
        if (iops < 0 || bytesPerSecond < 0) {
            throw new IllegalArgumentException("QoS limits must not be negative: iops=" + iops
                    + " bytesPerSecond=" + bytesPerSecond);
        }
    }

    /** Whether neither dimension is limited. */
    public boolean unlimited() {
        return iops == 0 && bytesPerSecond == 0;
    }
}
