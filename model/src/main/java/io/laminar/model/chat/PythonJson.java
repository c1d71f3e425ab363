package io.laminar.model.chat;

import java.lang.reflect.Array;
import java.util.Map;

/**
 * JSON written the way Hugging Face's chat templates write it with {@code tojson}: Python's
 * {@code json.dumps(x, ensure_ascii=False, indent=indent)}, i.e. {@code ", "} and {@code ": "}
 * between items when not indented, non-ASCII kept as is, insertion order of keys kept.
 */
final class PythonJson {
    private PythonJson() {
    }

    /** @param indent spaces per level, or -1 for a single line */
    static String dumps(Object value, int indent) {
        StringBuilder out = new StringBuilder();
        write(value, indent, 0, out);
        return out.toString();
    }

    private static void write(Object value, int indent, int level, StringBuilder out) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof CharSequence s) {
            writeString(s.toString(), out);
        } else if (value instanceof Boolean b) {
            out.append(b ? "true" : "false");
        } else if (value instanceof Double || value instanceof Float) {
            writeFloat(((Number) value).doubleValue(), out);
        } else if (value instanceof Number n) {
            out.append(n);
        } else if (value instanceof Map<?, ?> map) {
            writeMap(map, indent, level, out);
        } else if (value instanceof Iterable<?> items) {
            writeItems(items, indent, level, out);
        } else if (value.getClass().isArray()) {
            java.util.List<Object> items = new java.util.ArrayList<>();
            for (int i = 0; i < Array.getLength(value); i++) {
                items.add(Array.get(value, i));
            }
            writeItems(items, indent, level, out);
        } else {
            writeString(value.toString(), out);
        }
    }

    private static void writeMap(Map<?, ?> map, int indent, int level, StringBuilder out) {
        if (map.isEmpty()) {
            out.append("{}");
            return;
        }
        out.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : map.entrySet()) {
            separate(first, indent, level + 1, out);
            first = false;
            writeString(String.valueOf(e.getKey()), out);
            out.append(": ");
            write(e.getValue(), indent, level + 1, out);
        }
        close(indent, level, out);
        out.append('}');
    }

    private static void writeItems(Iterable<?> items, int indent, int level, StringBuilder out) {
        if (!items.iterator().hasNext()) {
            out.append("[]");
            return;
        }
        out.append('[');
        boolean first = true;
        for (Object item : items) {
            separate(first, indent, level + 1, out);
            first = false;
            write(item, indent, level + 1, out);
        }
        close(indent, level, out);
        out.append(']');
    }

    private static void separate(boolean first, int indent, int level, StringBuilder out) {
        if (indent < 0) {
            if (!first) {
                out.append(", ");
            }
        } else {
            out.append(first ? "\n" : ",\n").append(" ".repeat(indent * level));
        }
    }

    private static void close(int indent, int level, StringBuilder out) {
        if (indent >= 0) {
            out.append('\n').append(" ".repeat(indent * level));
        }
    }

    /** Python's float repr: shortest round-trip digits, always with a '.' or exponent. */
    private static void writeFloat(double d, StringBuilder out) {
        if (Double.isNaN(d)) {
            out.append("NaN");
        } else if (Double.isInfinite(d)) {
            out.append(d > 0 ? "Infinity" : "-Infinity");
        } else if (d == Math.rint(d) && Math.abs(d) < 1e16) {
            out.append((long) d).append(".0");
        } else {
            out.append(Double.toString(d).replace("E", "e"));
        }
    }

    private static void writeString(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
