package org.k200emu.card.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/** A JSON node with the path that leads to it, for error messages. */
record ConfigNode(JsonNode json, String path) {
    static ConfigNode root(JsonNode json) {
        return new ConfigNode(json, "");
    }

    ConfigNode field(String name) {
        return new ConfigNode(json.get(name), path.isEmpty() ? name : path + "." + name);
    }

    ConfigNode element(int i) {
        return new ConfigNode(json.get(i), path + "[" + i + "]");
    }

    boolean present() {
        return json != null && !json.isNull();
    }

    ConfigException error(String reason) {
        return new ConfigException(path.isEmpty() ? "(document)" : path, reason);
    }

    void allowOnly(String... names) {
        if (!json.isObject()) {
            throw error("must be a mapping");
        }
        Set<String> allowed = Set.of(names);
        for (Iterator<String> it = json.fieldNames(); it.hasNext();) {
            String f = it.next();
            if (!allowed.contains(f)) {
                throw field(f).error("unknown field (allowed: " + String.join(", ", names) + ")");
            }
        }
    }

    String text(String dflt) {
        if (!present()) {
            return dflt;
        }
        if (!json.isTextual()) {
            throw error("must be text");
        }
        return json.asText();
    }

    int integer(int dflt, int min, int max) {
        if (!present()) {
            return dflt;
        }
        if (!json.isIntegralNumber() || !json.canConvertToInt()) {
            throw error("must be a whole number");
        }
        int v = json.asInt();
        if (v < min || v > max) {
            throw error("must be within " + min + ".." + max + ", not " + v);
        }
        return v;
    }

    boolean bool(boolean dflt) {
        if (!present()) {
            return dflt;
        }
        if (!json.isBoolean()) {
            throw error("must be true or false");
        }
        return json.asBoolean();
    }

    List<ConfigNode> list() {
        List<ConfigNode> out = new ArrayList<>();
        if (!present()) {
            return out;
        }
        if (!json.isArray()) {
            throw error("must be a list");
        }
        for (int i = 0; i < json.size(); i++) {
            out.add(element(i));
        }
        return out;
    }

    long size(long dflt) {
        if (!present()) {
            return dflt;
        }
        if (json.isIntegralNumber()) {
            // Negative or beyond a long: asLong() would pass it on as a sentinel or wrapped.
            if (!json.canConvertToLong() || json.asLong() < 0) {
                throw error("must be a size such as 1GiB, 512MiB or a number of bytes, not " + json.asText());
            }
            return json.asLong();
        }
        if (!json.isTextual()) {
            throw error("must be a size such as 1GiB, 512MiB or a number of bytes");
        }
        try {
            return Sizes.parse(json.asText());
        } catch (IllegalArgumentException e) {
            throw error(e.getMessage());
        }
    }
}
