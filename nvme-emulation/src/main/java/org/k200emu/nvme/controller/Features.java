package org.k200emu.nvme.controller;

/**
 * The controller's feature settings (Get / Set Features), with their defaults. None is saveable.
 * Written by the admin queue; the few that other queues read are volatile.
 */
final class Features {
    static final int ARBITRATION = 0x01;
    static final int POWER_MANAGEMENT = 0x02;
    static final int TEMPERATURE_THRESHOLD = 0x04;
    static final int ERROR_RECOVERY = 0x05;
    static final int VOLATILE_WRITE_CACHE = 0x06;
    static final int NUMBER_OF_QUEUES = 0x07;
    static final int ASYNC_EVENT_CONFIG = 0x0B;
    static final int KEEP_ALIVE_TIMER = 0x0F;

    /** Asynchronous events this controller can send: Namespace Attribute Notices (bit 8). */
    /** Asynchronous events the controller can send: namespace attribute (bit 8) and ANA change (bit 11) notices. */
    static final int SUPPORTED_AEN = 1 << 8 | 1 << 11;
    static final int ANA_CHANGE_AEN = 1 << 11;
    static final int NS_ATTRIBUTE_AEN = 1 << 8;
    /** Default composite temperature over-threshold: 343 K (70 C). */
    static final int DEFAULT_OVER_TEMP = 343;

    private final int maxIoQueues;
    private final boolean volatileCachePresent;
    int arbitration;
    int errorRecovery;
    int overTemperature = DEFAULT_OVER_TEMP;
    int underTemperature;
    volatile boolean writeCacheEnabled;
    volatile int asyncEventConfig;
    private volatile int kato;
    private volatile int grantedIoQueues;
    private boolean queuesSet;

    Features(int kato, int maxIoQueues, boolean volatileCachePresent) {
        this.kato = kato;
        this.maxIoQueues = maxIoQueues;
        this.grantedIoQueues = maxIoQueues;
        this.volatileCachePresent = volatileCachePresent;
        this.writeCacheEnabled = volatileCachePresent;
    }

    int kato() {
        return kato;
    }

    void kato(int ms) {
        kato = ms;
    }

    int maxIoQueues() {
        return maxIoQueues;
    }

    boolean volatileCachePresent() {
        return volatileCachePresent;
    }

    int grantedIoQueues() {
        return grantedIoQueues;
    }

    boolean queuesSet() {
        return queuesSet;
    }

    /** Grants up to the maximum; returns the count granted. */
    int requestIoQueues(int requested) {
        grantedIoQueues = Math.min(requested, maxIoQueues);
        queuesSet = true;
        return grantedIoQueues;
    }
}
