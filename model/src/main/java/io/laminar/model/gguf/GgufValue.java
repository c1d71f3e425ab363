package io.laminar.model.gguf;

/**
 * One metadata value as stored. Scalars are boxed Java values ({@code Long} for every integer
 * type, {@code Float}/{@code Double}, {@code Boolean}, {@code String}); arrays are Java arrays:
 * {@code long[]} for integers, {@code float[]}, {@code double[]}, {@code boolean[]},
 * {@code String[]}. Arrays of arrays are kept as {@code Object[]}.
 *
 * @param type        the stored type
 * @param elementType for ARRAY, the element type; otherwise {@code null}
 * @param value       the value
 */
public record GgufValue(GgufValueType type, GgufValueType elementType, Object value) {

    /** A readable rendering for error messages: the type, and a short view of the value. */
    public String describe() {
        if (type == GgufValueType.ARRAY) {
            int n = java.lang.reflect.Array.getLength(value);
            return "array of " + n + " " + elementType;
        }
        return type + " " + value;
    }
}
