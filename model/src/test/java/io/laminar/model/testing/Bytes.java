package io.laminar.model.testing;

/** Test helper: finding a byte pattern in an encoded file or record, to corrupt it on purpose. */
public final class Bytes {
    private Bytes() {
    }

    /** The first index at or after {@code from} where {@code needle} stands in {@code hay}, or -1. */
    public static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
