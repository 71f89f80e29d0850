package org.k200emu.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/** Runs sample classes through a nested JUnit launcher and checks what the leak check made of them. */
class NettyLeakCheckTest {

    private static volatile boolean samplesEnabled;

    static boolean samplesEnabled() {
        return samplesEnabled;
    }

    @AfterEach
    void forgetLeaks() {
        NettyLeakCheck.flush();
    }

    /** Class name to its container result, for every test class the nested run finished. */
    private static Map<String, TestExecutionResult> run(Class<?> sample) {
        Map<String, TestExecutionResult> results = new ConcurrentHashMap<>();
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(sample))
                .configurationParameter("junit.jupiter.extensions.autodetection.enabled", "false")
                .build();
        samplesEnabled = true;
        try {
            LauncherFactory.create().execute(request, new TestExecutionListener() {
                @Override
                public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                    if (id.getSource().orElse(null) instanceof ClassSource source) {
                        results.put(source.getClassName(), result);
                    }
                }
            });
        } finally {
            samplesEnabled = false;
        }
        return results;
    }

    @Test
    void detectionIsParanoid() {
        new NettyLeakCheck();
        assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
    }

    @Test
    void aLeakingClassFailsWithTheLeakRecords() {
        Map<String, TestExecutionResult> results = run(LeakingSample.class);
        TestExecutionResult result = results.get(LeakingSample.class.getName());
        assertThat(result).isNotNull();
        assertThat(result.getStatus()).isEqualTo(TestExecutionResult.Status.FAILED);
        assertThat(result.getThrowable()).get(org.assertj.core.api.InstanceOfAssertFactories.THROWABLE)
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("LEAK: ")
                .hasMessageContaining("leakOneBuffer");
    }

    @Test
    void aCleanClassPasses() {
        Map<String, TestExecutionResult> results = run(CleanSample.class);
        TestExecutionResult result = results.get(CleanSample.class.getName());
        assertThat(result).isNotNull();
        assertThat(result.getStatus()).isEqualTo(TestExecutionResult.Status.SUCCESSFUL);
    }

    /** Leaks one pooled direct buffer; run only from {@link #aLeakingClassFailsWithTheLeakRecords}. */
    @ExtendWith(NettyLeakCheck.class)
    @EnabledIf("org.k200emu.testing.NettyLeakCheckTest#samplesEnabled")
    static class LeakingSample {
        @Test
        void leaks() {
            leakOneBuffer();
        }

        private static void leakOneBuffer() {
            ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(64);
            buf.writeLong(0x0102030405060708L);
        }
    }

    /** Allocates and releases; run only from {@link #aCleanClassPasses}. */
    @ExtendWith(NettyLeakCheck.class)
    @EnabledIf("org.k200emu.testing.NettyLeakCheckTest#samplesEnabled")
    static class CleanSample {
        @Test
        void releases() {
            ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(64);
            buf.writeLong(1);
            buf.release();
        }
    }
}
