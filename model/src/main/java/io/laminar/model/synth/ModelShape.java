package io.laminar.model.synth;

import java.util.List;
import java.util.Locale;

/**
 * The hyper-parameters of a synthetic model: everything {@link SyntheticModelWriter} needs except the
 * weights. Presets copy the shapes of real models; the {@code tiny} ones are for tests (every matrix
 * width a multiple of 256, so that all weight types, K-quants included, apply to every matrix).
 *
 * @param name           preset name, written as {@code general.name}
 * @param architecture   the GGUF architecture
 * @param dim            embedding width ({@code embedding_length})
 * @param layers         transformer blocks ({@code block_count})
 * @param heads          query heads ({@code attention.head_count})
 * @param kvHeads        key/value heads ({@code attention.head_count_kv}); divides {@code heads}
 * @param headDim        width of one head ({@code attention.key_length} = {@code value_length});
 *                       {@code dim / heads} except for Qwen3
 * @param hiddenDim      the MLP's inner width ({@code feed_forward_length})
 * @param vocabSize      tokens in the vocabulary
 * @param contextLength  the trained context ({@code context_length}), metadata only
 * @param ropeTheta      RoPE frequency base ({@code rope.freq_base})
 * @param rmsEps         epsilon of the RMS norms ({@code attention.layer_norm_rms_epsilon})
 * @param tiedEmbeddings whether the output head reuses {@code token_embd.weight} (no {@code output.weight})
 * @param ropeScaling    Llama 3 frequency scaling, written as a {@code rope_freqs.weight} tensor, or {@code null}
 */
