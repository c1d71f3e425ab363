package io.laminar.model.gguf;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The key/value metadata of a GGUF file, with typed accessors whose errors name the key, the type
 * that was expected and what was found.
 */
public final class GgufMetadata {
    private final Map<String, GgufValue> values;

    public GgufMetadata(Map<String, GgufValue> values) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    public Set<String> keys() {
        return values.keySet();
    }

    public Map<String, GgufValue> asMap() {
        return values;
    }

    public boolean has(String key) {
        return values.containsKey(key);
    }

    public Optional<GgufValue> get(String key) {
        return Optional.ofNullable(values.get(key));
    }

    public String getString(String key) {
        return (String) require(key, "string", v -> v.type() == GgufValueType.STRING).value();
    }

    public Optional<String> findString(String key) {
        return has(key) ? Optional.of(getString(key)) : Optional.empty();
    }

    public long getLong(String key) {
        return (Long) require(key, "integer", v -> v.type().isInteger()).value();
    }

    public int getInt(String key) {
        long v = getLong(key);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new GgufFormatException("metadata key=" + key + " value=" + v + " does not fit an int");
        }
        return (int) v;
    }

    public int getInt(String key, int defaultValue) {
        return has(key) ? getInt(key) : defaultValue;
    }

    public float getFloat(String key) {
        GgufValue v = require(key, "float", x -> x.type() == GgufValueType.FLOAT32
                || x.type() == GgufValueType.FLOAT64 || x.type().isInteger());
        return ((Number) v.value()).floatValue();
    }

    public float getFloat(String key, float defaultValue) {
        return has(key) ? getFloat(key) : defaultValue;
    }

    public boolean getBoolean(String key, boolean defaultValue) {
        return has(key)
                ? (Boolean) require(key, "bool", v -> v.type() == GgufValueType.BOOL).value()
                : defaultValue;
    }

    public String[] getStringArray(String key) {
        return (String[]) requireArray(key, GgufValueType.STRING).value();
    }

    public float[] getFloatArray(String key) {
        return (float[]) requireArray(key, GgufValueType.FLOAT32).value();
    }

    /** An integer array of any integer element type, as ints. */
    public int[] getIntArray(String key) {
        GgufValue v = require(key, "integer array",
                x -> x.type() == GgufValueType.ARRAY && x.elementType().isInteger());
        long[] longs = (long[]) v.value();
        int[] ints = new int[longs.length];
        for (int i = 0; i < longs.length; i++) {
            ints[i] = Math.toIntExact(longs[i]);
        }
        return ints;
    }

    private GgufValue requireArray(String key, GgufValueType elementType) {
        return require(key, "array of " + elementType,
                v -> v.type() == GgufValueType.ARRAY && v.elementType() == elementType);
    }

    private GgufValue require(String key, String expected, java.util.function.Predicate<GgufValue> ok) {
        GgufValue v = values.get(key);
        if (v == null) {
            throw new GgufFormatException("metadata key=" + key + " is missing (expected " + expected + ")");
        }
        if (!ok.test(v)) {
            throw new GgufFormatException(
                    "metadata key=" + key + " has " + v.describe() + ", expected " + expected);
        }
        return v;
    }
}
