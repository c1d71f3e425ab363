package io.laminar.model.arch;

import io.laminar.model.gguf.GgufFile;
import io.laminar.model.gguf.GgufFormatException;
import io.laminar.model.gguf.GgufMetadata;
import io.laminar.model.gguf.GgufTensor;

/**
 * The hyper-parameters of a model, read once from GGUF metadata.
 *
 * @param architecture   the transformer family
 * @param dim            embedding width
 * @param layers         transformer blocks
 * @param heads          query heads
 * @param kvHeads        key/value heads (fewer than {@code heads} for grouped-query attention)
 * @param headDim        width of a query/key head
 * @param valueDim       width of a value head (equal to {@code headDim} in all supported models)
 * @param hiddenDim      the MLP's inner width
 * @param vocabSize      rows of the embedding and output matrices
 * @param contextLength  the longest sequence the model was trained for
 * @param rmsEps         epsilon of every RMS norm
 * @param rope           rotary position embedding settings
 * @param tiedEmbeddings whether the output head reuses the token embedding (no {@code output.weight})
 */
public record ModelConfig(
        Architecture architecture,
        int dim,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int valueDim,
        int hiddenDim,
        int vocabSize,
        int contextLength,
        float rmsEps,
        RopeConfig rope,
        boolean tiedEmbeddings) {

    /** Width of all query heads together. */
    public int qDim() {
        return heads * headDim;
    }

    /** Width of all key heads together (also of all value heads). */
    public int kvDim() {
        return kvHeads * headDim;
    }

    public static ModelConfig fromGguf(GgufFile file) {
        GgufMetadata m = file.metadata();
        String archName = m.getString("general.architecture");
        Architecture arch = Architecture.fromGguf(archName);
        String p = archName + ".";
        if (m.has(p + "expert_count") && m.getInt(p + "expert_count") > 0) {
            throw new UnsupportedModelException("mixture-of-experts models are not supported ("
                    + p + "expert_count=" + m.getInt(p + "expert_count") + ")");
        }
        int dim = m.getInt(p + "embedding_length");
        int heads = m.getInt(p + "attention.head_count");
        int kvHeads = m.getInt(p + "attention.head_count_kv", heads);
        int headDim = m.getInt(p + "attention.key_length", dim / heads);
        int valueDim = m.getInt(p + "attention.value_length", headDim);
        if (valueDim != headDim) {
            throw new UnsupportedModelException("key_length=" + headDim + " differs from value_length=" + valueDim);
        }
        if (heads % kvHeads != 0) {
            throw new GgufFormatException(file.path() + ": head_count=" + heads
                    + " is not a multiple of head_count_kv=" + kvHeads);
        }
        GgufTensor embedding = file.tensor("token_embd.weight");
        int vocab = m.has(p + "vocab_size") ? m.getInt(p + "vocab_size") : (int) embedding.rows();
        return new ModelConfig(
                arch,
                dim,
                m.getInt(p + "block_count"),
                heads,
                kvHeads,
                headDim,
                valueDim,
                m.getInt(p + "feed_forward_length"),
                vocab,
                m.getInt(p + "context_length"),
                m.getFloat(p + "attention.layer_norm_rms_epsilon", 1e-5f),
                RopeConfig.fromGguf(file, arch, headDim),
                file.findTensor("output.weight") == null);
    }
}
