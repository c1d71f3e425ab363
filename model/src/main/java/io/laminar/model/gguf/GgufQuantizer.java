package io.laminar.model.gguf;

import io.laminar.kernels.GgmlType;
import io.laminar.kernels.Quantization;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Rewrites a GGUF model with its weight matrices in another type, as llama-quantize does: every
 * two-dimensional {@code *.weight} tensor is converted (from whatever it is stored in, through
 * float), one-dimensional tensors (norms, biases) keep their type, and a matrix whose rows are not
 * a whole number of the target's blocks falls back to a type that fits ({@link #storedTypeFor}).
 * Metadata is copied unchanged.
 */
public final class GgufQuantizer {
    private GgufQuantizer() {
    }

    /**
     * The type a matrix with rows of {@code cols} elements is stored in when {@code target} is asked
     * for: the target if its block size divides {@code cols}, else Q8_0 (32-element blocks) for a
     * quantized target, else F16.
     */
    public static GgmlType storedTypeFor(GgmlType target, long cols) {
        if (cols % target.blockSize() == 0) {
            return target;
        }
        return target.quantized() && cols % GgmlType.Q8_0.blockSize() == 0 ? GgmlType.Q8_0 : GgmlType.F16;
    }

    /** Writes {@code source} to {@code target} with its matrices in {@code type}. */
    public static void quantize(Path source, Path target, GgmlType type) throws IOException {
        if (!type.supported()) {
            throw new IllegalArgumentException("cannot quantize to " + type + " (supported: "
                    + GgmlType.supportedNames() + ")");
        }
        try (GgufFile in = GgufFile.open(source)) {
            GgufWriter out = new GgufWriter();
            for (Map.Entry<String, GgufValue> e : in.metadata().asMap().entrySet()) {
                if (!e.getKey().equals(GgufFile.ALIGNMENT_KEY)) {
                    out.put(e.getKey(), e.getValue());
                }
            }
            for (GgufTensor t : in.tensors().values()) {
                boolean matrix = t.shape().length == 2 && t.name().endsWith(".weight");
                GgmlType stored = matrix ? storedTypeFor(type, t.cols()) : t.type();
                if (stored == t.type()) {
                    out.addTensor(t.name(), stored, t.shape(), seg -> seg.copyFrom(t.data()));
                    continue;
                }
                int cols = Math.toIntExact(t.cols());
                long rows = t.rows();
                out.addTensor(t.name(), stored, t.shape(), seg -> {
                    float[] row = new float[cols];
                    long inBytes = t.type().bytesFor(cols);
                    long outBytes = stored.bytesFor(cols);
                    for (long r = 0; r < rows; r++) {
                        Quantization.dequantizeRow(t.type(), t.data(), r * inBytes, row, 0, cols);
                        Quantization.quantizeRow(stored, row, 0, cols, seg, r * outBytes);
                    }
                });
            }
            out.write(target);
        }
    }
}
