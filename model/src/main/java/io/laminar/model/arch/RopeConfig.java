package io.laminar.model.arch;

import io.laminar.kernels.GgmlType;
import io.laminar.kernels.Quantization;
import io.laminar.model.gguf.GgufFile;
import io.laminar.model.gguf.GgufMetadata;
import io.laminar.model.gguf.GgufTensor;

/**
 * Rotary position embedding settings.
 *
 * @param layout      which elements rotate together
 * @param dims        how many leading elements of each head are rotated
 * @param freqBase    theta base (10000 for Llama 2, 500000 for Llama 3, 1000000 for Qwen)
 * @param freqScale   position scale of linear RoPE scaling (1 when unscaled)
 * @param freqFactors per-pair divisors of the frequency, from a {@code rope_freqs.weight} tensor
 *                    (how llama.cpp files encode Llama 3.1/3.2 scaling), or {@code null}
 */
public record RopeConfig(RopeLayout layout, int dims, float freqBase, float freqScale, float[] freqFactors) {

    static RopeConfig fromGguf(GgufFile file, Architecture arch, int headDim) {
        GgufMetadata m = file.metadata();
        String p = arch.ggufName() + ".";
        int dims = m.getInt(p + "rope.dimension_count", headDim);
        float base = m.getFloat(p + "rope.freq_base", 10000f);
        float scale = 1f;
        String scalingType = m.findString(p + "rope.scaling.type").orElse("none");
        switch (scalingType) {
            case "none" -> { }
            case "linear" -> scale = 1f / m.getFloat(p + "rope.scaling.factor", 1f);
            default -> throw new UnsupportedModelException(
                    "unsupported RoPE scaling type '" + scalingType + "' (supported: none, linear, and Llama 3 "
                            + "scaling through rope_freqs.weight)");
        }
        if (m.has(p + "rope.scale_linear")) {
            scale = 1f / m.getFloat(p + "rope.scale_linear");
        }
        float[] factors = null;
        GgufTensor freqs = file.findTensor("rope_freqs.weight");
        if (freqs != null) {
            if (freqs.type() != GgmlType.F32 || freqs.elementCount() != dims / 2) {
                throw new UnsupportedModelException("rope_freqs.weight must be F32 with " + dims / 2
                        + " elements, found " + freqs);
            }
            factors = new float[dims / 2];
            Quantization.dequantizeRow(GgmlType.F32, freqs.data(), 0, factors, 0, factors.length);
        }
        return new RopeConfig(arch.ropeLayout(), dims, base, scale, factors);
    }
}
