package org.k200emu.bdev;

import java.util.List;
import org.k200emu.card.config.CardConfig;
import org.k200emu.card.config.ConfigException;

/**
 * Makes the redundancy services (RAID, erasure coding) from their configuration. Kept apart from
 * {@link BdevRegistry} so each service's factory signature lives in one place.
 */
final class ServiceFactories {

    private ServiceFactories() {
    }

    static Bdev make(CardConfig.BdevConfig b, List<Bdev> members, String path) {
        throw new ConfigException(path + ".type", "bdev type '" + b.type() + "' is not available in this build");
    }
}
