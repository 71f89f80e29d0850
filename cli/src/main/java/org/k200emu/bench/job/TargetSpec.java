package org.k200emu.bench.job;

import java.util.Objects;
import org.k200emu.card.config.Sizes;

/**
 * What a job runs against: a card over NVMe/TCP ({@link Remote}, option {@code target=}) or a bdev
 * made in the bench process itself ({@link Local}, option {@code bdev=}).
 */
public sealed interface TargetSpec permits TargetSpec.Remote, TargetSpec.Local {

    /** The NVMe/TCP port when {@code target=} gives none. */
    int DEFAULT_PORT = 4420;
    /** The address when neither {@code target=} nor {@code bdev=} is given. */
    String DEFAULT_ADDRESS = "127.0.0.1";
    /** The subsystem when {@code subnqn=} is not given: the card's embedded default subsystem. */
    String DEFAULT_SUBNQN = "nqn.2014-08.org.k200emu:default";
    /** The host NQN when {@code hostnqn=} is not given. */
    String DEFAULT_HOSTNQN = "nqn.2014-08.org.k200emu:bench";
    /** The local bdev size when {@code bdev_size=} is not given: 1 GiB. */
    long DEFAULT_BDEV_SIZE = 1L << 30;
    /** The local bdev block size when {@code bdev_bs=} is not given. */
    int DEFAULT_BDEV_BLOCK_SIZE = 512;

    /**
     * One line for people, e.g. {@code tcp 127.0.0.1:4420 nqn.2014-08.org.k200emu:default nsid 1}
     * or {@code local malloc 1GiB (512 B blocks)}.
     */
    String describe();

    /** The default target: the card at 127.0.0.1:4420, its default subsystem, namespace 1, no digests. */
    static Remote defaultTarget() {
        return new Remote(DEFAULT_ADDRESS, DEFAULT_PORT, DEFAULT_SUBNQN, 1, DEFAULT_HOSTNQN, false, false);
    }

    /**
     * A namespace of a card over NVMe/TCP.
     *
     * @param address      host name or IP address, IPv6 without brackets ({@code ::1})
     * @param port         TCP port, 1..65535
     * @param subnqn       the subsystem to connect to
     * @param nsid         the namespace, 1..0xFFFFFFFE taken as unsigned (see {@link Integer#toUnsignedString})
     * @param hostNqn      the host NQN to connect as
     * @param headerDigest request PDU header digests (fio/nvme-cli {@code hdgst})
     * @param dataDigest   request PDU data digests ({@code ddgst})
     */
    record Remote(String address, int port, String subnqn, int nsid, String hostNqn, boolean headerDigest,
                  boolean dataDigest) implements TargetSpec {

        public Remote {
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(subnqn, "subnqn");
            Objects.requireNonNull(hostNqn, "hostNqn");
            if (address.isBlank()) {
                throw new IllegalArgumentException("empty address");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port must be 1..65535, not " + port);
            }
            if (nsid == 0 || nsid == -1) {
                throw new IllegalArgumentException("nsid must be 1..4294967294, not " + Integer.toUnsignedString(nsid));
            }
        }

        /** {@code host:port}, with brackets around an IPv6 address: {@code [::1]:4420}. */
        public String hostPort() {
            return (address.indexOf(':') >= 0 ? "[" + address + "]" : address) + ":" + port;
        }

        @Override
        public String describe() {
            return "tcp " + hostPort() + " " + subnqn + " nsid " + Integer.toUnsignedString(nsid)
                    + (headerDigest ? " hdgst" : "") + (dataDigest ? " ddgst" : "");
        }
    }

    /**
     * A bdev the bench makes in its own process, with no card and no network in between.
     *
     * @param bdevType  {@code null} (discards writes, reads zeroes) or {@code malloc} (RAM)
     * @param sizeBytes capacity, a positive multiple of {@code blockSize}
     * @param blockSize logical block size, 512 or 4096
     */
    record Local(String bdevType, long sizeBytes, int blockSize) implements TargetSpec {

        public Local {
            Objects.requireNonNull(bdevType, "bdevType");
            if (!bdevType.equals("null") && !bdevType.equals("malloc")) {
                throw new IllegalArgumentException("bdev type must be null or malloc, not '" + bdevType + "'");
            }
            if (blockSize != 512 && blockSize != 4096) {
                throw new IllegalArgumentException("block size must be 512 or 4096, not " + blockSize);
            }
            if (sizeBytes <= 0 || sizeBytes % blockSize != 0) {
                throw new IllegalArgumentException("size must be a positive multiple of " + blockSize + ", not " + sizeBytes);
            }
        }

        /** The number of logical blocks. */
        public long blockCount() {
            return sizeBytes / blockSize;
        }

        @Override
        public String describe() {
            return "local " + bdevType + " " + Sizes.format(sizeBytes) + " (" + blockSize + " B blocks)";
        }
    }
}