public record ModelShape(
        String name,
        Architecture architecture,
        int dim,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int hiddenDim,
        int vocabSize,
        int contextLength,
        float ropeTheta,
        float rmsEps,
        boolean tiedEmbeddings,
        Llama3RopeScaling ropeScaling) {

    /**
     * The architectures written, by their GGUF name. RoPE layouts as llama.cpp applies them: {@code llama}
     * rotates adjacent pairs (x[2i], x[2i+1]) ("normal" mode), {@code qwen2} and {@code qwen3} rotate
     * (x[i], x[i + headDim/2]) ("NeoX" mode). Hugging Face Llama checkpoints use the NeoX pairing too;
     * convert_hf_to_gguf.py permutes the rows of attn_q and attn_k so that llama.cpp's pairing gives
     * the same result. For random weights the permutation changes nothing, so none is applied here.
     */
    public enum Architecture {
        /** Llama 1/2/3: attn_q/k/v/output, SwiGLU MLP, optional {@code rope_freqs}. */
        LLAMA("llama"),
        /** Qwen2/2.5: Llama plus biases on attn_q, attn_k and attn_v. */
        QWEN2("qwen2"),
        /** Qwen3: Llama plus per-head RMS norms {@code attn_q_norm}/{@code attn_k_norm}; no biases. Not in llama.cpp b4916. */
        QWEN3("qwen3");

        private final String ggufName;

        Architecture(String ggufName) {
            this.ggufName = ggufName;
        }

        /** The value of {@code general.architecture} and the prefix of the architecture's keys. */
        public String ggufName() {
            return ggufName;
        }
    }

    /**
     * Llama 3.1/3.2 RoPE scaling (Hugging Face {@code rope_type: "llama3"}). llama.cpp b4916 does not
     * read it from metadata: convert_hf_to_gguf.py turns it into a {@code rope_freqs.weight} tensor of
     * {@code headDim/2} divisors, one per rotated pair, which is what {@link #freqFactors} computes.
     *
     * @param factor                   divisor of the lowest frequencies (8 for Llama 3.1, 32 for 3.2)
     * @param lowFreqFactor            wavelengths above originalContextLength / lowFreqFactor are fully scaled
     * @param highFreqFactor           wavelengths below originalContextLength / highFreqFactor are kept
     * @param originalContextLength    the pre-training context (8192)
     */
    public record Llama3RopeScaling(float factor, float lowFreqFactor, float highFreqFactor, int originalContextLength) {
        public static final Llama3RopeScaling LLAMA_3_2 = new Llama3RopeScaling(32f, 1f, 4f, 8192);

        /** The {@code rope_freqs} divisors, as convert_hf_to_gguf.py computes them (in float32). */
        public float[] freqFactors(int headDim, float theta) {
            float[] out = new float[headDim / 2];
            float lowWavelen = originalContextLength / lowFreqFactor;
            float highWavelen = originalContextLength / highFreqFactor;
            for (int i = 0; i < out.length; i++) {
                float freq = (float) (1.0 / Math.pow(theta, (2.0 * i) / headDim));
                float wavelen = (float) (2 * Math.PI / freq);
                if (wavelen < highWavelen) {
                    out[i] = 1f;
                } else if (wavelen > lowWavelen) {
                    out[i] = factor;
                } else {
                    float smooth = (originalContextLength / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                    out[i] = 1f / ((1 - smooth) / factor + smooth);
                }
            }
            return out;
        }
    }

    /** Tests: Llama, 2 layers, grouped-query attention (4 heads, 2 KV heads), untied; 2.1M parameters. */
    public static final ModelShape TINY = new ModelShape("tiny", Architecture.LLAMA,
            256, 2, 4, 2, 64, 768, 1024, 256, 10000f, 1e-5f, false, null);
    /** Tests: Llama 3 style, multi-query attention (1 KV head), tied embeddings, Llama 3.2 RoPE scaling. */
    public static final ModelShape TINY_LLAMA3 = new ModelShape("tiny-llama3", Architecture.LLAMA,
            256, 2, 4, 1, 64, 768, 1024, 256, 500000f, 1e-5f, true, Llama3RopeScaling.LLAMA_3_2);
    /** Tests: Qwen2 with q/k/v biases, tied embeddings. */
    public static final ModelShape QWEN2_TINY = new ModelShape("qwen2-tiny", Architecture.QWEN2,
            256, 2, 4, 2, 64, 768, 1024, 256, 1000000f, 1e-6f, true, null);
    /** Tests: Qwen3 with q/k norms and a head width (128) unlike dim/heads (64), tied embeddings. */
    public static final ModelShape QWEN3_TINY = new ModelShape("qwen3-tiny", Architecture.QWEN3,
            256, 2, 4, 2, 128, 768, 1024, 256, 1000000f, 1e-6f, true, null);
    /** Karpathy's llama2.c stories110M: 12 layers of 768, multi-head attention, Llama 2 vocabulary, tied (110M parameters). */
    public static final ModelShape STORIES_110M = new ModelShape("stories110M", Architecture.LLAMA,
            768, 12, 12, 12, 64, 2048, 32000, 1024, 10000f, 1e-5f, true, null);
    /** Llama 3.2 1B: 16 layers of 2048, 32 heads, 8 KV heads, tied, Llama 3 RoPE scaling (factor 32). */
    public static final ModelShape LLAMA_3_2_1B = new ModelShape("llama-3.2-1B", Architecture.LLAMA,
            2048, 16, 32, 8, 64, 8192, 128256, 131072, 500000f, 1e-5f, true, Llama3RopeScaling.LLAMA_3_2);
    /** Qwen2.5 0.5B: 24 layers of 896 (not a multiple of 256: K-quant matrices fall back to Q8_0). */
    public static final ModelShape QWEN2_5_0_5B = new ModelShape("qwen2.5-0.5B", Architecture.QWEN2,
            896, 24, 14, 2, 64, 4864, 151936, 32768, 1000000f, 1e-6f, true, null);
    /** Qwen3 0.6B: 28 layers of 1024, 16 heads of 128, 8 KV heads, tied. */
    public static final ModelShape QWEN3_0_6B = new ModelShape("qwen3-0.6B", Architecture.QWEN3,
            1024, 28, 16, 8, 128, 3072, 151936, 40960, 1000000f, 1e-6f, true, null);

    private static final List<ModelShape> PRESETS = List.of(TINY, TINY_LLAMA3, QWEN2_TINY, QWEN3_TINY,
            STORIES_110M, LLAMA_3_2_1B, QWEN2_5_0_5B, QWEN3_0_6B);

    public ModelShape {
        if (dim < 1 || layers < 1 || heads < 1 || kvHeads < 1 || headDim < 2 || hiddenDim < 1 || contextLength < 1) {
            throw new IllegalArgumentException("sizes must be positive: dim=" + dim + " layers=" + layers + " heads="
                    + heads + " kvHeads=" + kvHeads + " headDim=" + headDim + " hiddenDim=" + hiddenDim
                    + " contextLength=" + contextLength);
        }
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("heads=" + heads + " is not a multiple of kvHeads=" + kvHeads);
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("headDim=" + headDim + " must be even for RoPE");
        }
        if (architecture == Architecture.QWEN2 && heads * headDim != dim) {
            throw new IllegalArgumentException("qwen2 needs heads*headDim == dim (llama.cpp sizes attn_q as dim x dim), got "
                    + heads + "*" + headDim + " != " + dim);
        }
        if (ropeScaling != null && architecture != Architecture.LLAMA) {
            throw new IllegalArgumentException("Llama 3 RoPE scaling applies to architecture llama only, not " + architecture);
        }
        if (vocabSize < SyntheticVocabulary.MIN_SIZE) {
            throw new IllegalArgumentException("vocabSize=" + vocabSize + " is below " + SyntheticVocabulary.MIN_SIZE);
        }
    }

    /** All presets, test shapes first. */
    public static List<ModelShape> presets() {
        return PRESETS;
    }

    /** The preset called {@code name} (case-insensitive). */
    public static ModelShape preset(String name) {
        for (ModelShape s : PRESETS) {
            if (s.name.equalsIgnoreCase(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("no preset named '" + name + "'; presets: "
                + PRESETS.stream().map(ModelShape::name).toList());
    }

    /** Width of all query heads together. */
    public int qDim() {
        return heads * headDim;
    }

    /** Width of all key (and of all value) heads together. */
    public int kvDim() {
        return kvHeads * headDim;
    }

    /** Parameters in the written file (norms, biases and {@code rope_freqs} included). */
    public long parameterCount() {
        long perLayer = 2L * dim                                   // attn_norm, ffn_norm
                + (long) dim * qDim() + 2L * dim * kvDim()         // attn_q, attn_k, attn_v
                + (long) qDim() * dim                              // attn_output
                + 3L * dim * hiddenDim;                            // ffn_gate, ffn_up, ffn_down
        if (architecture == Architecture.QWEN2) {
            perLayer += qDim() + 2L * kvDim();
        } else if (architecture == Architecture.QWEN3) {
            perLayer += 2L * headDim;
        }
        long n = (long) vocabSize * dim * (tiedEmbeddings ? 1 : 2) + dim + perLayer * layers;
        return ropeScaling != null ? n + headDim / 2 : n;
    }

    public ModelShape withName(String n) {
        return new ModelShape(n, architecture, dim, layers, heads, kvHeads, headDim, hiddenDim, vocabSize,
                contextLength, ropeTheta, rmsEps, tiedEmbeddings, ropeScaling);
    }

    public ModelShape withLayers(int n) {
        return new ModelShape(name, architecture, dim, n, heads, kvHeads, headDim, hiddenDim, vocabSize,
                contextLength, ropeTheta, rmsEps, tiedEmbeddings, ropeScaling);
    }

    public ModelShape withVocabSize(int n) {
        return new ModelShape(name, architecture, dim, layers, heads, kvHeads, headDim, hiddenDim, n,
                contextLength, ropeTheta, rmsEps, tiedEmbeddings, ropeScaling);
    }

    public ModelShape withContextLength(int n) {
        return new ModelShape(name, architecture, dim, layers, heads, kvHeads, headDim, hiddenDim, vocabSize,
                n, ropeTheta, rmsEps, tiedEmbeddings, ropeScaling);
    }

    public ModelShape withTiedEmbeddings(boolean tied) {
        return new ModelShape(name, architecture, dim, layers, heads, kvHeads, headDim, hiddenDim, vocabSize,
                contextLength, ropeTheta, rmsEps, tied, ropeScaling);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s[%s dim=%d layers=%d heads=%d kvHeads=%d headDim=%d hidden=%d vocab=%d "
                        + "ctx=%d theta=%.0f eps=%.0e tied=%b%s]", name, architecture.ggufName(), dim, layers, heads,
                kvHeads, headDim, hiddenDim, vocabSize, contextLength, ropeTheta, rmsEps, tiedEmbeddings,
                ropeScaling == null ? "" : " " + ropeScaling);
    }
}
