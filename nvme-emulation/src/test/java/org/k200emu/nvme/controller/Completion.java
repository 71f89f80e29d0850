package org.k200emu.nvme.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.k200emu.nvme.NvmeStatus;

/**
 * What a test transport saw of one command: the completion handler's call count, status, DW0 and
 * a copy of the returned data. Like a real transport it releases {@code req.data()} and clears it.
 */
final class Completion implements CompletionHandler {

    final NvmeRequest req;
    int completions;
    int status = -1;
    int dw0;
    int dw1;
    byte[] data;

    Completion(NvmeRequest req) {
        this.req = req;
    }

    @Override
    public void completed(NvmeRequest r) {
        assertThat(r).isSameAs(req);
        completions++;
        status = r.status();
        dw0 = r.dw0();
        dw1 = r.dw1();
        ByteBuf d = r.data();
        if (d != null) {
            data = ByteBufUtil.getBytes(d);
            d.release();
            r.data(null);
        }
    }

    boolean done() {
        return completions > 0;
    }

    /** Asserts exactly one completion with {@code expected} status; returns this. */
    Completion expect(int expected) {
        assertThat(completions).as("completions").isEqualTo(1);
        assertThat(status).as("status %s, expected %s", NvmeStatus.name(status), NvmeStatus.name(expected))
                .isEqualTo(expected);
        return this;
    }

    Completion ok() {
        return expect(NvmeStatus.SUCCESS);
    }

    private ByteBuffer le() {
        assertThat(data).as("returned data").isNotNull();
        return ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    }

    int u8(int at) {
        return le().get(at) & 0xFF;
    }

    int u16(int at) {
        return le().getShort(at) & 0xFFFF;
    }

    int u32(int at) {
        return le().getInt(at);
    }

    long u64(int at) {
        return le().getLong(at);
    }

    String ascii(int at, int length) {
        return new String(data, at, length, StandardCharsets.US_ASCII);
    }

    byte[] bytes(int at, int length) {
        return Arrays.copyOfRange(data, at, at + length);
    }

    boolean allZero(int from, int to) {
        for (int i = from; i < to; i++) {
            if (data[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
