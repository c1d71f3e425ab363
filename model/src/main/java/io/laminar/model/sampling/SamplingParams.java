package io.laminar.model.sampling;

/**
 * How the next token is chosen from the logits, with llama.cpp's meanings and defaults.
 *
 * @param temperature   divides the logits; {@code <= 0} means greedy (always the most likely token)
 * @param topK          keep the {@code k} most likely tokens; {@code <= 0} keeps all
 * @param topP          keep the smallest set of most likely tokens whose probability reaches {@code p}; 1 keeps all
 * @param minP          drop tokens less likely than {@code minP} times the most likely one; 0 keeps all
 * @param repeatPenalty divide positive (multiply negative) logits of recently seen tokens; 1 is off
 * @param repeatLastN   how many recent tokens the penalty looks at
 * @param seed          seed of the random choice; the same seed and inputs give the same tokens
 */
public record SamplingParams(float temperature, int topK, float topP, float minP, float repeatPenalty,
                             int repeatLastN, long seed) {
    public static final float DEFAULT_TEMPERATURE = 0.8f;
    public static final int DEFAULT_TOP_K = 40;
    public static final float DEFAULT_TOP_P = 0.95f;
    public static final float DEFAULT_MIN_P = 0.05f;
    public static final float DEFAULT_REPEAT_PENALTY = 1.0f;
    public static final int DEFAULT_REPEAT_LAST_N = 64;

    public SamplingParams {
        if (Float.isNaN(temperature) || temperature < 0) {
            throw new IllegalArgumentException("temperature=" + temperature + " must be >= 0");
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p=" + topP + " must be in (0, 1]");
        }
        if (!(minP >= 0 && minP <= 1)) {
            throw new IllegalArgumentException("min_p=" + minP + " must be in [0, 1]");
        }
        if (!(repeatPenalty > 0) || Float.isInfinite(repeatPenalty)) {
            throw new IllegalArgumentException("repeat_penalty=" + repeatPenalty + " must be > 0");
        }
        if (repeatLastN < 0) {
            throw new IllegalArgumentException("repeat_last_n=" + repeatLastN + " must be >= 0");
        }
    }

    public static SamplingParams greedy() {
        return new SamplingParams(0f, DEFAULT_TOP_K, DEFAULT_TOP_P, DEFAULT_MIN_P, DEFAULT_REPEAT_PENALTY,
                DEFAULT_REPEAT_LAST_N, 0);
    }

    public static SamplingParams defaults(long seed) {
        return new SamplingParams(DEFAULT_TEMPERATURE, DEFAULT_TOP_K, DEFAULT_TOP_P, DEFAULT_MIN_P,
                DEFAULT_REPEAT_PENALTY, DEFAULT_REPEAT_LAST_N, seed);
    }

    public boolean isGreedy() {
        return temperature <= 0;
    }
}
