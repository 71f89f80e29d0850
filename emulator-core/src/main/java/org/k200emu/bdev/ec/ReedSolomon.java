package org.k200emu.bdev.ec;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.k200emu.bdev.gf.Gf256;
import org.k200emu.bdev.gf.Gf256Region;

/**
 * A systematic k+m Reed-Solomon erasure code over {@link Gf256}: k data shards are kept as they
 * are and m parity shards are computed from them, so that any k of the k+m shards give back the
 * others. Shards are equal-length byte ranges; every byte position is an independent codeword, so
 * any column range of a stripe can be coded on its own.
 *
 * <p>The encoding matrix is the identity on top of an m x k Cauchy matrix, whose square
 * submatrices are all invertible, so every k x k submatrix of the whole matrix is invertible.
 * The Cauchy part is scaled (columns so that the first parity row is all ones, then rows so that
 * the first column is all ones): scaling rows or columns by non-zero factors keeps that property,
 * and it makes the first parity a plain XOR, the cheapest row to compute.
 *
 * <p>The coding loops work on a column chunk at a time: the chunk of each data (or surviving)
 * shard is read once into per-thread packed words, then each output is the dot product of those
 * with its row, built by Horner's rule over the bit planes of the row ({@link Gf256Region}: one
 * pass per plane, {@code acc = 2 acc ^ the sources whose coefficient has that bit}, up to four
 * sources XORed per pass, in loops C2 turns into SIMD code), and written out once. The bit
 * planes of every row are computed once, with the code or the decode plan. A tail of fewer than
 * eight bytes goes byte by byte through {@link Gf256#mul}. {@link ByteBuf} shards without a
 * backing array are staged through per-thread arrays. Reconstruction inverts the submatrix of
 * the surviving shards once per erasure pattern and keeps the result in a small lock-free cache.
 * Nothing is allocated per call beyond that cache entry (and a thread's first workspace).
 *
 * <p>Immutable apart from the cache; one instance is shared by every core.
 */
public final class ReedSolomon {

    /** The packed chunks of all sources together take at most this many bytes (half of a 32 KiB L1 data cache). */
    private static final int STAGED_BYTES = 16384;
    /** Bounds of the chunk: at least 512 columns so a pass does not cost more to set up than to run. */
    private static final int MIN_CHUNK = 512;
    private static final int MAX_CHUNK = 4096;
    private static final int PLAN_SLOTS = 1024;

    private final int k;
    private final int m;
    private final int n;
    /** Columns coded per pass, a multiple of 256: the packed chunks of the k sources fit {@link #STAGED_BYTES}. */
    private final int chunk;
    /** n x k: identity rows, then the parity rows. */
    private final byte[][] matrix;
    /** The parity rows of {@link #matrix}. */
    private final byte[][] parityRows;
    /** The bit planes of each parity row ({@link Gf256Region#levels}), for the coding loops. */
    private final int[][][] parityLevels;
    private final AtomicReferenceArray<DecodePlan> plans = new AtomicReferenceArray<>(PLAN_SLOTS);
    private final ThreadLocal<Workspace> workspaces;

    /** A code with {@code dataShards} data and {@code parityShards} parity shards, at most 255 in all. */
    public ReedSolomon(int dataShards, int parityShards) {
        if (dataShards < 1 || parityShards < 1 || dataShards + parityShards > 255) {
            throw new IllegalArgumentException("need 1 <= k, 1 <= m, k + m <= 255; got k=" + dataShards
                    + " m=" + parityShards);
        }
        this.k = dataShards;
        this.m = parityShards;
        this.n = dataShards + parityShards;
        this.chunk = Math.max(MIN_CHUNK, Math.min(MAX_CHUNK, (STAGED_BYTES / k) & ~255));
        this.parityRows = cauchy(k, m);
        this.parityLevels = new int[m][][];
        for (int p = 0; p < m; p++) {
            parityLevels[p] = Gf256Region.levels(parityRows[p]);
        }
        this.matrix = new byte[n][];
        for (int i = 0; i < k; i++) {
            matrix[i] = new byte[k];
            matrix[i][i] = 1;
        }
        for (int p = 0; p < m; p++) {
            matrix[k + p] = parityRows[p];
        }
        int shards = n;
        int sources = k;
        int columns = chunk;
        this.workspaces = ThreadLocal.withInitial(() -> new Workspace(shards, sources, columns));
    }

