package io.laminar.model;

import io.laminar.kernels.GgmlType;
import io.laminar.model.arch.ModelConfig;
import io.laminar.model.gguf.GgufFile;
import io.laminar.model.gguf.GgufTensor;

import java.util.EnumMap;
import java.util.Map;

/**
 * What a model is, in a line: architecture, parameter count, the type most of its weights are
 * stored in, and its size, as llama-bench prints it (e.g. {@code llama 110M Q8_0}).
 */
public record ModelSummary(String architecture, long parameters, long bytes, GgmlType mainType) {

    public static ModelSummary of(GgufFile file, ModelConfig config) {
        long params = 0;
        long bytes = 0;
        Map<GgmlType, Long> byType = new EnumMap<>(GgmlType.class);
        for (GgufTensor t : file.tensors().values()) {
            params += t.elementCount();
            bytes += t.data().byteSize();
            if (t.shape().length == 2) {
                byType.merge(t.type(), t.data().byteSize(), Long::sum);
            }
        }
        GgmlType main = byType.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey)
                .orElse(GgmlType.F32);
        return new ModelSummary(config.architecture().ggufName(), params, bytes, main);
    }

    /** E.g. {@code llama 110M Q8_0}. */
    public String description() {
        return architecture + " " + humanCount(parameters) + " " + mainType;
    }

    public static String humanCount(long n) {
        if (n >= 1_000_000_000L) {
            return String.format("%.1fB", n / 1e9);
        }
        if (n >= 1_000_000L) {
            return String.format("%.0fM", n / 1e6);
        }
        return String.format("%.0fK", n / 1e3);
    }

    public String humanSize() {
        return bytes >= (1L << 30) ? String.format("%.2f GiB", bytes / (double) (1L << 30))
                : String.format("%.2f MiB", bytes / (double) (1L << 20));
    }
}
