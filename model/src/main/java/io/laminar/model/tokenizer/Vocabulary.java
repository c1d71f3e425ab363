package io.laminar.model.tokenizer;

import io.laminar.model.gguf.GgufMetadata;
import io.laminar.model.gguf.GgufValue;

import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * A tokenizer's vocabulary as read from GGUF metadata: token texts, scores, attributes, the ids of
 * special roles and the set of end-of-generation tokens. The fix-ups llama.cpp applies while loading
 * (roles recognised by token text, CONTROL added to end-of-turn tokens, Phi-3's RSTRIP) are applied
 * here too, because they change how text is split around special tokens.
 */
public final class Vocabulary {
    public static final String TOKENS_KEY = "tokenizer.ggml.tokens";
    public static final String SCORES_KEY = "tokenizer.ggml.scores";
    public static final String TOKEN_TYPE_KEY = "tokenizer.ggml.token_type";
    /** Marks an absent special token, as llama.cpp's LLAMA_TOKEN_NULL. */
    public static final int NO_TOKEN = -1;

    /** Deprecated keys that older conversions wrote for the fill-in-the-middle roles. */
    private static final Map<String, SpecialTokenRole> LEGACY_ROLE_KEYS = Map.of(
            "tokenizer.ggml.prefix_token_id", SpecialTokenRole.FIM_PREFIX,
            "tokenizer.ggml.suffix_token_id", SpecialTokenRole.FIM_SUFFIX,
            "tokenizer.ggml.middle_token_id", SpecialTokenRole.FIM_MIDDLE);

    /** Token texts llama.cpp treats as ending generation, whatever the metadata says. */
    private static final List<String> END_OF_GENERATION_TEXTS = List.of(
            "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
            "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
            "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
            "<｜end▁of▁sentence｜>", "[e~[");

    private final String[] texts;
    private final float[] scores;
    private final int[] attributes;
    private final Map<String, Integer> idByText;
    private final EnumMap<SpecialTokenRole, Integer> roles;
    private final BitSet endOfGeneration;
    private final int[] specialCandidatesLongestFirst;

    private Vocabulary(String[] texts, float[] scores, int[] attributes, Map<String, Integer> idByText,
                       EnumMap<SpecialTokenRole, Integer> roles, BitSet endOfGeneration) {
        this.texts = texts;
        this.scores = scores;
        this.attributes = attributes;
        this.idByText = idByText;
        this.roles = roles;
        this.endOfGeneration = endOfGeneration;
        // llama.cpp sorts by length only; ties are broken by id here so the order is reproducible.
        this.specialCandidatesLongestFirst = IntStream.range(0, texts.length)
                .filter(id -> TokenAttributes.isSpecialCandidate(attributes[id]))
                .boxed()
                .sorted(Comparator.<Integer>comparingInt(id -> texts[id].length()).reversed()
                        .thenComparingInt(id -> id))
                .mapToInt(Integer::intValue)
                .toArray();
    }

    /**
     * Reads the vocabulary.
     *
     * @param defaultRoles the ids llama.cpp assumes for this tokenizer model when the metadata has none
     */
    static Vocabulary read(GgufMetadata metadata, Map<SpecialTokenRole, Integer> defaultRoles) {
        String[] raw = metadata.getStringArray(TOKENS_KEY);
        int n = raw.length;
        String[] texts = new String[n];
        Map<String, Integer> idByText = HashMap.newHashMap(n);
        for (int id = 0; id < n; id++) {
            // llama.cpp renames empty tokens so that every text maps back to exactly one id.
            texts[id] = raw[id].isEmpty() ? "[EMPTY_" + id + "]" : raw[id];
            Integer previous = idByText.putIfAbsent(texts[id], id);
            if (previous != null) {
                throw new UnsupportedTokenizerException("duplicate token in vocabulary: text='" + texts[id]
                        + "' has ids " + previous + " and " + id);
            }
        }
        float[] scores = readScores(metadata, n);
        int[] attributes = new int[n];
        if (metadata.has(TOKEN_TYPE_KEY)) {
            int[] types = metadata.getIntArray(TOKEN_TYPE_KEY);
            requireLength(TOKEN_TYPE_KEY, types.length, n);
            for (int id = 0; id < n; id++) {
                attributes[id] = TokenAttributes.fromGgufTokenType(types[id]);
            }
        } else {
            Arrays.fill(attributes, TokenAttributes.NORMAL);
        }

        EnumMap<SpecialTokenRole, Integer> roles = readRoles(metadata, n, defaultRoles);
        recogniseRolesByText(roles, texts, attributes, idByText);
        markUnused(texts, attributes);
        BitSet endOfGeneration = endOfGeneration(roles, texts, attributes, idByText);
        applyModelSpecificAttributes(metadata, texts, attributes, idByText);
        return new Vocabulary(texts, scores, attributes, idByText, roles, endOfGeneration);
    }

    public int size() {
        return texts.length;
    }

    /** The token's text as stored in the vocabulary (with U+2581 or byte-level characters, as the model uses). */
    public String text(int id) {
        return texts[id];
    }

    public float score(int id) {
        return scores[id];
    }

    /** The {@link TokenAttributes} bits of a token. */
    public int attributes(int id) {
        return attributes[id];
    }

    /** The id of the token with exactly this text, or {@link #NO_TOKEN}. */
    public int id(String text) {
        Integer id = idByText.get(text);
        return id == null ? NO_TOKEN : id;
    }

    /** The token with this role, or {@link #NO_TOKEN}. */
    public int role(SpecialTokenRole role) {
        return roles.getOrDefault(role, NO_TOKEN);
    }

    public boolean isEndOfGeneration(int id) {
        return id >= 0 && endOfGeneration.get(id);
    }

    /** The end-of-generation token ids, ascending. */
    public int[] endOfGenerationIds() {
        return endOfGeneration.stream().toArray();
    }

    /** Control, user-defined and unknown tokens, longest text first: the order input text is searched for them. */
    int[] specialCandidatesLongestFirst() {
        return specialCandidatesLongestFirst;
    }

    private static float[] readScores(GgufMetadata metadata, int n) {
        float[] scores = new float[n];
        GgufValue v = metadata.get(SCORES_KEY).orElse(null);
        if (v == null) {
            return scores;
        }
        if (v.value() instanceof float[] f) {
            requireLength(SCORES_KEY, f.length, n);
            System.arraycopy(f, 0, scores, 0, n);
        } else if (v.value() instanceof long[] ints) {
            requireLength(SCORES_KEY, ints.length, n);
            for (int i = 0; i < n; i++) {
                scores[i] = ints[i];
            }
        } else {
            throw new UnsupportedTokenizerException("metadata key=" + SCORES_KEY + " has " + v.describe()
                    + ", expected an array of float32 or int32");
        }
        return scores;
    }

    private static void requireLength(String key, int length, int tokens) {
        if (length < tokens) {
            throw new UnsupportedTokenizerException("metadata key=" + key + " has " + length
                    + " entries for " + tokens + " tokens");
        }
    }

    private static EnumMap<SpecialTokenRole, Integer> readRoles(GgufMetadata metadata, int n,
                                                                Map<SpecialTokenRole, Integer> defaults) {
        EnumMap<SpecialTokenRole, Integer> roles = new EnumMap<>(SpecialTokenRole.class);
        defaults.forEach((role, id) -> {
            if (id >= 0 && id < n) {
                roles.put(role, id);
            }
        });
        for (SpecialTokenRole role : SpecialTokenRole.values()) {
            readRole(metadata, role.ggufKey(), role, n, roles);
        }
        LEGACY_ROLE_KEYS.forEach((key, role) -> readRole(metadata, key, role, n, roles));
        return roles;
    }

    private static void readRole(GgufMetadata metadata, String key, SpecialTokenRole role, int n,
                                 EnumMap<SpecialTokenRole, Integer> roles) {
        if (metadata.has(key)) {
            long id = metadata.getLong(key);
            // An out-of-range id keeps the default, as llama.cpp does (it logs "bad special token").
            if (id >= 0 && id < n) {
                roles.put(role, (int) id);
            }
        }
    }

    private static void recogniseRolesByText(EnumMap<SpecialTokenRole, Integer> roles, String[] texts,
                                             int[] attributes, Map<String, Integer> idByText) {
        for (SpecialTokenRole role : SpecialTokenRole.values()) {
            if (roles.containsKey(role) || role.recognisedTexts().isEmpty()) {
                continue;
            }
            for (String text : role.recognisedTexts()) {
                Integer id = idByText.get(text);
                if (id != null) {
                    roles.put(role, id);
                    attributes[id] |= TokenAttributes.CONTROL;
                    break;
                }
            }
        }
    }

    /** Control tokens named "...unused..." are placeholders; llama.cpp marks them UNUSED. */
    private static void markUnused(String[] texts, int[] attributes) {
        for (int id = 0; id < texts.length; id++) {
            if ((attributes[id] & TokenAttributes.CONTROL) != 0 && texts[id].contains("unused")) {
                attributes[id] |= TokenAttributes.UNUSED;
            }
        }
    }

    private static BitSet endOfGeneration(EnumMap<SpecialTokenRole, Integer> roles, String[] texts,
                                          int[] attributes, Map<String, Integer> idByText) {
        BitSet eog = new BitSet(texts.length);
        for (SpecialTokenRole role : List.of(SpecialTokenRole.FIM_PAD, SpecialTokenRole.FIM_REPO,
                SpecialTokenRole.FIM_SEPARATOR, SpecialTokenRole.EOS, SpecialTokenRole.EOT, SpecialTokenRole.EOM)) {
            Integer id = roles.get(role);
            if (id != null) {
                eog.set(id);
            }
        }
        for (String text : END_OF_GENERATION_TEXTS) {
            Integer id = idByText.get(text);
            if (id != null) {
                eog.set(id);
                attributes[id] |= TokenAttributes.CONTROL;
            }
        }
        // gpt-oss: these structure its output and must always be rendered.
        for (String text : List.of("<|channel|>", "<|message|>", "<|start|>", "<|constrain|>")) {
            Integer id = idByText.get(text);
            if (id != null) {
                attributes[id] = TokenAttributes.USER_DEFINED;
            }
        }
        // gpt-oss (o200k_harmony) and solar-open end a turn with <|end|> but keep generating after it.
        Integer end = idByText.get("<|end|>");
        if (end != null && eog.get(end)) {
            boolean harmony = hasEog(eog, idByText, "<|return|>") && hasEog(eog, idByText, "<|call|>");
            boolean solar = hasEog(eog, idByText, "<|calls|>") && hasEog(eog, idByText, "<|flush|>");
            if (harmony || solar) {
                eog.clear(end);
                attributes[end] = TokenAttributes.USER_DEFINED;
            }
        }
        // Gemma 4 uses </s> as an ordinary token.
        Integer closing = idByText.get("</s>");
        if (closing != null && eog.get(closing) && hasEog(eog, idByText, "<|tool_response>")) {
            eog.clear(closing);
            attributes[closing] = TokenAttributes.NORMAL;
        }
        return eog;
    }

    private static boolean hasEog(BitSet eog, Map<String, Integer> idByText, String text) {
        Integer id = idByText.get(text);
        return id != null && eog.get(id);
    }

    /** Phi-3's special tokens swallow the whitespace after them in input text. */
    private static void applyModelSpecificAttributes(GgufMetadata metadata, String[] texts, int[] attributes,
                                                     Map<String, Integer> idByText) {
        String name = metadata.findString("general.name").orElse("").toLowerCase(Locale.ROOT);
        if (!name.contains("phi-3") && !name.contains("phi3")) {
            return;
        }
        for (int id = 0; id < texts.length; id++) {
            if (TokenAttributes.isSpecialCandidate(attributes[id])) {
                attributes[id] |= TokenAttributes.RSTRIP;
            }
        }
        setAttribute(idByText, attributes, "</s>", TokenAttributes.RSTRIP, true);
        for (String text : List.of("<unk>", "<s>", "<|endoftext|>")) {
            setAttribute(idByText, attributes, text, TokenAttributes.RSTRIP, false);
        }
    }

    private static void setAttribute(Map<String, Integer> idByText, int[] attributes, String text, int bit,
                                     boolean on) {
        Integer id = idByText.get(text);
        if (id != null) {
            attributes[id] = on ? attributes[id] | bit : attributes[id] & ~bit;
        }
    }
}
