package org.k200emu.card.config;

/**
 * A configuration that cannot be used: the path of the field at fault and why, so the user reads
 * one line such as {@code bdevs[1].size: must be a non-zero multiple of the block size 4096}.
 */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String path;
    private final String reason;

    public ConfigException(String path, String reason) {
        super(path + ": " + reason);
        this.path = path;
        this.reason = reason;
    }

    public String path() {
        return path;
    }

    public String reason() {
        return reason;
    }
}
