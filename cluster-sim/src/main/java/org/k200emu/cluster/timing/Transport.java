package org.k200emu.cluster.timing;

import java.util.Locale;

/** The NVMe-oF transport a modelled workload runs over. */
public enum Transport {
    /** NVMe/TCP: the card's cores run the TCP/IP stack and the PDU framing. */
    TCP("tcp", "NVMe/TCP"),
    /** NVMe/RoCE v2: the NIC runs the RDMA transport; the cores only post work and reap completions. */
    ROCE("roce", "NVMe/RoCE");

    private final String id;
    private final String label;

    Transport(String id, String label) {
        this.id = id;
        this.label = label;
    }

    /** The short name: {@code tcp} or {@code roce}. */
    public String id() {
        return id;
    }

    /** The name for people: {@code NVMe/TCP} or {@code NVMe/RoCE}. */
    public String label() {
        return label;
    }

    /**
     * Parses {@code tcp}, {@code roce} or {@code rdma} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static Transport parse(String text) {
        String s = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        switch (s) {
            case "tcp":
                return TCP;
            case "roce":
            case "rdma":
                return ROCE;
            default:
                throw new IllegalArgumentException("'" + text + "' is not a transport; use tcp or roce");
        }
    }
}
