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
            throw new IllegalArgumentException("layers " + this + " exceed the model's " + layers + " layers (0-"
                    + (layers - 1) + ")");
        }
    }

    /** The layers of {@code [0, layers)} that none of {@code ranges} covers, as maximal ranges in order. */
    public static java.util.List<LayerRange> uncovered(int layers, java.util.Collection<LayerRange> ranges) {
        boolean[] covered = new boolean[layers];
        for (LayerRange r : ranges) {
            java.util.Arrays.fill(covered, Math.min(r.start, layers), Math.min(r.end, layers), true);
        }
        java.util.List<LayerRange> gaps = new java.util.ArrayList<>();
        for (int l = 0; l < layers; l++) {
            if (!covered[l]) {
                int start = l;
                while (l + 1 < layers && !covered[l + 1]) {
                    l++;
                }
                gaps.add(new LayerRange(start, l + 1));
            }
        }
        return gaps;
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

    /**
     * Parses {@code "A-B"} (inclusive, as a user writes it) into {@code [A, B+1)}, with errors that
     * quote the user's text rather than the half-open range.
     */
    public static LayerRange parseInclusive(String text) {
        String[] parts = text.split("-");
        int first;
        int last;
        try {
            if (parts.length != 2) {
                throw new NumberFormatException();
            }
            first = Integer.parseInt(parts[0].trim());
            last = Integer.parseInt(parts[1].trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("layer range '" + text + "' is not of the form A-B (first and last"
                    + " layer, counted from 0, e.g. 0-5)");
        }
        if (last < first) {
            throw new IllegalArgumentException("layer range '" + text + "': the first layer (" + first
                    + ") comes after the last (" + last + ")");
        }
        return new LayerRange(first, last + 1);
    }

    @Override
    public String toString() {
        return start + "-" + (end - 1);
    }
}
