package org.k200emu.bdev.crypto;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.security.MessageDigest;
import java.util.Locale;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.k200emu.bdev.integrity.BlockHasher;
import org.k200emu.testing.Bytes;

/**
 * Single-thread (one core) throughput of the data-path primitives, each next to a reference
 * measured in the same run on the same bytes: our AES-256-XTS over 4 KiB data units against the
 * JDK's AES-256-CTR and AES-256-GCM (the AES-NI speed this JVM reaches), and our BlockHasher per
 * 4 KiB block against a plain MessageDigest over a byte[]. Not a unit test: run by hand,
 *
 * <pre>
 *   mvn -o -q test-compile -pl emulator-core
 *   java -cp emulator-core/target/classes:emulator-core/target/test-classes:$(deps) \
 *        org.k200emu.bdev.crypto.CryptoThroughput [seconds-per-measurement]
 * </pre>
 *
 * Figures are MB/s (10^6 bytes) of data processed per core; ratio = ours / reference.
 */
public final class CryptoThroughput {

    private static final int UNIT = 4096;
    /** 8 MiB of data: larger than the L2 cache, like a stream of I/O. */
    private static final int BYTES = 8 << 20;
    private static volatile long sink;

    private CryptoThroughput() {
    }

    /** One measured kernel: processes all {@link #BYTES} once per call. */
    private interface Pass {
        void run() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 2.0;
        byte[] data = Bytes.random(2024, BYTES);
        ByteBuf direct = Unpooled.directBuffer(BYTES).writeBytes(data);
        byte[] heap = data.clone();
        byte[] out = new byte[BYTES + 16];
        byte[] key = Bytes.random(7, 64);
        System.out.printf(Locale.ROOT, "%s %s, %d cores; %d MiB of data, %d-byte units, %.1f s per pair of figures%n",
                System.getProperty("java.vm.name"), System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(), BYTES >> 20, UNIT, seconds);
        try (AesXts xts = new AesXts(key)) {
            Pass ours = () -> {
                for (int off = 0, lba = 0; off < BYTES; off += UNIT, lba++) {
                    xts.encrypt(direct, off, UNIT, lba);
                }
            };
            Cipher ctr = Cipher.getInstance("AES/CTR/NoPadding");
            ctr.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, 0, 32, "AES"), new IvParameterSpec(new byte[16]));
            // The references also go 4 KiB per call: HotSpot puts its AES intrinsics in compiled
            // callers only, and one huge call per pass would leave the JDK's loop interpreted.
            Pass ctrPass = () -> {
                for (int off = 0; off < BYTES; off += UNIT) {
                    ctr.update(heap, off, UNIT, out, off);
                }
            };
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            SecretKeySpec gcmKey = new SecretKeySpec(key, 0, 32, "AES");
            byte[] iv = new byte[12];
            long[] counter = {0};
            Pass gcmPass = () -> {
                for (int off = 0; off < BYTES; off += UNIT) {
                    // A fresh IV per unit (GCM refuses to reuse one with a key), as per-block AEAD would.
                    counter[0]++;
                    for (int i = 0; i < 8; i++) {
                        iv[i] = (byte) (counter[0] >>> (8 * i));
                    }
                    gcm.init(Cipher.ENCRYPT_MODE, gcmKey, new GCMParameterSpec(128, iv));
                    gcm.doFinal(heap, off, UNIT, out, 0);
                }
            };
            compare(seconds, "AES-256-XTS (AesXts, 4 KiB units, direct ByteBuf)", ours, "JDK AES-256-CTR, 4 KiB calls", ctrPass);
            compare(seconds, "AES-256-XTS (AesXts, 4 KiB units, direct ByteBuf)", ours, "JDK AES-256-GCM, 4 KiB units", gcmPass);
        }
        for (String algorithm : new String[] {"SHA-256", "SHA3-256"}) {
            BlockHasher hasher = BlockHasher.of(algorithm);
            byte[] digest = new byte[32];
            Pass ours = () -> {
                for (int off = 0; off < BYTES; off += UNIT) {
                    hasher.digest(direct, off, UNIT, digest, 0);
                }
                sink += digest[0];
            };
            MessageDigest md = MessageDigest.getInstance(algorithm);
            Pass reference = () -> {
                for (int off = 0; off < BYTES; off += UNIT) {
                    md.update(heap, off, UNIT);
                    md.digest(digest, 0, 32);
                }
                sink += digest[0];
            };
            compare(seconds, algorithm + " (BlockHasher, 4 KiB blocks, direct ByteBuf)", ours,
                    "MessageDigest, byte[] 4 KiB", reference);
        }
        direct.release();
    }

    /**
     * Warms both up, then alternates short timed rounds of each and keeps each one's best: on a
     * shared machine the load changes over seconds, and alternating exposes both to the same.
     */
    private static void compare(double seconds, String what, Pass ours, String refName, Pass ref) throws Exception {
        long warmUntil = System.nanoTime() + (long) (seconds * 0.25e9);
        while (System.nanoTime() < warmUntil) {
            ours.run();
            ref.run();
        }
        int rounds = 8;
        long slice = (long) (seconds * 0.75e9 / (2 * rounds));
        double bestOurs = 0;
        double bestRef = 0;
        for (int round = 0; round < rounds; round++) {
            bestOurs = Math.max(bestOurs, rate(ours, slice));
            bestRef = Math.max(bestRef, rate(ref, slice));
        }
        report(what, bestOurs, refName, bestRef);
    }

    /** MB/s of whole passes run for at least {@code nanos}. */
    private static double rate(Pass pass, long nanos) throws Exception {
        long start = System.nanoTime();
        long passes = 0;
        long now;
        do {
            pass.run();
            passes++;
            now = System.nanoTime();
        } while (now - start < nanos);
        return passes * (double) BYTES / ((now - start) / 1e9) / 1e6;
    }

    private static void report(String what, double ours, String refName, double ref) {
        System.out.printf(Locale.ROOT, "%-52s %7.0f MB/s | %-29s %7.0f MB/s | ratio %.2f%n",
                what, ours, refName, ref, ours / ref);
    }
}
