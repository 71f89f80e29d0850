package org.k200emu.nvme.subsystem;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * One Discovery Log Page entry (NVMe-oF 1.1, figure 38): a way to reach an NVM subsystem.
 *
 * @param trtype  transport type (3 = TCP)
 * @param adrfam  address family (1 = IPv4, 2 = IPv6)
 * @param subtype subsystem type (2 = NVM subsystem)
 * @param treq    transport requirements (0 = not specified)
 * @param portId  the port's identifier
 * @param cntlid  0xFFFF: dynamic controller model
 * @param asqsz   maximum admin queue size
 * @param trsvcid transport service identifier (the TCP port, as text)
 * @param subnqn  the subsystem's NQN
 * @param traddr  the transport address (IP address, as text)
 */
public record DiscoveryEntry(int trtype, int adrfam, int subtype, int treq, int portId, int cntlid, int asqsz,
                             String trsvcid, String subnqn, String traddr) {

    public static final int ENTRY_LENGTH = 1024;
    public static final int TRTYPE_TCP = 3;
    public static final int SUBTYPE_NVM = 2;

    /** An NVMe/TCP entry for an NVM subsystem on {@code address:port}. */
    public static DiscoveryEntry tcp(int portId, String address, int port, String subnqn) {
        int adrfam = address.indexOf(':') >= 0 ? 2 : 1;
        return new DiscoveryEntry(TRTYPE_TCP, adrfam, SUBTYPE_NVM, 0, portId, 0xFFFF, 32,
                Integer.toString(port), subnqn, address);
    }

    /** Writes the 1024-byte entry at the writer index. */
    public void encode(ByteBuf out) {
        int start = out.writerIndex();
        out.writeZero(ENTRY_LENGTH);
        out.setByte(start, trtype);
        out.setByte(start + 1, adrfam);
        out.setByte(start + 2, subtype);
        out.setByte(start + 3, treq);
        out.setShortLE(start + 4, portId);
        out.setShortLE(start + 6, cntlid);
        out.setShortLE(start + 8, asqsz);
        ascii(out, start + 32, 32, trsvcid, true);
        ascii(out, start + 256, 256, subnqn, false);
        ascii(out, start + 512, 256, traddr, true);
        // TSAS for TCP: SECTYPE (byte 0) = 0, no security.
    }

    /** Reads the 1024-byte entry at absolute index {@code at} (the inverse of {@link #encode}). */
    public static DiscoveryEntry decode(ByteBuf in, int at) {
        return new DiscoveryEntry(in.getUnsignedByte(at), in.getUnsignedByte(at + 1), in.getUnsignedByte(at + 2),
                in.getUnsignedByte(at + 3), in.getUnsignedShortLE(at + 4), in.getUnsignedShortLE(at + 6),
                in.getUnsignedShortLE(at + 8), text(in, at + 32, 32), text(in, at + 256, 256),
                text(in, at + 512, 256));
    }

    /** An ASCII field without its NUL or space padding. */
    private static String text(ByteBuf in, int at, int width) {
        int n = 0;
        while (n < width && in.getByte(at + n) != 0) {
            n++;
        }
        return in.toString(at, n, StandardCharsets.US_ASCII).strip();
    }

    /** Text fields: ASCII, space-padded (TRSVCID, TRADDR) or NUL-padded (SUBNQN). */
    private static void ascii(ByteBuf out, int at, int width, String value, boolean spacePad) {
        byte[] b = value.getBytes(StandardCharsets.US_ASCII);
        int n = Math.min(b.length, width);
        out.setBytes(at, b, 0, n);
        if (spacePad) {
            for (int i = n; i < width; i++) {
                out.setByte(at + i, ' ');
            }
        }
    }
}
