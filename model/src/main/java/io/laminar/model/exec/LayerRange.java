package io.laminar.model.exec;

/**
 * A contiguous range of transformer layers, {@code [start, end)}, that one pipeline stage runs.
 */
public record LayerRange(int start, int end) {
    public LayerRange {
        if (start < 0 || end <= start) {
            throw new IllegalArgumentException("invalid layer range [" + start + ", " + end + ")");
        }
    }

    public int size() {
        return end - start;
    }

    public void checkWithin(int layers) {
        if (end > layers) {
            throw new IllegalArgumentException("layer range [" + start + ", " + end + ") exceeds the model's "
                    + layers + " layers");
        }
    }

    /** Splits {@code layers} into {@code stages} ranges whose sizes differ by at most one. */
    public static LayerRange[] split(int layers, int stages) {
        if (stages < 1 || stages > layers) {
            throw new IllegalArgumentException("cannot split " + layers + " layers into " + stages + " stages");
        }
        LayerRange[] ranges = new LayerRange[stages];
        int start = 0;
        for (int s = 0; s < stages; s++) {
            int size = layers / stages + (s < layers % stages ? 1 : 0);
            ranges[s] = new LayerRange(start, start + size);
            start += size;
        }
        return ranges;
    }

    /** Parses {@code "A-B"} (inclusive, as a user writes it) into {@code [A, B+1)}. */
    public static LayerRange parseInclusive(String text) {
        String[] parts = text.split("-");
        if (parts.length != 2) {
            throw new IllegalArgumentException("layer range '" + text + "' is not of the form A-B");
        }
        return new LayerRange(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()) + 1);
    }

    @Override
    public String toString() {
        return start + "-" + (end - 1);
    }
}