    /** The scaled Cauchy matrix: 1 / (x_p + y_j) with x_p = k + p and y_j = j, all distinct. */
    private static byte[][] cauchy(int k, int m) {
        byte[][] c = new byte[m][k];
        for (int p = 0; p < m; p++) {
            for (int j = 0; j < k; j++) {
                c[p][j] = (byte) Gf256.inv((k + p) ^ j);
            }
        }
        for (int j = 0; j < k; j++) {
            int scale = Gf256.inv(c[0][j]);
            for (int p = 0; p < m; p++) {
                c[p][j] = (byte) Gf256.mul(c[p][j], scale);
            }
        }
        for (int p = 1; p < m; p++) {
            int scale = Gf256.inv(c[p][0]);
            for (int j = 0; j < k; j++) {
                c[p][j] = (byte) Gf256.mul(c[p][j], scale);
            }
        }
        return c;
    }

    public int dataShards() {
        return k;
    }

    public int parityShards() {
        return m;
    }

    public int totalShards() {
        return n;
    }

    /** Entry (row, column) of the n x k encoding matrix. */
    public int coefficient(int row, int column) {
        return matrix[row][column] & 0xff;
    }

    /** A copy of the n x k encoding matrix. */
    public byte[][] encodingMatrix() {
        byte[][] copy = new byte[n][];
        for (int i = 0; i < n; i++) {
            copy[i] = matrix[i].clone();
        }
        return copy;
    }

    // ---------------------------------------------------------------- encode

    /**
     * Computes the parity shards {@code shards[k..n-1]} over {@code [offset, offset+length)} from
     * the data shards {@code shards[0..k-1]}. A null parity shard is skipped.
     */
    public void encode(byte[][] shards, int offset, int length) {
        checkShards(shards.length);
        Workspace w = workspaces.get();
        for (int j = 0; j < k; j++) {
            w.inArrays[j] = require(shards[j], j);
            w.inOffsets[j] = offset;
            checkRange(shards[j].length, offset, length, j);
        }
        int outs = 0;
        for (int p = 0; p < m; p++) {
            byte[] out = shards[k + p];
            if (out != null) {
                checkRange(out.length, offset, length, k + p);
                w.rows[outs] = parityRows[p];
                w.levels[outs] = parityLevels[p];
                w.outArrays[outs] = out;
                w.outOffsets[outs] = offset;
                outs++;
            }
        }
        code(w, outs, w.inArrays, w.inOffsets, w.outArrays, w.outOffsets, length);
        w.forget();
    }

    /**
     * Computes the parity shards over {@code length} bytes: shard i is the range of
     * {@code shards[i]} starting at the absolute index {@code offsets[i]} (indexes untouched;
     * outputs are set within the buffer's capacity). A null parity shard is skipped.
     */
    public void encode(ByteBuf[] shards, int[] offsets, int length) {
        checkShards(shards.length);
        Workspace w = workspaces.get();
        for (int j = 0; j < k; j++) {
            w.inBufs[j] = require(shards[j], j);
            w.inBufOffsets[j] = offsets[j];
        }
        int outs = 0;
        for (int p = 0; p < m; p++) {
            if (shards[k + p] != null) {
                w.rows[outs] = parityRows[p];
                w.levels[outs] = parityLevels[p];
                w.outBufs[outs] = shards[k + p];
                w.outBufOffsets[outs] = offsets[k + p];
                outs++;
            }
        }
        codeBuffers(w, outs, length);
        w.forget();
    }

    // ---------------------------------------------------------------- reconstruct

