package org.k200emu.nvmeof.tcp.pdu;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** However TCP splits the stream, the decoder emits the same frames. */
class PduDecoderSplitTest {

    private static PduStreams.Stream stream(PduDecoder.Role role, boolean hdgst, boolean ddgst) {
        return role == PduDecoder.Role.TARGET
                ? PduStreams.hostToController(hdgst, ddgst)
                : PduStreams.controllerToHost(hdgst, ddgst);
    }

    @ParameterizedTest(name = "{0} hdgst={1} ddgst={2}")
    @CsvSource({"TARGET,false,false", "TARGET,true,true", "TARGET,true,false", "TARGET,false,true",
            "HOST,false,false", "HOST,true,true", "HOST,true,false", "HOST,false,true"})
    void byteByByte(PduDecoder.Role role, boolean hdgst, boolean ddgst) {
        PduStreams.Stream s = stream(role, hdgst, ddgst);
        EmbeddedChannel ch = PduStreams.channel(role);
        for (byte b : s.bytes()) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
        List<byte[]> frames = PduStreams.drain(ch);
        assertThat(frames).containsExactlyElementsOf(s.pdus());
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @ParameterizedTest(name = "{0} hdgst={1} ddgst={2}")
    @CsvSource({"TARGET,false,false", "TARGET,true,true", "HOST,false,false", "HOST,true,true"})
    void everyTwoWaySplit(PduDecoder.Role role, boolean hdgst, boolean ddgst) {
        PduStreams.Stream s = stream(role, hdgst, ddgst);
        byte[] bytes = s.bytes();
        Set<Integer> boundaries = new HashSet<>();
        int end = 0;
        for (byte[] pdu : s.pdus()) {
            boundaries.add(end += pdu.length);
        }
        for (int split = 1; split < bytes.length; split++) {
            EmbeddedChannel ch = PduStreams.channel(role);
            PduDecoder decoder = ch.pipeline().get(PduDecoder.class);
            ch.writeInbound(Unpooled.wrappedBuffer(bytes, 0, split));
            // Every PDU here is small: a read that ends inside one leaves its rest to wait for.
            assertThat(decoder.awaitsSmallRest()).as("split at %d", split).isEqualTo(!boundaries.contains(split));
            ch.writeInbound(Unpooled.wrappedBuffer(bytes, split, bytes.length - split));
            assertThat(decoder.awaitsSmallRest()).isFalse();
            List<byte[]> frames = PduStreams.drain(ch);
            assertThat(frames).as("split at %d", split).containsExactlyElementsOf(s.pdus());
            ch.finishAndReleaseAll();
        }
    }
}
