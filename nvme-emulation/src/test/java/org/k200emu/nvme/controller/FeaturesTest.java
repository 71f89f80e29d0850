package org.k200emu.nvme.controller;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.k200emu.bdev.testing.FaultyBdev;
import org.k200emu.nvme.NvmeStatus;

/** Get / Set Features (NVMe Base 1.4, sections 5.15 and 5.21): each FID, SEL, SV, errors. */
class FeaturesTest {

    private static final int CURRENT = 0;
    private static final int DEFAULT = 1;
    private static final int SAVED = 2;
    private static final int SUPPORTED = 3;
    private static final int INVALID_FIELD = NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD);

    private final TestTransport t = TestTransport.nvm(64);

    @AfterEach
    void close() {
        t.close();
    }

    private int get(int fid, int sel) {
        return t.admin(Sqe.getFeatures(fid, sel)).ok().dw0;
    }

    private Completion set(int fid, int value) {
        return t.admin(Sqe.setFeatures(fid, value, false));
    }

    @Test
    void arbitration() {
        t.connectAndEnable();
        set(0x01, 0x0302_0107).ok();
        assertThat(get(0x01, CURRENT)).isEqualTo(0x0302_0107);
        assertThat(get(0x01, DEFAULT)).isZero();
        assertThat(get(0x01, SAVED)).as("nothing saveable: saved is the default").isZero();
    }

    @Test
    void supportedCapabilitiesAreChangeableNotSaveable() {
        t.connectAndEnable();
        for (int fid : new int[] {0x01, 0x02, 0x04, 0x05, 0x07, 0x0B, 0x0F}) {
            int caps = get(fid, SUPPORTED);
            assertThat(caps & 1).as("FID %d saveable", fid).isZero();
            assertThat(caps & 4).as("FID %d changeable", fid).isEqualTo(4);
        }
    }

    @Test
    void powerManagementOnlyStateZero() {
        t.connectAndEnable();
        set(0x02, 0).ok();
        set(0x02, 1).expect(INVALID_FIELD);
        assertThat(get(0x02, CURRENT)).isZero();
    }

    @Test
    void temperatureThresholds() {
        t.connectAndEnable();
        assertThat(get(0x04, CURRENT)).as("over-temperature default").isEqualTo(343);
        set(0x04, 350).ok();
        assertThat(get(0x04, CURRENT)).isEqualTo(350);
        assertThat(get(0x04, DEFAULT)).isEqualTo(343);
        // THSEL (bits 21:20) = 01b: under-temperature threshold.
        set(0x04, 1 << 20 | 250).ok();
        assertThat(t.admin(Sqe.getFeatures(0x04, CURRENT).cdw(11, 1 << 20)).ok().dw0).isEqualTo(250);
        assertThat(get(0x04, CURRENT)).as("over threshold unchanged").isEqualTo(350);
        // TMPSEL (bits 19:16) other than composite, THSEL reserved.
        set(0x04, 1 << 16 | 300).expect(INVALID_FIELD);
        set(0x04, 2 << 20 | 300).expect(INVALID_FIELD);
        t.admin(Sqe.getFeatures(0x04, CURRENT).cdw(11, 3 << 16)).expect(INVALID_FIELD);
    }

    @Test
    void errorRecovery() {
        t.connectAndEnable();
        set(0x05, 0x1234).ok();
        assertThat(get(0x05, CURRENT)).isEqualTo(0x1234);
        assertThat(get(0x05, DEFAULT)).isZero();
    }

    @Test
    void volatileWriteCacheOnlyWithACache() {
        t.connectAndEnable();
        t.admin(Sqe.getFeatures(0x06, CURRENT)).expect(INVALID_FIELD);
        set(0x06, 1).expect(INVALID_FIELD);

        try (TestTransport cached = new TestTransport(
                org.k200emu.nvme.subsystem.Subsystem.nvm(TestTransport.NQN, null, "m", true, java.util.List.of()))) {
            cached.addBdev(1, FaultyBdev.overMalloc("cached", 512, 64).volatileWriteCache(true));
            cached.connectAndEnable();
            assertThat(cached.admin(Sqe.getFeatures(0x06, CURRENT)).ok().dw0).as("enabled by default").isEqualTo(1);
            cached.admin(Sqe.setFeatures(0x06, 0, false)).ok();
            assertThat(cached.admin(Sqe.getFeatures(0x06, CURRENT)).ok().dw0).isZero();
            assertThat(cached.admin(Sqe.getFeatures(0x06, DEFAULT)).ok().dw0).isEqualTo(1);
        }
    }

    @Test
    void numberOfQueuesGrantedAndCapped() {
        t.connectAndEnable();
        assertThat(get(0x07, DEFAULT)).as("8 queues, 0's based").isEqualTo(7 | 7 << 16);
        // NSQR 3, NCQR 5 (0's based): 4 granted of each.
        Completion c = set(0x07, 3 | 5 << 16).ok();
        assertThat(c.dw0 & 0xFFFF).as("NSQA").isEqualTo(3);
        assertThat(c.dw0 >>> 16).as("NCQA").isEqualTo(3);
        assertThat(t.controller.grantedIoQueues()).isEqualTo(4);
        assertThat(get(0x07, CURRENT)).isEqualTo(3 | 3 << 16);

        Completion capped = set(0x07, 99 | 99 << 16).ok();
        assertThat(capped.dw0).isEqualTo(7 | 7 << 16);
        assertThat(t.controller.grantedIoQueues()).isEqualTo(8);

        set(0x07, 0xFFFF | 1 << 16).expect(INVALID_FIELD);
        set(0x07, 1 | 0xFFFF << 16).expect(INVALID_FIELD);
    }

    @Test
    void asyncEventConfigurationKeepsSupportedBitsOnly() {
        t.connectAndEnable();
        assertThat(get(0x0B, CURRENT)).isZero();
        set(0x0B, 0xFFFF_FFFF).ok();
        assertThat(get(0x0B, CURRENT)).as("namespace attribute and ANA change notices").isEqualTo(1 << 8 | 1 << 11);
        assertThat(get(0x0B, DEFAULT)).isZero();
    }

    @Test
    void keepAliveTimer() {
        t.connect(120_000);
        t.enable();
        assertThat(get(0x0F, CURRENT)).isEqualTo(120_000);
        set(0x0F, 5000).ok();
        assertThat(get(0x0F, CURRENT)).isEqualTo(5000);
        assertThat(t.controller.kato()).isEqualTo(5000);
    }

    @Test
    void saveIsRejected() {
        t.connectAndEnable();
        t.admin(Sqe.setFeatures(0x01, 1, true)).expect(NvmeStatus.withDnr(NvmeStatus.FEATURE_NOT_SAVEABLE));
        t.admin(Sqe.setFeatures(0x0F, 1000, true)).expect(NvmeStatus.withDnr(NvmeStatus.FEATURE_NOT_SAVEABLE));
        assertThat(get(0x01, CURRENT)).as("not applied").isZero();
    }

    @Test
    void unknownFeaturesAndSelectors() {
        t.connectAndEnable();
        for (int fid : new int[] {0x00, 0x03, 0x08, 0x80, 0xFF}) {
            t.admin(Sqe.getFeatures(fid, CURRENT)).expect(INVALID_FIELD);
            set(fid, 0).expect(INVALID_FIELD);
        }
        t.admin(Sqe.getFeatures(0x01, 4)).expect(INVALID_FIELD);
        t.admin(Sqe.getFeatures(0x01, 7)).expect(INVALID_FIELD);
    }
}
