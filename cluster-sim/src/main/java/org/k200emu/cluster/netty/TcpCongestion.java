package org.k200emu.cluster.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelOption;
import io.netty.channel.unix.RawUnixChannelOption;
import io.netty.channel.unix.UnixChannel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The TCP congestion control of the card's sockets, NVMe/TCP and NBD (Linux's TCP_CONGESTION
 * socket option), when it should not be the system's. It matters on loopback: with {@code bbr}, which
 * paces every send, one iperf3 stream here moves 4.4-5.2 GB/s; with {@code cubic}, 7.4-7.9. So a
 * benchmark names one algorithm for the target, the initiator and the ceiling it is compared with.
 * Needs a native transport (epoll or io_uring): NIO has no way to set it.
 */
public final class TcpCongestion {

    /** IPPROTO_TCP, TCP_CONGESTION (netinet/tcp.h) and TCP_CA_NAME_MAX. */
    private static final int IPPROTO_TCP = 6;
    private static final int TCP_CONGESTION = 13;
    private static final int NAME_MAX = 16;

    /** The raw socket option; set it with {@link #apply}, whose value is fresh for each channel. */
    public static final ChannelOption<ByteBuffer> OPTION =
            new RawUnixChannelOption("TCP_CONGESTION", IPPROTO_TCP, TCP_CONGESTION, NAME_MAX);

    private static final Path AVAILABLE = Path.of("/proc/sys/net/ipv4/tcp_available_congestion_control");
    private static final Path CURRENT = Path.of("/proc/sys/net/ipv4/tcp_congestion_control");

    private TcpCongestion() {
    }

    /**
     * Checks that {@code name} is an algorithm this kernel has loaded.
     *
     * @throws IllegalArgumentException naming the ones it has, when it is not
     */
    public static String check(String name) {
        if (name == null || name.isEmpty() || name.length() >= NAME_MAX) {
            throw new IllegalArgumentException("TCP congestion control must be a name of 1 to 15 characters: " + name);
        }
        List<String> available = available();
        if (!available.contains(name)) {
            throw new IllegalArgumentException("TCP congestion control '" + name + "' is not available; this kernel has "
                    + (available.isEmpty() ? "none listed" : String.join(", ", available))
                    + " (" + AVAILABLE + ")");
        }
        return name;
    }

    /**
     * Sets the algorithm on one channel (from its initializer). Not through {@code childOption}:
     * setting the option consumes its buffer, so a value shared by every accepted channel is
     * empty from the second one on.
     *
     * @throws io.netty.channel.ChannelException when the kernel refuses it
     */
    public static void apply(Channel channel, String name) {
        if (!channel.config().setOption(OPTION, value(name))) {
            throw new ChannelException("cannot set the TCP congestion control on " + channel.getClass().getSimpleName());
        }
    }

    /**
     * {@link #check} plus the transport: sockets of {@code channelClass} must take raw socket
     * options (epoll, io_uring), which NIO's do not.
     *
     * @throws IllegalArgumentException when either is not so
     */
    public static String check(String name, Class<? extends Channel> channelClass) {
        check(name);
        if (!UnixChannel.class.isAssignableFrom(channelClass)) {
            throw new IllegalArgumentException("setting the TCP congestion control needs the epoll or io_uring"
                    + " transport, not " + channelClass.getSimpleName());
        }
        return name;
    }

    /** The option's value for {@code name}: the name, NUL-padded to the kernel's limit. */
    public static ByteBuffer value(String name) {
        byte[] bytes = Arrays.copyOf(name.getBytes(StandardCharsets.US_ASCII), NAME_MAX);
        return ByteBuffer.wrap(bytes);
    }

    /** The algorithms this kernel has loaded (empty where there is no such list: not Linux). */
    public static List<String> available() {
        return words(AVAILABLE);
    }

    /** The system's default algorithm, or "unknown". */
    public static String systemDefault() {
        List<String> current = words(CURRENT);
        return current.isEmpty() ? "unknown" : current.get(0);
    }

    /** For logs: {@code name}, or when it is null the system's default, said to be the system's. */
    public static String describe(String name) {
        return name != null ? name : systemDefault() + " (the system's)";
    }

    private static List<String> words(Path file) {
        try {
            String text = Files.readString(file).trim();
            return text.isEmpty() ? List.of() : List.of(text.split("\\s+"));
        } catch (IOException e) {
            return List.of();
        }
    }
}