    /**
     * Rebuilds over {@code [offset, offset+length)} every shard i with {@code !present[i]} and
     * {@code shards[i] != null}, from the present ones. Throws IllegalArgumentException if fewer
     * than k shards are present (more than m erasures).
     */
    public void reconstruct(byte[][] shards, boolean[] present, int offset, int length) {
        checkShards(shards.length);
        DecodePlan plan = plan(present);
        Workspace w = workspaces.get();
        for (int j = 0; j < k; j++) {
            int s = plan.used[j];
            w.inArrays[j] = require(shards[s], s);
            w.inOffsets[j] = offset;
            checkRange(shards[s].length, offset, length, s);
        }
        int outs = 0;
        for (int i = 0; i < n; i++) {
            if (!present[i] && shards[i] != null) {
                checkRange(shards[i].length, offset, length, i);
                w.rows[outs] = plan.rows[i];
                w.levels[outs] = plan.levels[i];
                w.outArrays[outs] = shards[i];
                w.outOffsets[outs] = offset;
                outs++;
            }
        }
        code(w, outs, w.inArrays, w.inOffsets, w.outArrays, w.outOffsets, length);
        w.forget();
    }

    /** {@link #reconstruct(byte[][], boolean[], int, int)} on buffer ranges as in {@link #encode(ByteBuf[], int[], int)}. */
    public void reconstruct(ByteBuf[] shards, int[] offsets, boolean[] present, int length) {
        checkShards(shards.length);
        DecodePlan plan = plan(present);
        Workspace w = workspaces.get();
        for (int j = 0; j < k; j++) {
            int s = plan.used[j];
            w.inBufs[j] = require(shards[s], s);
            w.inBufOffsets[j] = offsets[s];
        }
        int outs = 0;
        for (int i = 0; i < n; i++) {
            if (!present[i] && shards[i] != null) {
                w.rows[outs] = plan.rows[i];
                w.levels[outs] = plan.levels[i];
                w.outBufs[outs] = shards[i];
                w.outBufOffsets[outs] = offsets[i];
                outs++;
            }
        }
        codeBuffers(w, outs, length);
        w.forget();
    }

