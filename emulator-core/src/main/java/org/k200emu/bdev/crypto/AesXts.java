package org.k200emu.bdev.crypto;

import io.netty.buffer.ByteBuf;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-XTS (IEEE 1619, NIST SP 800-38E) over whole data units: one logical block of a volume,
 * tweaked by its LBA as a 128-bit little-endian number (Linux dm-crypt's {@code plain64}). Data
 * units are a multiple of 16 bytes, so ciphertext stealing never happens and is not implemented.
 *
 * <p>The block cipher is the JDK's {@code AES/ECB/NoPadding}, which HotSpot runs with AES-NI; the
 * XTS part (the tweak chain, multiplication by alpha in GF(2^128), and the two XOR passes) is
 * done here so that a whole data unit goes through the JDK in one {@code Cipher.update} call.
 * Each thread gets its own ciphers and scratch arrays (created once per key and thread), so one
 * instance serves every core with no lock and no allocation per block.
 *
 * <p>Owned by the {@link CryptoBdev} of one volume (or a test). {@link #close()} wipes this
 * object's copy of the key and drops the per-thread ciphers; the JDK's own key schedules are
 * released to the garbage collector, not wiped, which is the best the JCE allows. The key never
 * appears in {@link #toString()} or in an exception message.
 */
public final class AesXts implements AutoCloseable {

    /** Key length: two AES-256 keys, K1 (data) then K2 (tweak). */
    public static final int KEY_BYTES = 64;
    /** The AES block: a data unit is a whole number of these. */
    public static final int AES_BLOCK = 16;

    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final String TRANSFORMATION = "AES/ECB/NoPadding";
    /** x^128 = x^7 + x^2 + x + 1 in the XTS field: the reduction applied when a bit falls off the top. */
    private static final long GF_REDUCTION = 0x87;
    private static final int INITIAL_SCRATCH = 4096;

    private final byte[] key;
    /** Every thread's engine, so that close() can wipe them all (their threads may live on). */
    private final Queue<Engine> engines = new ConcurrentLinkedQueue<>();
    // A plain ThreadLocal rather than Netty's FastThreadLocal: volumes come and go at run time and
    // a FastThreadLocal's index is never given back, so one per volume would grow every thread's map.
    private final ThreadLocal<Engine> engine = ThreadLocal.withInitial(this::newEngine);
    private volatile boolean closed;

    /**
     * Copies {@code key64} (the caller may wipe its array afterwards). Throws IllegalArgumentException
     * if it is not 64 bytes or if its halves are equal, which IEEE 1619 forbids (K1 = K2 makes
     * XTS degrade to XEX with a known relation between tweak and data encryption).
     */
    public AesXts(byte[] key64) {
        if (key64 == null || key64.length != KEY_BYTES) {
            throw new IllegalArgumentException("AES-256-XTS key must be " + KEY_BYTES + " bytes, not "
                    + (key64 == null ? "null" : key64.length + " bytes"));
        }
        // Compared in place (no copies of key material left on the heap) and in constant time.
        int diff = 0;
        for (int i = 0; i < 32; i++) {
            diff |= key64[i] ^ key64[32 + i];
        }
        if (diff == 0) {
            throw new IllegalArgumentException("AES-256-XTS key halves must differ (IEEE 1619): "
                    + "the data key and the tweak key are equal");
        }
        this.key = key64.clone();
        // Fail now, not on the first I/O, if this JVM has no AES.
        engine.get();
    }

    /** Encrypts {@code length} bytes of {@code buf} at {@code index} in place as data unit {@code dataUnit}. */
    public void encrypt(ByteBuf buf, int index, int length, long dataUnit) {
        crypt(true, buf, index, buf, index, length, dataUnit);
    }

    /** Decrypts {@code length} bytes of {@code buf} at {@code index} in place as data unit {@code dataUnit}. */
    public void decrypt(ByteBuf buf, int index, int length, long dataUnit) {
        crypt(false, buf, index, buf, index, length, dataUnit);
    }

    /** Encrypts from {@code src} into {@code dst} (absolute indexes; neither buffer's indexes move). */
    public void encrypt(ByteBuf src, int srcIndex, ByteBuf dst, int dstIndex, int length, long dataUnit) {
        crypt(true, src, srcIndex, dst, dstIndex, length, dataUnit);
    }

    /** Decrypts from {@code src} into {@code dst} (absolute indexes; neither buffer's indexes move). */
    public void decrypt(ByteBuf src, int srcIndex, ByteBuf dst, int dstIndex, int length, long dataUnit) {
        crypt(false, src, srcIndex, dst, dstIndex, length, dataUnit);
    }

    /** Encrypts {@code length} bytes of {@code data} at {@code offset} in place. */
    public void encrypt(byte[] data, int offset, int length, long dataUnit) {
        crypt(true, data, offset, length, dataUnit);
    }

    /** Decrypts {@code length} bytes of {@code data} at {@code offset} in place. */
    public void decrypt(byte[] data, int offset, int length, long dataUnit) {
        crypt(false, data, offset, length, dataUnit);
    }

    private void crypt(boolean encrypt, ByteBuf src, int srcIndex, ByteBuf dst, int dstIndex, int length,
                       long dataUnit) {
        checkLength(length);
        Engine e = engine();
        e.ensure(length);
        src.getBytes(srcIndex, e.in, 0, length);
        e.run(encrypt, length, dataUnit);
        dst.setBytes(dstIndex, e.out, 0, length);
    }

    private void crypt(boolean encrypt, byte[] data, int offset, int length, long dataUnit) {
        checkLength(length);
        if (offset < 0 || offset > data.length - length) {
            throw new IndexOutOfBoundsException("offset " + offset + " length " + length + " in " + data.length);
        }
        Engine e = engine();
        e.ensure(length);
        System.arraycopy(data, offset, e.in, 0, length);
        e.run(encrypt, length, dataUnit);
        System.arraycopy(e.out, 0, data, offset, length);
    }

    private static void checkLength(int length) {
        if (length < AES_BLOCK || length % AES_BLOCK != 0) {
            throw new IllegalArgumentException("an XTS data unit must be a positive multiple of 16 bytes, not "
                    + length + " (ciphertext stealing is not supported)");
        }
    }

    private Engine engine() {
        if (closed) {
            throw new IllegalStateException("AES-256-XTS key closed");
        }
        return engine.get();
    }

    private Engine newEngine() {
        try {
            Engine e = new Engine(key);
            engines.add(e);
            return e;
        } catch (GeneralSecurityException ex) {
            // The message of a JCE exception names the algorithm, never key bytes.
            throw new IllegalStateException("AES/ECB/NoPadding is not available: " + ex.getMessage(), ex);
        }
    }

    /** Whether {@link #close()} has wiped the key (for tests). */
    boolean keyWiped() {
        for (byte b : key) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    /** Wipes the key and every thread's scratch; later use throws. No operation may be running. */
    @Override
    public void close() {
        closed = true;
        Arrays.fill(key, (byte) 0);
        for (Engine e; (e = engines.poll()) != null; ) {
            e.wipe();
        }
        engine.remove();
    }

    @Override
    public String toString() {
        return closed ? "AesXts[AES-256-XTS, closed]" : "AesXts[AES-256-XTS]";
    }

    /** One thread's ciphers and scratch: used only by its thread, so it needs no synchronization. */
    private static final class Engine {
        private Cipher dataEncrypt;
        private Cipher dataDecrypt;
        private Cipher tweakEncrypt;
        // Separate input and output arrays throughout: the JDK copies its input (an allocation)
        // when a Cipher call is given the same array for both.
        private final byte[] tweakBlock = new byte[AES_BLOCK];
        private final byte[] firstTweak = new byte[AES_BLOCK];
        private byte[] tweaks = new byte[INITIAL_SCRATCH];
        private byte[] in = new byte[INITIAL_SCRATCH];
        private byte[] out = new byte[INITIAL_SCRATCH];

        Engine(byte[] key) throws GeneralSecurityException {
            SecretKeySpec k1 = new SecretKeySpec(key, 0, 32, "AES");
            SecretKeySpec k2 = new SecretKeySpec(key, 32, 32, "AES");
            dataEncrypt = Cipher.getInstance(TRANSFORMATION);
            dataEncrypt.init(Cipher.ENCRYPT_MODE, k1);
            dataDecrypt = Cipher.getInstance(TRANSFORMATION);
            dataDecrypt.init(Cipher.DECRYPT_MODE, k1);
            tweakEncrypt = Cipher.getInstance(TRANSFORMATION);
            tweakEncrypt.init(Cipher.ENCRYPT_MODE, k2);
        }

        void ensure(int length) {
            if (tweaks.length < length) {
                tweaks = new byte[length];
                in = new byte[length];
                out = new byte[length];
            }
        }

        /**
         * XTS on {@code in[0, length)} into {@code out}: T0 = AES(K2, i), Tj+1 = Tj * alpha;
         * C = AES(K1, P ^ Tj) ^ Tj for each 16-byte block (decryption uses AES^-1 with K1, the
         * same tweaks). The tweaks are computed first so the AES work is one ECB call.
         */
        void run(boolean encrypt, int length, long dataUnit) {
            try {
                LONG_LE.set(tweakBlock, 0, dataUnit);
                LONG_LE.set(tweakBlock, 8, 0L);
                if (tweakEncrypt.update(tweakBlock, 0, AES_BLOCK, firstTweak, 0) != AES_BLOCK) {
                    throw new IllegalStateException("AES returned a short tweak block");
                }
                // The tweak as a 128-bit little-endian integer: byte 0 is the least significant,
                // which is exactly IEEE 1619's byte order for the multiplication by alpha.
                long lo = (long) LONG_LE.get(firstTweak, 0);
                long hi = (long) LONG_LE.get(firstTweak, 8);
                byte[] t = tweaks;
                byte[] p = in;
                // One doubling per block is a short dependency chain; the loop is bound by its
                // loads and stores (splitting it into four alpha^4 chains measured no faster).
                for (int off = 0; off < length; off += AES_BLOCK) {
                    LONG_LE.set(t, off, lo);
                    LONG_LE.set(t, off + 8, hi);
                    LONG_LE.set(p, off, (long) LONG_LE.get(p, off) ^ lo);
                    LONG_LE.set(p, off + 8, (long) LONG_LE.get(p, off + 8) ^ hi);
                    long carry = hi >> 63; // all ones when bit 127 falls off
                    hi = (hi << 1) | (lo >>> 63);
                    lo = (lo << 1) ^ (carry & GF_REDUCTION);
                }
                Cipher c = encrypt ? dataEncrypt : dataDecrypt;
                if (c.update(p, 0, length, out, 0) != length) {
                    throw new IllegalStateException("AES/ECB returned a short output");
                }
                byte[] o = out;
                for (int i = 0; i < length; i += 8) {
                    LONG_LE.set(o, i, (long) LONG_LE.get(o, i) ^ (long) LONG_LE.get(t, i));
                }
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES failed: " + e.getClass().getSimpleName(), e);
            }
        }

        void wipe() {
            Arrays.fill(tweaks, (byte) 0);
            Arrays.fill(in, (byte) 0);
            Arrays.fill(out, (byte) 0);
            Arrays.fill(tweakBlock, (byte) 0);
            Arrays.fill(firstTweak, (byte) 0);
            dataEncrypt = null;
            dataDecrypt = null;
            tweakEncrypt = null;
        }
    }
}
