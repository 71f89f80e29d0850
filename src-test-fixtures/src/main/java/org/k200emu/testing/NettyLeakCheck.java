package org.k200emu.testing;

import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import io.netty.util.ResourceLeakTracker;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension that makes a Netty leak fail the test class that leaked. Registered for every
 * test class of every module by JUnit's extension auto-detection (this module's
 * {@code META-INF/services/org.junit.jupiter.api.extension.Extension}, enabled by
 * {@code junit.jupiter.extensions.autodetection.enabled=true}); it can also be named with
 * {@code @ExtendWith(NettyLeakCheck.class)}.
 *
 * <p>How: when this class loads it switches Netty's leak detection to paranoid (every buffer
 * tracked, with access records) and installs a {@link ResourceLeakDetectorFactory} whose
 * detectors keep every leak report instead of only logging it. That must happen before Netty
 * creates its buffer leak detector (first use of any ByteBuf), which auto-detection guarantees:
 * JUnit instantiates auto-detected extensions before running any test. After each test class
 * the extension forces garbage collection, makes every detector drain its reference queue, and
 * fails the class with the leak records if any leak was reported. The system property
 * {@code k200.test.failOnLeak=false} turns failures into warnings on stderr.
 *
 * <p>Leaks are process-wide: a leak collected late may be charged to the class that runs after
 * the one that leaked; the records name the allocation site either way.
 */
public final class NettyLeakCheck implements BeforeAllCallback, AfterAllCallback {

    private static final Queue<String> LEAKS = new ConcurrentLinkedQueue<>();
    private static final List<RecordingDetector<?>> DETECTORS = new CopyOnWriteArrayList<>();
    private static final int FLUSH_ROUNDS = 3;

    static {
        if (ResourceLeakDetector.getLevel().ordinal() < ResourceLeakDetector.Level.PARANOID.ordinal()) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        }
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
    }

    /** Instantiated by JUnit. */
    public NettyLeakCheck() {
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        String problem = bufferDetectorProblem();
        if (problem != null) {
            throw new ExtensionConfigurationException(problem);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        List<String> leaks = flush();
        if (leaks.isEmpty()) {
            return;
        }
        StringBuilder report = new StringBuilder();
        report.append(leaks.size()).append(" Netty resource leak(s) detected by the end of ")
                .append(context.getDisplayName()).append(":\n");
        for (String leak : leaks) {
            report.append(leak).append('\n');
        }
        if (Boolean.parseBoolean(System.getProperty("k200.test.failOnLeak", "true"))) {
            throw new AssertionError(report.toString());
        }
        System.err.println("WARNING (k200.test.failOnLeak=false): " + report);
    }

    /**
     * Collects garbage, makes every detector report what it found, and returns (and forgets) all
     * leak reports so far. Tests of the check itself call it directly.
     */
    public static List<String> flush() {
        for (int round = 0; round < FLUSH_ROUNDS && LEAKS.isEmpty(); round++) {
            System.gc();
            try {
                // Weak references are enqueued by the reference handler thread, after the GC.
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            for (RecordingDetector<?> detector : DETECTORS) {
                detector.drain();
            }
        }
        List<String> leaks = new ArrayList<>();
        for (String leak; (leak = LEAKS.poll()) != null; ) {
            leaks.add(leak);
        }
        return leaks;
    }

    /** Null when Netty's ByteBuf detector is one of ours, else why the check cannot work. */
    private static String bufferDetectorProblem() {
        try {
            Field field = Class.forName("io.netty.buffer.AbstractByteBuf").getDeclaredField("leakDetector");
            field.setAccessible(true);
            Object detector = field.get(null);
            if (detector instanceof RecordingDetector) {
                return null;
            }
            return "Netty's ByteBuf leak detector was created before NettyLeakCheck was installed; enable "
                    + "junit.jupiter.extensions.autodetection.enabled=true so that it loads before any test";
        } catch (ReflectiveOperationException | RuntimeException e) {
            // A Netty version without that field: cannot verify, trust the factory.
            return null;
        }
    }

    private static final class RecordingFactory extends ResourceLeakDetectorFactory {
        @Override
        @SuppressWarnings("deprecation")
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
                                                                    long maxActive) {
            RecordingDetector<T> detector = new RecordingDetector<>(resource, samplingInterval);
            DETECTORS.add(detector);
            return detector;
        }
    }

    /** A detector that keeps its reports for {@link #flush()}. */
    private static final class RecordingDetector<T> extends ResourceLeakDetector<T> {
        private final String resourceType;

        RecordingDetector(Class<T> resource, int samplingInterval) {
            super(resource, samplingInterval);
            this.resourceType = resource.getSimpleName();
        }

        @Override
        protected boolean needReport() {
            return true;
        }

        @Override
        protected void reportTracedLeak(String type, String records) {
            LEAKS.add("LEAK: " + type + ".release() was not called before it was garbage-collected." + records);
        }

        @Override
        protected void reportUntracedLeak(String type) {
            LEAKS.add("LEAK: " + type + ".release() was not called before it was garbage-collected"
                    + " (no records: run with -Dio.netty.leakDetection.level=paranoid).");
        }

        /** Tracking anything makes the detector poll its reference queue and report; the probe is closed at once. */
        void drain() {
            @SuppressWarnings("unchecked")
            T probe = (T) new Object();
            ResourceLeakTracker<T> tracker = trackForcibly(probe);
            tracker.close(probe);
        }

        @Override
        public String toString() {
            return "RecordingDetector(" + resourceType + ")";
        }
    }
}
