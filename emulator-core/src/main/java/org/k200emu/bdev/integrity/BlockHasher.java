package org.k200emu.bdev.integrity;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;

/**
 * A 256-bit digest of block data: SHA-256 (FIPS 180-4) or SHA3-256 (FIPS 202), computed by the
 * JDK's {@link MessageDigest}. Each thread reuses its own digest instance, so one hasher serves
 * every core with no lock and no allocation per block.
 *
 * <p>ByteBuf ranges are hashed where they lie: a heap buffer through its array, a direct buffer
 * through an NIO view of its memory ({@code MessageDigest.update(ByteBuffer)}, which the JDK
 * feeds through a small internal array), a composite one piece by piece.
 *
 * <p>Stateless apart from the per-thread digests: the two shared instances come from
 * {@link #sha256()}, {@link #sha3_256()} or {@link #of(String)}. Used by {@link IntegrityBdev}.
 */
public final class BlockHasher {

    /** Both algorithms produce 32 bytes. */
    public static final int DIGEST_BYTES = 32;

    private static final BlockHasher SHA_256 = new BlockHasher("SHA-256", 1);
    private static final BlockHasher SHA3_256 = new BlockHasher("SHA3-256", 2);

    private final String algorithm;
    private final int id;
    private final ThreadLocal<MessageDigest> digests;

    private BlockHasher(String algorithm, int id) {
        this.algorithm = algorithm;
        this.id = id;
        this.digests = ThreadLocal.withInitial(() -> {
            try {
                return MessageDigest.getInstance(algorithm);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(algorithm + " is not available in this JVM", e);
            }
        });
    }

    public static BlockHasher sha256() {
        return SHA_256;
    }

    public static BlockHasher sha3_256() {
        return SHA3_256;
    }

    /** {@code SHA-256} or {@code SHA3-256} (case does not matter); IllegalArgumentException otherwise. */
    public static BlockHasher of(String algorithm) {
        if (algorithm != null) {
            switch (algorithm.toUpperCase(Locale.ROOT)) {
                case "SHA-256":
                    return SHA_256;
                case "SHA3-256":
                    return SHA3_256;
                default:
                    break;
            }
        }
        throw new IllegalArgumentException("unknown digest algorithm '" + algorithm + "' (SHA-256 or SHA3-256)");
    }

    /** The JDK name: {@code SHA-256} or {@code SHA3-256}. */
    public String algorithm() {
        return algorithm;
    }

    /** A small stable number for on-media headers: 1 SHA-256, 2 SHA3-256. */
    int id() {
        return id;
    }

    /** The hasher whose {@link #id()} is {@code id}, or null. */
    static BlockHasher byId(int id) {
        return id == SHA_256.id ? SHA_256 : id == SHA3_256.id ? SHA3_256 : null;
    }

    /**
     * Hashes {@code length} bytes of {@code buf} from {@code index} (absolute; its indexes do not
     * move) into {@code out[outOffset, outOffset + 32)}.
     */
    public void digest(ByteBuf buf, int index, int length, byte[] out, int outOffset) {
        checkOut(out, outOffset);
        if (index < 0 || length < 0 || index > buf.capacity() - length) {
            throw new IndexOutOfBoundsException("index " + index + " length " + length + " in " + buf.capacity());
        }
        MessageDigest md = digests.get();
        try {
            update(md, buf, index, length);
        } catch (RuntimeException e) {
            md.reset(); // never leave half a message in the thread's digest
            throw e;
        }
        finish(md, out, outOffset);
    }

    private static void update(MessageDigest md, ByteBuf buf, int index, int length) {
        if (buf.hasArray()) {
            md.update(buf.array(), buf.arrayOffset() + index, length);
        } else {
            int count = buf.nioBufferCount();
            if (count == 1) {
                md.update(buf.nioBuffer(index, length));
            } else if (count > 1) {
                for (ByteBuffer piece : buf.nioBuffers(index, length)) {
                    md.update(piece);
                }
            } else {
                // No NIO view (a custom buffer): copy, the only way left.
                byte[] copy = new byte[length];
                buf.getBytes(index, copy);
                md.update(copy);
            }
        }
    }

    /** {@link #digest(ByteBuf, int, int, byte[], int)} into a new array. */
    public byte[] digest(ByteBuf buf, int index, int length) {
        byte[] out = new byte[DIGEST_BYTES];
        digest(buf, index, length, out, 0);
        return out;
    }

    /** Hashes {@code data[offset, offset + length)} into {@code out[outOffset, outOffset + 32)}. */
    public void digest(byte[] data, int offset, int length, byte[] out, int outOffset) {
        checkOut(out, outOffset);
        MessageDigest md = digests.get();
        md.update(data, offset, length);
        finish(md, out, outOffset);
    }

    /** The digest of all of {@code data}, in a new array. */
    public byte[] digest(byte[] data) {
        byte[] out = new byte[DIGEST_BYTES];
        digest(data, 0, data.length, out, 0);
        return out;
    }

    private static void checkOut(byte[] out, int outOffset) {
        if (outOffset < 0 || outOffset > out.length - DIGEST_BYTES) {
            throw new IndexOutOfBoundsException("no room for a 32-byte digest at " + outOffset + " of " + out.length);
        }
    }

    private static void finish(MessageDigest md, byte[] out, int outOffset) {
        try {
            md.digest(out, outOffset, DIGEST_BYTES); // also resets it for the thread's next use
        } catch (DigestException e) {
            md.reset();
            throw new IllegalStateException(md.getAlgorithm() + " digest failed", e);
        }
    }

    @Override
    public String toString() {
        return "BlockHasher[" + algorithm + "]";
    }
}