    /** The decode plan for this erasure pattern, from the cache or computed and cached. */
    private DecodePlan plan(boolean[] present) {
        if (present.length != n) {
            throw new IllegalArgumentException("present[] has " + present.length + " entries, expected " + n);
        }
        long w0 = 0;
        long w1 = 0;
        long w2 = 0;
        long w3 = 0;
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (present[i]) {
                count++;
                long bit = 1L << (i & 63);
                switch (i >>> 6) {
                    case 0: w0 |= bit; break;
                    case 1: w1 |= bit; break;
                    case 2: w2 |= bit; break;
                    default: w3 |= bit; break;
                }
            }
        }
        if (count < k) {
            throw new IllegalArgumentException("cannot reconstruct: " + count + " of " + n + " shards present, "
                    + (n - count) + " erased; a " + k + "+" + m + " code recovers at most " + m + " erasures");
        }
        long h = w0 * 0x9E3779B97F4A7C15L ^ w1 * 0xC2B2AE3D27D4EB4FL ^ w2 * 0x165667B19E3779F9L ^ w3 * 0x27D4EB2F165667C5L;
        int slot = (int) (h ^ (h >>> 29) ^ (h >>> 47)) & (PLAN_SLOTS - 1);
        DecodePlan plan = plans.get(slot);
        if (plan != null && plan.w0 == w0 && plan.w1 == w1 && plan.w2 == w2 && plan.w3 == w3) {
            return plan;
        }
        plan = buildPlan(present, w0, w1, w2, w3);
        plans.set(slot, plan);
        return plan;
    }

    private DecodePlan buildPlan(boolean[] present, long w0, long w1, long w2, long w3) {
        int[] used = new int[k];
        int u = 0;
        for (int i = 0; i < n && u < k; i++) {
            if (present[i]) {
                used[u++] = i;
            }
        }
        byte[][] sub = new byte[k][];
        for (int r = 0; r < k; r++) {
            sub[r] = matrix[used[r]];
        }
        // decode maps the used shards to the data shards; a parity row times it maps them to that parity.
        byte[][] decode = Gf256.invert(sub);
        byte[][] rows = new byte[n][];
        int[][][] levels = new int[n][][];
        for (int i = 0; i < n; i++) {
            if (present[i]) {
                continue;
            }
            if (i < k) {
                rows[i] = decode[i];
            } else {
                rows[i] = Gf256.multiply(new byte[][] {parityRows[i - k]}, decode)[0];
            }
            levels[i] = Gf256Region.levels(rows[i]);
        }
        return new DecodePlan(w0, w1, w2, w3, used, rows, levels);
    }

    // ---------------------------------------------------------------- coding loops

    /** Stages non-array buffers chunk by chunk through the workspace; array-backed ones are coded in place. */
    private void codeBuffers(Workspace w, int outs, int length) {
        if (length < 0) {
            throw new IllegalArgumentException("negative length");
        }
        for (int j = 0; j < k; j++) {
            checkBuffer(w.inBufs[j], w.inBufOffsets[j], length, j);
        }
        for (int t = 0; t < outs; t++) {
            checkBuffer(w.outBufs[t], w.outBufOffsets[t], length, k + t);
        }
        for (int c = 0; c < length; c += chunk) {
            int len = Math.min(chunk, length - c);
            for (int j = 0; j < k; j++) {
                ByteBuf b = w.inBufs[j];
                if (b.hasArray()) {
                    w.inArrays[j] = b.array();
                    w.inOffsets[j] = b.arrayOffset() + w.inBufOffsets[j] + c;
                } else {
                    byte[] stage = w.stage(w.stageIn, j);
                    b.getBytes(w.inBufOffsets[j] + c, stage, 0, len);
                    w.inArrays[j] = stage;
                    w.inOffsets[j] = 0;
                }
            }
            for (int t = 0; t < outs; t++) {
                ByteBuf b = w.outBufs[t];
                if (b.hasArray()) {
                    w.outArrays[t] = b.array();
                    w.outOffsets[t] = b.arrayOffset() + w.outBufOffsets[t] + c;
                } else {
                    w.outArrays[t] = w.stage(w.stageOut, t);
                    w.outOffsets[t] = 0;
                }
            }
            code(w, outs, w.inArrays, w.inOffsets, w.outArrays, w.outOffsets, len);
            for (int t = 0; t < outs; t++) {
                ByteBuf b = w.outBufs[t];
                if (!b.hasArray()) {
                    b.setBytes(w.outBufOffsets[t] + c, w.stageOut[t], 0, len);
                }
            }
        }
    }

    /**
     * out[t] = sum over j of rows[t][j] * in[j], for {@code outs} outputs over {@code length}
     * bytes, one chunk of columns at a time: each input chunk is read once into packed words,
     * then each output is their dot product with its row ({@link Gf256Region#dotProduct}), written
     * out once. A tail of fewer than eight bytes goes byte by byte.
     */
    private void code(Workspace w, int outs, byte[][] in, int[] inOff, byte[][] out, int[] outOff, int length) {
        if (length < 0) {
            throw new IllegalArgumentException("negative length");
        }
        for (int c = 0; c < length; c += chunk) {
            int len = Math.min(chunk, length - c);
            int words = len >>> 3;
            if (words > 0) {
                for (int j = 0; j < k; j++) {
                    Gf256Region.load(w.staged[j], in[j], inOff[j] + c, words);
                }
                for (int t = 0; t < outs; t++) {
                    Gf256Region.dotProduct(w.acc, w.levels[t], w.staged, words);
                    Gf256Region.store(w.acc, out[t], outOff[t] + c, words);
                }
            }
            for (int i = c + 8 * words; i < c + len; i++) {
                for (int t = 0; t < outs; t++) {
                    byte[] row = w.rows[t];
                    int acc = 0;
                    for (int j = 0; j < k; j++) {
                        acc ^= Gf256.mul(row[j], in[j][inOff[j] + i]);
                    }
                    out[t][outOff[t] + i] = (byte) acc;
                }
            }
        }
    }

    // ---------------------------------------------------------------- checks

    private void checkShards(int count) {
        if (count != n) {
            throw new IllegalArgumentException("expected " + n + " shards (" + k + "+" + m + "), got " + count);
        }
    }

    private static <T> T require(T shard, int index) {
        if (shard == null) {
            throw new IllegalArgumentException("shard " + index + " is needed but null");
        }
        return shard;
    }

    private static void checkRange(int arrayLength, int offset, int length, int index) {
        if (offset < 0 || length < 0 || offset > arrayLength - length) {
            throw new IndexOutOfBoundsException("shard " + index + ": range [" + offset + ", +" + length
                    + ") outside an array of " + arrayLength);
        }
    }

    private static void checkBuffer(ByteBuf buf, int offset, int length, int index) {
        if (offset < 0 || offset > buf.capacity() - length) {
            throw new IndexOutOfBoundsException("shard " + index + ": range [" + offset + ", +" + length
                    + ") outside a buffer of capacity " + buf.capacity());
        }
    }

    /** The rows that rebuild each missing shard from the k used ones, for one erasure pattern. */
    private static final class DecodePlan {
        final long w0;
        final long w1;
        final long w2;
        final long w3;
        /** The k present shards the rows combine, in order. */
        final int[] used;
        /** rows[i] for each missing shard i (null for present ones). */
        final byte[][] rows;
        /** The bit planes of rows[i]. */
        final int[][][] levels;

        DecodePlan(long w0, long w1, long w2, long w3, int[] used, byte[][] rows, int[][][] levels) {
            this.w0 = w0;
            this.w1 = w1;
            this.w2 = w2;
            this.w3 = w3;
            this.used = used;
            this.rows = rows;
            this.levels = levels;
        }
    }

    /** Per-thread argument arrays and staging chunks, so that a call allocates nothing. */
    private static final class Workspace {
        final byte[][] rows;
        final int[][][] levels;
        /** A chunk of each source, as packed words. */
        final long[][] staged;
        /** The output being computed. */
        final long[] acc;
        final byte[][] inArrays;
        final int[] inOffsets;
        final byte[][] outArrays;
        final int[] outOffsets;
        final ByteBuf[] inBufs;
        final int[] inBufOffsets;
        final ByteBuf[] outBufs;
        final int[] outBufOffsets;
        final byte[][] stageIn;
        final byte[][] stageOut;

        final int chunk;

        Workspace(int n, int k, int chunk) {
            this.chunk = chunk;
            rows = new byte[n][];
            levels = new int[n][][];
            staged = new long[k][chunk / 8];
            acc = new long[chunk / 8];
            inArrays = new byte[n][];
            inOffsets = new int[n];
            outArrays = new byte[n][];
            outOffsets = new int[n];
            inBufs = new ByteBuf[n];
            inBufOffsets = new int[n];
            outBufs = new ByteBuf[n];
            outBufOffsets = new int[n];
            stageIn = new byte[n][];
            stageOut = new byte[n][];
        }

        /** A staging chunk, made on first use: most callers pass array-backed buffers only. */
        byte[] stage(byte[][] stages, int i) {
            byte[] s = stages[i];
            if (s == null) {
                s = new byte[chunk];
                stages[i] = s;
            }
            return s;
        }

        /** Drops references to the caller's shards so that the thread does not keep them alive. */
        void forget() {
            Arrays.fill(inArrays, null);
            Arrays.fill(outArrays, null);
            Arrays.fill(inBufs, null);
            Arrays.fill(outBufs, null);
            Arrays.fill(rows, null);
            Arrays.fill(levels, null);
        }
    }
}
